"""A small order-processing service: the Python half of pt-tui's demo codebase.

The package re-exports the names a caller needs most, so ``from shop import Order`` works.
"""

from .checkout import OrderService
from .models import Customer, Product
from .orders import Order
from .pricing import price_order

__all__ = ["Customer", "Order", "OrderService", "Product", "price_order"]
