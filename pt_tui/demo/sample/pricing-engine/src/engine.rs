//! The pricing engine: runs its rules over a basket in priority order and itemises the result.

use std::fmt;

use crate::money::Money;
use crate::rules::discount::*;
use crate::rules::PricingRule as Rule;
use crate::rules::{
    tax::{SmallOrderFee, VatRule},
    LineItem, RuleKind,
};

/// One rule's effect on a quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjustment {
    pub rule: String,
    pub kind: RuleKind,
    pub amount: Money,
}

/// A priced basket: the subtotal, each rule's adjustment, and the total to charge.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub subtotal: Money,
    pub adjustments: Vec<Adjustment>,
    pub total: Money,
}

impl Quote {
    /// What the discounts took off, as a positive amount.
    pub fn savings(&self) -> Money {
        -self
            .adjustments
            .iter()
            .filter(|adjustment| adjustment.kind == RuleKind::Discount)
            .map(|adjustment| adjustment.amount)
            .sum::<Money>()
    }
}

impl fmt::Display for Quote {
    /// An itemised receipt, one line per adjustment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<27} {:>9}", "subtotal", self.subtotal)?;
        for adjustment in &self.adjustments {
            let kind = adjustment.kind.label();
            writeln!(f, "{:<9} {:<17} {:>9}", kind, adjustment.rule, adjustment.amount)?;
        }
        write!(f, "{:<27} {:>9}", "total", self.total)
    }
}

/// Prices baskets with an ordered list of rules: discounts first, then tax, then fees.
#[derive(Default)]
pub struct PricingEngine {
    rules: Vec<Box<dyn Rule>>,
}

impl PricingEngine {
    /// An engine with no rules: every quote is just the subtotal.
    pub fn new() -> Self {
        PricingEngine { rules: Vec::new() }
    }

    /// The shop's standard rules: 10% off, a bulk deal capped at 20.00, VAT and a small-order fee.
    pub fn standard() -> Self {
        let mut engine = Self::new();
        engine
            .add_rule(PercentOff::new(10))
            .add_rule(Capped::new(BulkDiscount::new(10, 5), price!(20)))
            .add_rule(VatRule::standard())
            .add_rule(SmallOrderFee::default());
        engine
    }

    /// Adds a rule; rules stay sorted by kind, in the order they were added within a kind.
    pub fn add_rule<R: Rule + 'static>(&mut self, rule: R) -> &mut Self {
        self.rules.push(Box::new(rule));
        self.rules.sort_by_key(|existing| existing.kind().priority());
        self
    }

    /// The names of the rules, in the order they run.
    pub fn rule_names(&self) -> Vec<&str> {
        self.rules.iter().map(|rule| rule.name()).collect()
    }

    /// Prices a basket: each rule sees the running total left by the rules before it.
    pub fn quote(&self, items: &[LineItem]) -> Quote {
        let subtotal: Money = Self::subtotal(items);
        let mut running = subtotal;
        let mut adjustments: Vec<Adjustment> = Vec::new();
        for rule in &self.rules {
            let amount = rule.apply(running, items);
            if amount.is_zero() {
                continue;
            }
            running = running + amount;
            adjustments.push(Adjustment { rule: rule.name().to_string(), kind: rule.kind(), amount });
        }
        Quote { subtotal, adjustments, total: running }
    }

    /// The basket's total before any rule.
    fn subtotal(items: &[LineItem]) -> Money {
        items.iter().map(LineItem::total).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket() -> Vec<LineItem> {
        vec![LineItem::new("TEA-01", price!(24, 99), 2), LineItem::new("MUG-02", Money::new(8, 99), 1)]
    }

    #[test]
    fn an_empty_engine_charges_the_subtotal() {
        let quote = PricingEngine::new().quote(&basket());
        assert_eq!(quote.total, price!(58, 97));
        assert!(quote.adjustments.is_empty());
    }

    #[test]
    fn discounts_run_before_tax() {
        let mut engine = PricingEngine::new();
        engine.add_rule(VatRule::standard()).add_rule(PercentOff::new(10));
        assert_eq!(engine.rule_names(), vec!["percent off", "VAT"]);
        assert_eq!(engine.quote(&basket()).total, price!(63, 68));
    }

    #[test]
    fn a_capped_bulk_discount_saves_at_most_the_cap() {
        let mut engine = PricingEngine::new();
        engine.add_rule(Capped::new(BulkDiscount::new(3, 50), price!(10)));
        let quote = engine.quote(&basket());
        assert_eq!(quote.savings(), price!(10));
        assert_eq!(quote.to_string().lines().count(), 3);
    }
}
