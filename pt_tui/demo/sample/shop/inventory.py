"""Stock levels per product, with reservations held for orders in flight."""

from .events import *  # EventBus and the default bus (events.__all__)
from .models import Entity, Product


class OutOfStock(Exception):
    """Raised when an order asks for more of a product than is available."""

    def __init__(self, product: Product, wanted: int, available: int) -> None:
        super().__init__(f"{product.describe()}: wanted {wanted}, only {available} left")
        self.product = product


class Warehouse(Entity):
    """A named place that holds stock."""

    def __init__(self, name: str, city: str) -> None:
        super().__init__(name)
        self.city = city

    def label(self) -> str:
        """Name and city, built on the inherited ``Entity.describe``."""
        return f"{self.describe()} in {self.city}"


class Inventory:
    """On-hand and reserved quantities per SKU in one warehouse."""

    LOW_STOCK = 3

    def __init__(self, warehouse: Warehouse, events: EventBus = bus) -> None:
        self.warehouse = warehouse
        self.events: EventBus = events
        self.products: dict[str, Product] = {}
        self.on_hand: dict[str, int] = {}
        self.reserved: dict[str, int] = {}

    def restock(self, product: Product, quantity: int) -> None:
        """Receive ``quantity`` units of ``product``."""
        self.products[product.sku] = product
        self.on_hand[product.sku] = self.on_hand.get(product.sku, 0) + quantity
        self.events.publish("stock.restocked", sku=product.sku, quantity=quantity)

    def available(self, product: Product) -> int:
        """Units on hand that no order has reserved."""
        return self._free(product.sku)

    def reserve(self, product: Product, quantity: int) -> None:
        """Hold ``quantity`` units for an order; warns on the bus when stock runs low."""
        available = self.available(product)
        if quantity > available:
            raise OutOfStock(product, quantity, available)
        self.reserved[product.sku] = self.reserved.get(product.sku, 0) + quantity
        if self.available(product) <= self.LOW_STOCK:
            self.events.publish("stock.low", sku=product.sku, left=self.available(product))

    def release(self, product: Product, quantity: int) -> None:
        """Give back a reservation (a cancelled or failed order)."""
        self.reserved[product.sku] = max(0, self.reserved.get(product.sku, 0) - quantity)

    def commit(self, product: Product, quantity: int) -> None:
        """Ship reserved units: they leave both the reservation and the shelf."""
        self.release(product, quantity)
        self.on_hand[product.sku] -= quantity

    def _free(self, sku: str) -> int:
        return self.on_hand.get(sku, 0) - self.reserved.get(sku, 0)
