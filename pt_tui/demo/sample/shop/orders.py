"""Orders: a customer, the lines they bought, a status and the amount charged."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Customer, Entity, Product


@dataclass
class OrderLine:
    """A product and how many of it."""

    product: Product
    quantity: int = 1


class Order(Entity):
    """A customer's basket; it becomes an order once the checkout places it."""

    def __init__(self, customer: Customer, coupon: str | None = None) -> None:
        super().__init__(f"order for {customer.name}")
        self.customer = customer
        self.coupon = coupon
        self.lines: list[OrderLine] = []
        self.status = "new"
        self.total_cents = 0

    def add(self, product: Product, quantity: int = 1) -> Order:
        """Add a line to the basket (returns the order, so calls chain)."""
        self.lines.append(OrderLine(product, quantity))
        return self

    def item_count(self) -> int:
        """Total units over all lines."""
        return sum(line.quantity for line in self.lines)

    def summary(self) -> str:
        """A printable tree of the order (imported lazily: ``reports`` imports this module)."""
        from .reports import render_order

        return render_order(self)
