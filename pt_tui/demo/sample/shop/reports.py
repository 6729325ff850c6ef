"""Plain-text reports: an order as an indented tree, and a stock table."""

from .inventory import Inventory
from .orders import Order, OrderLine

Tree = tuple[str, list["Tree"]]


def format_cents(cents: int) -> str:
    """``1999`` -> ``$19.99``."""
    return f"${cents // 100}.{cents % 100:02d}"


def order_tree(order: Order) -> Tree:
    """The order as a tree: the order, then its lines, then each line's details."""
    children = [line_tree(line) for line in order.lines]
    children.append((f"status {order.status}, total {format_cents(order.total_cents)}", []))
    return (order.describe(), children)


def line_tree(line: OrderLine) -> Tree:
    """One order line and its details as a subtree."""
    details: list[Tree] = [
        (f"sku {line.product.sku}", []),
        (f"line total {format_cents(line.product.price_cents * line.quantity)}", []),
    ]
    return (f"{line.quantity} x {line.product.name}", details)


def render_tree(tree: Tree, depth: int = 0) -> list[str]:
    """Render a tree's root, then each child through :func:`render_node`."""
    label, children = tree
    lines = ["  " * depth + label]
    for child in children:
        lines.extend(render_node(child, depth + 1))
    return lines


def render_node(node: Tree, depth: int) -> list[str]:
    """Render a leaf as a bullet; hand a subtree back to :func:`render_tree` (mutual recursion)."""
    label, children = node
    if not children:
        return ["  " * depth + "- " + label]
    return render_tree(node, depth)


def render_order(order: Order) -> str:
    """The printable order summary behind ``Order.summary``."""
    return "\n".join(render_tree(order_tree(order)))


def stock_report(inventory: Inventory) -> str:
    """Free stock per SKU, headed by the warehouse's label."""
    rows = [f"{product.sku:<8} {inventory.available(product):>4}" for product in inventory.products.values()]
    return "\n".join([inventory.warehouse.label(), *sorted(rows)])
