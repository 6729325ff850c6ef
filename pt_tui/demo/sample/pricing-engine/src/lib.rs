//! Rule-based basket pricing: discounts, caps, tax and fees, applied in a fixed order.
//!
//! The Rust half of pt-tui's demo codebase. A [`PricingEngine`] holds a list of
//! [`PricingRule`]s and turns a basket of [`LineItem`]s into a [`Quote`]:
//!
//! ```
//! use pricing_engine::{price, LineItem, PricingEngine};
//!
//! let basket = [LineItem::new("TEA-01", price!(24, 99), 2)];
//! let quote = PricingEngine::standard().quote(&basket);
//! assert_eq!(quote.total, price!(53, 98)); // 49.98, 10% off, then 20% VAT
//! ```

/// Builds a [`Money`] amount from whole units and optional cents: `price!(12, 50)` is 12.50.
#[macro_export]
macro_rules! price {
    ($units:expr) => {
        $crate::money::Money::new($units, 0)
    };
    ($units:expr, $cents:expr) => {
        $crate::money::Money::new($units, $cents)
    };
}

pub mod engine;
pub mod money;
pub mod rules;

pub use engine::{Adjustment, PricingEngine, Quote};
pub use money::Money;
pub use rules::{
    discount::{BulkDiscount, Capped, PercentOff},
    tax::{SmallOrderFee, VatRule},
    ConditionalRule, LineItem, PricingRule, RuleKind,
};
