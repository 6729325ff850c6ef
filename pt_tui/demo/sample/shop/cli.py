"""Command-line entry point: ``python -m shop.cli [--coupon CODE] [--quantity N] [--ship]``."""

import argparse

import shop.reports
from shop import Customer, Order, OrderService, Product
from shop.events import Event, bus
from shop.inventory import Inventory, OutOfStock, Warehouse

CATALOGUE: list[Product] = [
    Product("Teapot", "TEA-01", 2499),
    Product("Mug", "MUG-02", 899),
    Product("Green tea", "GRN-03", 650),
    Product("Tea towel", "TWL-04", 500),
]


@bus.on("stock.low")
def warn_low_stock(event: Event) -> None:
    """Listener: print a warning when a SKU runs low."""
    print(f"! low stock on {event.payload['sku']}: {event.payload['left']} left")


def build_inventory(units: int = 8) -> Inventory:
    """A warehouse stocked with ``units`` of everything in the catalogue."""
    inventory = Inventory(Warehouse("Main", "Leeds"))
    for product in CATALOGUE:
        inventory.restock(product, units)
    return inventory


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description="Place a demo order.")
    parser.add_argument("--coupon", help="e.g. PERCENT-15 or FIXED-500")
    parser.add_argument("--quantity", type=int, default=2, help="units of each product")
    parser.add_argument("--loyalty", type=int, default=3, help="the customer's years of custom")
    parser.add_argument("--ship", action="store_true", help="also ship the order")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Place one demo order and print it with a stock report; returns the exit status."""
    args = parse_args(argv)
    service = OrderService(build_inventory())
    customer = Customer("Ada", "ada@example.com", loyalty_years=args.loyalty)
    order = Order(customer, coupon=args.coupon)
    for product in CATALOGUE[:3]:
        order.add(product, args.quantity)
    try:
        service.place(order)
    except OutOfStock as exc:
        print(f"cannot place the order: {exc}")
        return 1
    if args.ship:
        service.advance(order, "shipped")
    print(order.summary())
    print(shop.reports.stock_report(service.inventory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
