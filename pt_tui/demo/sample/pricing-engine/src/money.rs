//! Money as a whole number of cents, so that sums never drift.

use std::fmt::{self, Debug, Display, Formatter};
use std::iter::Sum;
use std::ops::{Add, Neg};

/// An amount of money in cents, in one currency; discounts are negative amounts.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    cents: i64,
}

impl Money {
    /// Zero: the starting point of every sum.
    pub const ZERO: Money = Money { cents: 0 };

    /// Whole units plus cents: `Money::new(12, 50)` is 12.50.
    pub fn new(units: i64, cents: i64) -> Self {
        Self::from_cents(units * 100 + cents)
    }

    /// An amount given in cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money { cents }
    }

    /// The amount in cents.
    pub fn cents(&self) -> i64 {
        self.cents
    }

    /// True when the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.cents == 0
    }

    /// `percent` % of this amount, rounded half away from zero to the cent.
    pub fn percent(&self, percent: u32) -> Money {
        let scaled = self.cents * i64::from(percent);
        Money::from_cents((scaled + scaled.signum() * 50) / 100)
    }

    /// This amount times a quantity.
    pub fn times(&self, quantity: u32) -> Money {
        Money::from_cents(self.cents * i64::from(quantity))
    }
}

impl Add for Money {
    type Output = Money;

    fn add(self, other: Money) -> Money {
        Money::from_cents(self.cents + other.cents)
    }
}

impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money::from_cents(-self.cents)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(amounts: I) -> Money {
        amounts.fold(Money::ZERO, |total, amount| total + amount)
    }
}

impl Display for Money {
    /// Formats as `12.50` or `-3.05`, honouring width and alignment (`{:>10}`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let cents = self.cents.abs();
        f.pad(&format!("{}{}.{:02}", sign, cents / 100, cents % 100))
    }
}

impl Debug for Money {
    /// Formats as `Money(12.50)`, reusing the `Display` form.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_rounds_percentages_half_away_from_zero() {
        assert_eq!((Money::new(12, 50) + Money::from_cents(75)).cents(), 1325);
        assert_eq!(Money::from_cents(1005).percent(10), Money::from_cents(101));
        assert_eq!((-Money::from_cents(1005)).percent(10), Money::from_cents(-101));
    }

    #[test]
    fn formats_for_people_and_for_debugging() {
        assert_eq!(Money::new(3, 5).to_string(), "3.05");
        assert_eq!(format!("{:?}", -Money::new(3, 5)), "Money(-3.05)");
        assert_eq!(format!("[{:>6}]", price!(1)), "[  1.00]");
    }
}
