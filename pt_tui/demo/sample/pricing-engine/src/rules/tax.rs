//! Tax and fee rules, which run after every discount.

use super::{LineItem, PricingRule, RuleKind};
use crate::money::Money;

/// Value-added tax at a flat rate on the discounted total.
#[derive(Clone, Debug)]
pub struct VatRule {
    rate_percent: u32,
}

impl VatRule {
    /// VAT at `rate_percent` %.
    pub fn new(rate_percent: u32) -> Self {
        VatRule { rate_percent }
    }

    /// The UK standard rate, 20 %.
    pub fn standard() -> Self {
        Self::new(20)
    }
}

impl PricingRule for VatRule {
    fn apply(&self, running: Money, _items: &[LineItem]) -> Money {
        running.percent(self.rate_percent)
    }

    fn name(&self) -> &str {
        "VAT"
    }

    fn kind(&self) -> RuleKind {
        RuleKind::Tax
    }
}

/// A handling fee on small baskets, waived once the total reaches `waive_from`.
#[derive(Clone, Debug)]
pub struct SmallOrderFee {
    fee: Money,
    waive_from: Money,
}

impl Default for SmallOrderFee {
    /// 2.50 on baskets under 20.00.
    fn default() -> Self {
        SmallOrderFee { fee: price!(2, 50), waive_from: price!(20) }
    }
}

impl PricingRule for SmallOrderFee {
    fn apply(&self, running: Money, _items: &[LineItem]) -> Money {
        if running < self.waive_from {
            self.fee
        } else {
            Money::ZERO
        }
    }

    fn name(&self) -> &str {
        "small order fee"
    }

    fn kind(&self) -> RuleKind {
        RuleKind::Fee
    }
}
