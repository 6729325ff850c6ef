"""Pricing: line totals, the best available discount and sales tax."""

from collections.abc import Callable

from .models import Discount, FixedAmountDiscount, LoyaltyDiscount, PercentageDiscount
from .orders import Order, OrderLine

TAX_RATE = 0.20

PromoRule = Callable[[Order], Discount | None]
_PROMO_RULES: list[PromoRule] = []


def promo_rule(rule: PromoRule) -> PromoRule:
    """Decorator: register ``rule`` as a promotion that :func:`best_discount` considers."""
    _PROMO_RULES.append(rule)
    return rule


@promo_rule
def loyalty_rule(order: Order) -> Discount | None:
    """Loyal customers get their loyalty discount."""
    if order.customer.is_loyal():
        return LoyaltyDiscount(order.customer.loyalty_years)
    return None


@promo_rule
def bulk_rule(order: Order) -> Discount | None:
    """Ten units or more: ten percent off."""
    return PercentageDiscount(10) if order.item_count() >= 10 else None


def discount_class(kind: str) -> type[PercentageDiscount | FixedAmountDiscount]:
    """Factory: the Discount subclass for a coupon kind, ``percent`` or ``fixed``."""
    if kind == "percent":
        return PercentageDiscount
    if kind == "fixed":
        return FixedAmountDiscount
    raise ValueError(f"unknown coupon kind: {kind!r}")


def coupon_discount(code: str) -> Discount:
    """Turn a coupon code such as ``PERCENT-15`` or ``FIXED-500`` into a Discount."""
    kind, _, amount = code.partition("-")
    return discount_class(kind.lower())(int(amount))


def best_discount(order: Order, subtotal: int) -> Discount | None:
    """Of the promotions and the order's coupon, the one that saves the most."""
    offers = [offer for rule in _PROMO_RULES if (offer := rule(order)) is not None]
    if order.coupon:
        offers.append(coupon_discount(order.coupon))
    return max(offers, key=lambda offer: offer.saving(subtotal), default=None)


def line_total(line: OrderLine) -> int:
    """Unit price times quantity, in cents."""
    return line.product.price_cents * line.quantity


def sum_lines(order: Order, total_of: Callable[[OrderLine], int]) -> int:
    """Add up ``total_of(line)`` over the order's lines (the function is an argument)."""
    return sum(total_of(line) for line in order.lines)


def add_tax(amount: int, rate: float = TAX_RATE) -> int:
    """Add sales tax, rounding half up to the cent."""
    return int(amount * (1 + rate) + 0.5)


def price_order(order: Order) -> int:
    """What to charge for ``order`` in cents: subtotal, best discount, then tax."""
    subtotal = sum_lines(order, line_total)
    discount = best_discount(order, subtotal)
    if discount is not None:
        subtotal = discount.apply(subtotal)
    return add_tax(subtotal)
