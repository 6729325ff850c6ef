"""The checkout: places orders and moves them through their life cycle."""

from collections.abc import Callable

from shop import pricing
from shop.events import EventBus
from shop.events import bus as default_bus

from .inventory import Inventory, OutOfStock
from .orders import Order, OrderLine

StatusHandler = Callable[["OrderService", Order], None]


class OrderService:
    """Reserves stock, prices orders and announces every status change on the event bus."""

    def __init__(self, inventory: Inventory, events: EventBus = default_bus) -> None:
        self.inventory: Inventory = inventory
        self.events: EventBus = events

    def place(self, order: Order) -> Order:
        """Reserve every line, price the order, then move it to ``placed``."""
        reserved: list[OrderLine] = []
        try:
            for line in order.lines:
                self.inventory.reserve(line.product, line.quantity)
                reserved.append(line)
        except OutOfStock:
            self.release_lines(reserved)
            raise
        order.total_cents = pricing.price_order(order)
        self.advance(order, "placed")
        return order

    def advance(self, order: Order, status: str) -> None:
        """Move ``order`` to ``status``: run that status's handler and publish ``order.<status>``."""
        STATUS_HANDLERS[status](self, order)
        order.status = status
        self.events.publish(f"order.{status}", order=order.describe())

    def release_lines(self, lines: list[OrderLine]) -> None:
        """Give back the stock reserved for ``lines``."""
        for line in lines:
            self.inventory.release(line.product, line.quantity)


def _on_placed(service: OrderService, order: Order) -> None:
    """Nothing to do: stock was reserved while placing."""


def _on_shipped(service: OrderService, order: Order) -> None:
    """Shipping turns the reservations into stock that has left the warehouse."""
    for line in order.lines:
        service.inventory.commit(line.product, line.quantity)


STATUS_HANDLERS: dict[str, StatusHandler] = {
    "placed": _on_placed,
    "shipped": _on_shipped,
    "cancelled": lambda service, order: service.release_lines(order.lines),
}
"""What to do on entering each status, dispatched by key in :meth:`OrderService.advance`."""
