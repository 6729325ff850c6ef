//! Discount rules: a percentage off, a bulk deal, and a cap for any discount.

use super::{ConditionalRule, LineItem, PricingRule, RuleKind};
use crate::money::Money;

/// A percentage off the running total.
#[derive(Clone, Debug)]
pub struct PercentOff {
    percent: u32,
}

impl PercentOff {
    /// `percent` % off, at most 100.
    pub fn new(percent: u32) -> Self {
        PercentOff { percent: percent.min(100) }
    }
}

impl PricingRule for PercentOff {
    fn apply(&self, running: Money, _items: &[LineItem]) -> Money {
        -running.percent(self.percent)
    }

    fn name(&self) -> &str {
        "percent off"
    }
}

/// A percentage off baskets of at least `min_units` units in total.
#[derive(Clone, Debug)]
pub struct BulkDiscount {
    min_units: u32,
    percent: u32,
}

impl BulkDiscount {
    /// `percent` % off once the basket holds `min_units` units or more.
    pub fn new(min_units: u32, percent: u32) -> Self {
        BulkDiscount { min_units, percent: percent.min(100) }
    }
}

impl ConditionalRule for BulkDiscount {
    fn applies_to(&self, items: &[LineItem]) -> bool {
        items.iter().map(|item| item.quantity).sum::<u32>() >= self.min_units
    }
}

impl PricingRule for BulkDiscount {
    fn apply(&self, running: Money, items: &[LineItem]) -> Money {
        if self.applies_to(items) {
            -running.percent(self.percent)
        } else {
            Money::ZERO
        }
    }

    fn name(&self) -> &str {
        "bulk discount"
    }
}

/// Wraps any rule so that the discount it gives never exceeds `max`.
#[derive(Clone, Debug)]
pub struct Capped<T> {
    inner: T,
    max: Money,
}

impl<T: PricingRule> Capped<T> {
    /// `inner`, taking off at most `max`.
    pub fn new(inner: T, max: Money) -> Self {
        Capped { inner, max }
    }
}

impl<T: PricingRule> PricingRule for Capped<T> {
    fn apply(&self, running: Money, items: &[LineItem]) -> Money {
        let uncapped: Money = self.inner.apply(running, items);
        uncapped.max(-self.max)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn kind(&self) -> RuleKind {
        self.inner.kind()
    }
}
