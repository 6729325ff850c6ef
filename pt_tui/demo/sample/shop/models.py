"""Domain model of the shop: entities with ids, products, customers and discounts."""

import itertools
from abc import ABC, abstractmethod

_next_id = itertools.count(1)


class Entity:
    """Base class of everything the shop keeps: an id and a display name."""

    def __init__(self, name: str) -> None:
        self.id: int = next(_next_id)
        self.name = name

    def describe(self) -> str:
        """A one-line description such as ``Product #3 (Teapot)``."""
        return f"{type(self).__name__} #{self.id} ({self.name})"


class Product(Entity):
    """Something we sell, priced in cents."""

    def __init__(self, name: str, sku: str, price_cents: int) -> None:
        super().__init__(name)
        self.sku = sku
        self.price_cents = price_cents


class Customer(Entity):
    """A buyer, with an e-mail address and a loyalty record."""

    def __init__(self, name: str, email: str, loyalty_years: int = 0) -> None:
        super().__init__(name)
        self.email = email
        self.loyalty_years = loyalty_years

    def is_loyal(self) -> bool:
        """Customers of two years or more qualify for the loyalty discount."""
        return self.loyalty_years >= 2


class Discount(ABC):
    """A reduction applied to an order subtotal (amounts in cents)."""

    @abstractmethod
    def apply(self, subtotal: int) -> int:
        """Return the reduced subtotal, never below zero."""

    def saving(self, subtotal: int) -> int:
        """How many cents this discount takes off ``subtotal``."""
        return subtotal - self.apply(subtotal)


class PercentageDiscount(Discount):
    """A percentage off the whole subtotal."""

    def __init__(self, percent: int) -> None:
        self.percent = percent

    def apply(self, subtotal: int) -> int:
        """Take ``percent`` % off, rounding the saving down to the cent."""
        return subtotal - subtotal * self.percent // 100


class FixedAmountDiscount(Discount):
    """A fixed number of cents off, as printed on a voucher."""

    def __init__(self, amount_cents: int) -> None:
        self.amount_cents = amount_cents

    def apply(self, subtotal: int) -> int:
        """Subtract the voucher amount, but never go below zero."""
        return max(0, subtotal - self.amount_cents)


class LoyaltyDiscount(PercentageDiscount):
    """Five percent per year of custom, capped at twenty percent."""

    def __init__(self, years: int) -> None:
        super().__init__(min(5 * years, 20))

    def apply(self, subtotal: int) -> int:
        """The percentage discount, but only on orders of ten dollars or more."""
        if subtotal < 1000:
            return subtotal
        return super().apply(subtotal)
