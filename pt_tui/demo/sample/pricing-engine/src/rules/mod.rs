//! Pricing rules: the [`PricingRule`] trait, the basket lines it prices, and the kinds of rule.

pub mod discount;
pub mod tax;

use crate::money::Money;

/// One line of a basket: a product code, its unit price and a quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct LineItem {
    pub sku: String,
    pub unit_price: Money,
    pub quantity: u32,
}

impl LineItem {
    /// A line of `quantity` units of `sku` at `unit_price` each.
    pub fn new(sku: &str, unit_price: Money, quantity: u32) -> Self {
        LineItem { sku: sku.to_string(), unit_price, quantity }
    }

    /// Unit price times quantity.
    pub fn total(&self) -> Money {
        self.unit_price.times(self.quantity)
    }
}

/// When a rule runs: every discount before any tax, and fees last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Discount,
    Tax,
    Fee,
}

impl RuleKind {
    /// Rules run in ascending priority.
    pub fn priority(self) -> u8 {
        match self {
            RuleKind::Discount => 0,
            RuleKind::Tax => 1,
            RuleKind::Fee => 2,
        }
    }

    /// A short label for quotes and logs.
    pub fn label(self) -> &'static str {
        match self {
            RuleKind::Discount => "discount",
            RuleKind::Tax => "tax",
            RuleKind::Fee => "fee",
        }
    }
}

/// A rule that adjusts the running total of a basket.
pub trait PricingRule {
    /// The amount to add to `running` (negative for a discount), given the basket's lines.
    fn apply(&self, running: Money, items: &[LineItem]) -> Money;

    /// A name for quotes; rules should override this default.
    fn name(&self) -> &str {
        "unnamed rule"
    }

    /// When this rule runs relative to the others; discounts unless overridden.
    fn kind(&self) -> RuleKind {
        RuleKind::Discount
    }
}

/// A rule that only applies to some baskets; `PricingRule` is its supertrait.
pub trait ConditionalRule: PricingRule {
    /// Whether the rule applies to this basket at all.
    fn applies_to(&self, items: &[LineItem]) -> bool;
}
