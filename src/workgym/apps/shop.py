"""shop: an online shop's portal (catalogue, customers, orders, returns and refunds, stock).

One state, two surfaces: the ``shop`` app's tools (the API) and the shop's website
(``https://shop.example/`` by default, the store's ``host``), which the browser app opens.
Both call the same rules below, so a return requested either way leaves the same store.

Who is signed in decides what can be done. With ``account`` set to a customer id, the
portal is that customer's: only their orders and returns are visible, and they may
request and cancel returns and cancel orders not yet shipped. With ``account`` unset, it
is the shop's back office: every customer, order and return, plus the staff actions
(approve, reject, receive and refund returns; add stock; read the stock log, where each
change of stock is kept with its date and cause).

The rules of a return: the order must be delivered and the return requested within the
shop's return window (``return_window_days`` after delivery, counted on the world's frozen
clock); each line can be returned up to the quantity not already in an open or finished
return; products sold as final sale cannot be returned. The refund is the lines' price;
when the reason is not the shop's fault (``wrong_size``, ``no_longer_needed``,
``arrived_late``) the shop's restocking fee (``restocking_fee_pct``) is kept. A return
goes requested -> approved -> received -> refunded (or requested -> rejected, or
cancelled by the customer while requested). Receiving a return puts its items back in
stock unless they came back damaged or defective; a refund as store credit adds to the
customer's credit.

Money is integer cents in the store and a decimal string (``"129.00"``) in the shop's
currency on the wire. Ids are assigned in sequence (``R-0001``; stock moves are
numbered), dates come from the world's clock, listings are sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal, cast, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import matches_terms, word_terms
from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    Node,
    NotFound,
    Page,
    PortalSite,
    Redirect,
    Request,
    Section,
    Select,
    Table,
    Text,
    TextArea,
    action,
    page,
    paginate,
)
from workgym.core import App, Store, ToolError, tool

__all__ = [
    "REASONS",
    "Customer",
    "Order",
    "OrderLine",
    "Product",
    "Return",
    "ReturnEvent",
    "ReturnItem",
    "ReturnLine",
    "ShopApp",
    "ShopError",
    "ShopSite",
    "ShopStore",
    "StockMove",
    "cents_text",
]

OrderStatus = Literal["placed", "shipped", "delivered", "cancelled"]
ReturnStatus = Literal["requested", "approved", "rejected", "received", "refunded", "cancelled"]
ReturnReason = Literal["damaged", "defective", "wrong_item", "wrong_size", "not_as_described",
                       "no_longer_needed", "arrived_late"]
RefundMethod = Literal["original_payment", "store_credit"]
ReturnAction = Literal["approve", "reject", "receive", "refund"]
MoveReason = Literal["restock", "return", "cancel"]
"""Why stock moved: goods received (``restock``), a received return back on the shelf
(``return``), a cancelled order's items back (``cancel``)."""

REASONS: dict[str, str] = {
    "damaged": "Arrived damaged",
    "defective": "Defective or does not work",
    "wrong_item": "Wrong item sent",
    "wrong_size": "Wrong size or fit",
    "not_as_described": "Not as described",
    "no_longer_needed": "No longer needed",
    "arrived_late": "Arrived too late",
}
"""Return reasons and how the website labels them."""
SHOP_FAULT = frozenset({"damaged", "defective", "wrong_item", "not_as_described"})
"""Reasons for which no restocking fee is kept."""
NOT_RESTOCKED = frozenset({"damaged", "defective"})
"""Reasons whose items do not go back into stock when received."""
REFUND_METHODS: dict[str, str] = {"original_payment": "Refund to original payment",
                                  "store_credit": "Store credit"}
ACTIONS: dict[str, tuple[ReturnStatus, ReturnStatus, str]] = {
    "approve": ("requested", "approved", "Approve"),
    "reject": ("requested", "rejected", "Reject"),
    "receive": ("approved", "received", "Mark received"),
    "refund": ("received", "refunded", "Issue refund"),
}
"""Staff action -> (state it needs, state it leads to, button label)."""
OPEN_RETURN = frozenset({"requested", "approved", "received", "refunded"})
"""States in which a return's items count as returned."""

MAX_RESULTS = 100
MAX_TEXT = 1_000
"""Longest comment or note."""
MAX_RETURNS = 1_000
MAX_STOCK_MOVES = 5_000
MAX_RESTOCK = 100_000
MAX_ITEMS = 100

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str, Field(max_length=MAX_TEXT)]


def cents_text(cents: int) -> str:
    """Integer cents as the decimal text the tools show: ``12900`` -> ``"129.00"``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


# -- the store ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Product(_Model):
    """One article of the catalogue."""

    sku: str
    """Stock-keeping unit, e.g. ``TJ-BLU-M``; unique."""
    name: str
    category: str
    price_cents: int = Field(ge=0)
    stock: int = Field(default=0, ge=0)
    description: str = ""
    returnable: bool = True
    """False for final-sale articles."""
    reorder_level: int = Field(default=0, ge=0)
    """Stock at or below which the article should be reordered."""


class Customer(_Model):
    """A customer account."""

    id: str
    """``C-001`` upwards."""
    name: str
    email: str
    city: str = ""
    store_credit_cents: int = Field(default=0, ge=0)


class OrderLine(_Model):
    """One line of an order: an article, how many, at what unit price."""

    line: int = Field(ge=1)
    sku: str
    name: str
    quantity: int = Field(ge=1)
    unit_price_cents: int = Field(ge=0)


class Order(_Model):
    """A customer's order."""

    id: str
    """E.g. ``O-1001``."""
    customer: str
    placed: str
    """ISO date."""
    status: OrderStatus = "placed"
    lines: list[OrderLine]
    shipping_cents: int = Field(default=0, ge=0)
    shipped: str | None = None
    delivered: str | None = None
    """ISO date of delivery (the return window counts from it)."""
    tracking: str = ""

    @property
    def subtotal_cents(self) -> int:
        return sum(line.quantity * line.unit_price_cents for line in self.lines)


class ReturnLine(_Model):
    """How many of one order line a return sends back."""

    line: int
    sku: str
    name: str
    quantity: int = Field(ge=1)
    unit_price_cents: int = Field(ge=0)


class ReturnEvent(_Model):
    """One step of a return's history."""

    date: str
    status: ReturnStatus
    note: str = ""


class Return(_Model):
    """A return (RMA) of some lines of one order."""

    id: str
    """``R-0001`` upwards."""
    order: str
    customer: str
    lines: list[ReturnLine]
    reason: ReturnReason
    comment: str = ""
    refund_method: RefundMethod = "original_payment"
    status: ReturnStatus = "requested"
    created: str
    refund_cents: int = Field(ge=0)
    """What the customer gets back (items less any restocking fee)."""
    restocking_fee_cents: int = Field(default=0, ge=0)
    history: list[ReturnEvent] = Field(default_factory=list)


class StockMove(_Model):
    """A change of an article's stock, with what caused it."""

    id: int
    sku: str
    delta: int
    reason: MoveReason
    date: str
    ref: str = ""
    """The return or order that caused it."""
    note: str = ""


class ShopStore(Store):
    """The shop's whole state."""

    host: str = "shop.example"
    """Host name of the shop's website."""
    name: str = "Northwind Outfitters"
    currency: str = "EUR"
    account: str | None = None
    """The signed-in customer's id; None for the shop's staff."""
    return_window_days: int = Field(default=30, ge=0)
    restocking_fee_pct: int = Field(default=0, ge=0, le=100)
    products: list[Product] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    returns: list[Return] = Field(default_factory=list)
    stock_moves: list[StockMove] = Field(default_factory=list)
    next_return: int = 1

    # lookups ------------------------------------------------------------------------

    def product(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def customer(self, customer_id: str) -> Customer | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def order(self, order_id: str) -> Order | None:
        return next((o for o in self.orders if o.id == order_id), None)

    def return_(self, return_id: str) -> Return | None:
        return next((r for r in self.returns if r.id == return_id), None)

    def returns_of(self, order_id: str) -> list[Return]:
        """The returns of an order, oldest first."""
        return [r for r in self.returns if r.order == order_id]

    # builders for families ----------------------------------------------------------------

    def add_product(self, sku: str, name: str, category: str, price_cents: int, *,
                    stock: int = 0, description: str = "", returnable: bool = True,
                    reorder_level: int = 0) -> Product:
        """Add an article to the catalogue.

        Raises:
            ValueError: a SKU already in the catalogue.
        """
        if self.product(sku) is not None:
            raise ValueError(f"SKU {sku!r} is already in the catalogue")
        product = Product(sku=sku, name=name, category=category, price_cents=price_cents,
                          stock=stock, description=description, returnable=returnable,
                          reorder_level=reorder_level)
        self.products.append(product)
        return product

    def add_customer(self, name: str, email: str, city: str = "",
                     customer_id: str | None = None) -> Customer:
        """Add a customer, with the next id ``C-001``... unless one is given.

        Raises:
            ValueError: an id already taken.
        """
        ident = customer_id or f"C-{len(self.customers) + 1:03d}"
        if self.customer(ident) is not None:
            raise ValueError(f"customer id {ident!r} is taken")
        customer = Customer(id=ident, name=name, email=email, city=city)
        self.customers.append(customer)
        return customer

    def add_order(self, order_id: str, customer: str, placed: date,
                  lines: Sequence[tuple[str, int]], *, status: OrderStatus = "placed",
                  shipped: date | None = None, delivered: date | None = None,
                  shipping_cents: int = 0, tracking: str = "") -> Order:
        """Add an order of ``(sku, quantity)`` lines at the catalogue's prices.

        Raises:
            ValueError: an unknown customer or SKU, a taken id, no lines, or a delivered
                order without a delivery date.
        """
        if self.order(order_id) is not None:
            raise ValueError(f"order id {order_id!r} is taken")
        if self.customer(customer) is None:
            raise ValueError(f"no customer {customer!r}")
        if not lines:
            raise ValueError("an order needs at least one line")
        if status == "delivered" and delivered is None:
            raise ValueError("a delivered order needs its delivery date")
        built = []
        for number, (sku, quantity) in enumerate(lines, start=1):
            product = self.product(sku)
            if product is None:
                raise ValueError(f"no product {sku!r}")
            built.append(OrderLine(line=number, sku=sku, name=product.name, quantity=quantity,
                                   unit_price_cents=product.price_cents))
        order = Order(id=order_id, customer=customer, placed=placed.isoformat(), status=status,
                      lines=built, shipping_cents=shipping_cents, tracking=tracking,
                      shipped=shipped.isoformat() if shipped else None,
                      delivered=delivered.isoformat() if delivered else None)
        self.orders.append(order)
        return order


# -- the rules both surfaces share --------------------------------------------------------


class ShopError(Exception):
    """A request the shop refuses; ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _staff(store: ShopStore, what: str) -> None:
    if store.account is not None:
        raise ShopError(f"{what} is for the shop's staff; you are signed in as customer "
                        f"{store.account}, who can request and cancel returns and cancel "
                        "orders not yet shipped")


def _visible(store: ShopStore, order: Order) -> bool:
    return store.account is None or order.customer == store.account


def order_for(store: ShopStore, order_id: str) -> Order:
    """The order ``order_id`` if the signed-in account may see it.

    Raises:
        ShopError: an unknown or someone else's order.
    """
    order = store.order(order_id.strip())
    if order is None or not _visible(store, order):
        raise ShopError(f"no order {order_id!r}; list_orders lists "
                        f"{'your' if store.account else 'the'} orders (ids like 'O-1001')")
    return order


def return_for(store: ShopStore, return_id: str) -> Return:
    """The return ``return_id`` if the signed-in account may see it.

    Raises:
        ShopError: an unknown or someone else's return.
    """
    found = store.return_(return_id.strip())
    if found is None or (store.account is not None and found.customer != store.account):
        raise ShopError(f"no return {return_id!r}; list_returns lists them "
                        "(ids like 'R-0001')")
    return found


def product_for(store: ShopStore, sku: str) -> Product:
    """The article ``sku``.

    Raises:
        ShopError: an unknown SKU.
    """
    product = store.product(sku.strip())
    if product is None:
        raise ShopError(f"no product with SKU {sku!r}; search_products lists them")
    return product


def deadline(store: ShopStore, order: Order) -> date | None:
    """The last day a return of ``order`` may be requested; None before delivery."""
    if order.status != "delivered" or order.delivered is None:
        return None
    return date.fromisoformat(order.delivered) + timedelta(days=store.return_window_days)


def returned(store: ShopStore, order: Order, line: int) -> int:
    """How many of an order line are in returns that are not rejected or cancelled."""
    return sum(rl.quantity for r in store.returns_of(order.id) if r.status in OPEN_RETURN
               for rl in r.lines if rl.line == line)


def why_not_returnable(store: ShopStore, order: Order, today: date) -> str:
    """Why no return of ``order`` can be requested today; empty when one can."""
    last = deadline(store, order)
    if last is None:
        return (f"order {order.id} is {order.status}; only delivered orders can be returned"
                + (" (a placed order can be cancelled instead)" if order.status == "placed"
                   else ""))
    if today > last:
        return (f"the return window of order {order.id} ({store.return_window_days} days "
                f"after delivery) closed on {last.isoformat()}")
    return ""


def returnable(store: ShopStore, order: Order, line: OrderLine, today: date) -> int:
    """How many of ``line`` may still be returned today (0 for a final-sale article)."""
    if why_not_returnable(store, order, today):
        return 0
    product = store.product(line.sku)
    if product is not None and not product.returnable:
        return 0
    return max(0, line.quantity - returned(store, order, line.line))


def request_return(store: ShopStore, today: date, order_id: str, items: dict[int, int],
                   reason: str, comment: str = "",
                   refund_method: str = "original_payment") -> Return:
    """Request a return of ``items`` (order line -> quantity; zero quantities are left
    out) of an order.

    Raises:
        ShopError: any rule of a return broken (see the module docstring); ``field`` is
            ``qty_<line>``, ``reason``, ``comment`` or ``refund_method`` where it applies.
    """
    order = order_for(store, order_id)
    why = why_not_returnable(store, order, today)
    if why:
        raise ShopError(why)
    if reason not in REASONS:
        raise ShopError(f"reason must be one of: {', '.join(REASONS)}", "reason")
    if refund_method not in REFUND_METHODS:
        raise ShopError(f"refund method must be one of: {', '.join(REFUND_METHODS)}",
                        "refund_method")
    if len(comment) > MAX_TEXT:
        raise ShopError(f"the comment is longer than {MAX_TEXT} characters", "comment")
    if len(items) > MAX_ITEMS:
        raise ShopError(f"a return has at most {MAX_ITEMS} items")
    lines = {line.line: line for line in order.lines}
    chosen: list[ReturnLine] = []
    for number in sorted(items):
        quantity = items[number]
        line = lines.get(number)
        if line is None:
            raise ShopError(f"order {order.id} has no line {number}; its lines are "
                            f"{', '.join(str(n) for n in lines)} (get_order shows them)")
        if quantity < 0:
            raise ShopError(f"the quantity of line {number} cannot be negative",
                            f"qty_{number}")
        if quantity == 0:
            continue
        product = store.product(line.sku)
        if product is not None and not product.returnable:
            raise ShopError(f"line {number} ({line.name}) is final sale and cannot be "
                            "returned", f"qty_{number}")
        left = returnable(store, order, line, today)
        if quantity > left:
            raise ShopError(f"line {number} ({line.name}) can be returned {left} more "
                            f"time{'s' if left != 1 else ''} (ordered {line.quantity}, "
                            f"{line.quantity - left} already in returns)", f"qty_{number}")
        chosen.append(ReturnLine(line=number, sku=line.sku, name=line.name,
                                 quantity=quantity, unit_price_cents=line.unit_price_cents))
    if not chosen:
        raise ShopError("choose at least one item to return (a quantity of 1 or more)")
    if len(store.returns) >= MAX_RETURNS:
        raise ShopError(f"the shop holds {MAX_RETURNS} returns, the most it can")
    value = sum(rl.quantity * rl.unit_price_cents for rl in chosen)
    fee = 0 if reason in SHOP_FAULT else (value * store.restocking_fee_pct + 50) // 100
    created = Return(id=f"R-{store.next_return:04d}", order=order.id, customer=order.customer,
                     lines=chosen, reason=cast(ReturnReason, reason),
                     comment=comment.strip(), refund_method=cast(RefundMethod, refund_method),
                     created=today.isoformat(), refund_cents=value - fee,
                     restocking_fee_cents=fee,
                     history=[ReturnEvent(date=today.isoformat(), status="requested",
                                          note=comment.strip())])
    store.next_return += 1
    store.returns.append(created)
    return created


def cancel_return(store: ShopStore, today: date, return_id: str) -> Return:
    """Cancel a return that is still only requested.

    Raises:
        ShopError: an unknown return, or one past the requested state.
    """
    found = return_for(store, return_id)
    if found.status != "requested":
        raise ShopError(f"return {found.id} is {found.status}; only a requested return "
                        "can be cancelled")
    found.status = "cancelled"
    found.history.append(ReturnEvent(date=today.isoformat(), status="cancelled"))
    return found


def _move(store: ShopStore, today: date, product: Product, delta: int,
          reason: MoveReason, ref: str, note: str = "") -> None:
    if len(store.stock_moves) >= MAX_STOCK_MOVES:
        raise ShopError(f"the shop's stock log holds {MAX_STOCK_MOVES} moves, the most it can")
    product.stock += delta
    store.stock_moves.append(StockMove(id=len(store.stock_moves) + 1, sku=product.sku,
                                       delta=delta, reason=reason, date=today.isoformat(),
                                       ref=ref, note=note))


def process_return(store: ShopStore, today: date, return_id: str, step: str,
                   note: str = "") -> Return:
    """A staff action on a return: approve, reject (with a note saying why), receive
    (items back in stock unless damaged or defective) or refund.

    Raises:
        ShopError: a customer account, an unknown return or action, a reject without a
            note, or a return not in the state the action needs.
    """
    _staff(store, "processing a return")
    found = return_for(store, return_id)
    if step not in ACTIONS:
        raise ShopError(f"action must be one of: {', '.join(ACTIONS)}", "action")
    needs, becomes, _ = ACTIONS[step]
    if len(note) > MAX_TEXT:
        raise ShopError(f"the note is longer than {MAX_TEXT} characters", "note")
    if found.status != needs:
        raise ShopError(f"return {found.id} is {found.status}; '{step}' needs a return that "
                        f"is {needs}")
    if step == "reject" and not note.strip():
        raise ShopError("say why the return is rejected in the note", "note")
    customer = store.customer(found.customer)
    if step == "refund" and found.refund_method == "store_credit" and customer is None:
        raise ShopError(f"return {found.id} names no known customer to credit")
    if step == "receive" and found.reason not in NOT_RESTOCKED:
        for line in found.lines:
            product = store.product(line.sku)
            if product is not None:
                _move(store, today, product, line.quantity, "return", found.id)
    if step == "refund" and found.refund_method == "store_credit" and customer is not None:
        customer.store_credit_cents += found.refund_cents
    found.status = cast(ReturnStatus, becomes)
    found.history.append(ReturnEvent(date=today.isoformat(), status=found.status,
                                     note=note.strip()))
    return found


def cancel_order(store: ShopStore, today: date, order_id: str) -> Order:
    """Cancel an order not yet shipped; its items go back in stock.

    Raises:
        ShopError: an unknown order, or one already shipped, delivered or cancelled.
    """
    order = order_for(store, order_id)
    if order.status != "placed":
        raise ShopError(f"order {order.id} is {order.status}; only a placed order (not yet "
                        "shipped) can be cancelled"
                        + ("; request a return instead" if order.status == "delivered" else ""))
    for line in order.lines:
        product = store.product(line.sku)
        if product is not None:
            _move(store, today, product, line.quantity, "cancel", order.id)
    order.status = "cancelled"
    return order


def restock(store: ShopStore, today: date, sku: str, quantity: int, note: str = "") -> Product:
    """Add ``quantity`` to an article's stock (staff).

    Raises:
        ShopError: a customer account, an unknown SKU, or a quantity out of range.
    """
    _staff(store, "adding stock")
    product = product_for(store, sku)
    if not 1 <= quantity <= MAX_RESTOCK:
        raise ShopError(f"the quantity must be between 1 and {MAX_RESTOCK}", "quantity")
    if len(note) > MAX_TEXT:
        raise ShopError(f"the note is longer than {MAX_TEXT} characters", "note")
    _move(store, today, product, quantity, "restock", "", note.strip())
    return product


def find_products(store: ShopStore, query: str = "", category: str | None = None,
                  in_stock: bool | None = None) -> list[Product]:
    """Articles whose SKU, name, category or description hold every word of ``query``
    (case- and accent-insensitive; ``word*`` matches a prefix), by name then SKU.

    Raises:
        ShopError: a query too long or without letters or digits.
    """
    try:
        wanted = word_terms(query)
    except ToolError as exc:
        raise ShopError(str(exc), "q") from None
    found = []
    for product in store.products:
        if category is not None and product.category.casefold() != category.casefold():
            continue
        if in_stock is not None and (product.stock > 0) != in_stock:
            continue
        if wanted and not matches_terms(
                f"{product.sku} {product.name} {product.category} {product.description}",
                wanted):
            continue
        found.append(product)
    return sorted(found, key=lambda p: (p.name.casefold(), p.sku))


def visible_orders(store: ShopStore, status: str | None = None,
                   customer: str | None = None) -> list[Order]:
    """Orders the account may see, newest first (by date, then id)."""
    found = [o for o in store.orders if _visible(store, o)
             and (status is None or o.status == status)
             and (customer is None or o.customer == customer)]
    return sorted(found, key=lambda o: (o.placed, o.id), reverse=True)


def visible_returns(store: ShopStore, status: str | None = None,
                    order: str | None = None) -> list[Return]:
    """Returns the account may see, newest first (by id)."""
    found = [r for r in store.returns
             if (store.account is None or r.customer == store.account)
             and (status is None or r.status == status) and (order is None or r.order == order)]
    return sorted(found, key=lambda r: r.id, reverse=True)


def find_stock_moves(store: ShopStore, sku: str | None = None,
                     reason: str | None = None) -> list[StockMove]:
    """The stock log (staff), newest first (by date, then number): every move, or those
    of one article or of one reason.

    Raises:
        ShopError: a customer account or an unknown SKU.
    """
    _staff(store, "the stock log")
    wanted = product_for(store, sku).sku if sku is not None else None
    found = [m for m in store.stock_moves
             if (wanted is None or m.sku == wanted) and (reason is None or m.reason == reason)]
    return sorted(found, key=lambda m: (m.date, m.id), reverse=True)


def find_customers(store: ShopStore, query: str = "") -> list[Customer]:
    """Customers whose id, name, e-mail or city hold every word of ``query``, by id.

    Raises:
        ShopError: a customer account, or a query too long or without words.
    """
    _staff(store, "the customer list")
    try:
        wanted = word_terms(query)
    except ToolError as exc:
        raise ShopError(str(exc), "q") from None
    return [c for c in store.customers
            if not wanted or matches_terms(f"{c.id} {c.name} {c.email} {c.city}", wanted)]


# -- views (the same data for the tools and the pages) ----------------------------------------


def product_view(store: ShopStore, product: Product, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"sku": product.sku, "name": product.name,
                            "category": product.category,
                            "price": cents_text(product.price_cents), "stock": product.stock,
                            "returnable": product.returnable}
    if full:
        view.update(description=product.description, reorder_level=product.reorder_level,
                    currency=store.currency)
    return view


def order_view(store: ShopStore, order: Order, today: date) -> dict[str, Any]:
    last = deadline(store, order)
    customer = store.customer(order.customer)
    return {
        "id": order.id, "customer": order.customer,
        "customer_name": customer.name if customer else "", "placed": order.placed,
        "status": order.status, "shipped": order.shipped, "delivered": order.delivered,
        "tracking": order.tracking, "currency": store.currency,
        "return_deadline": last.isoformat() if last else None,
        "lines": [{"line": line.line, "sku": line.sku, "name": line.name,
                   "quantity": line.quantity, "unit_price": cents_text(line.unit_price_cents),
                   "returned": returned(store, order, line.line),
                   "returnable": returnable(store, order, line, today)}
                  for line in order.lines],
        "subtotal": cents_text(order.subtotal_cents),
        "shipping": cents_text(order.shipping_cents),
        "total": cents_text(order.subtotal_cents + order.shipping_cents),
        "returns": [r.id for r in store.returns_of(order.id)],
    }


def order_summary(order: Order) -> dict[str, Any]:
    return {"id": order.id, "customer": order.customer, "placed": order.placed,
            "status": order.status, "items": sum(line.quantity for line in order.lines),
            "total": cents_text(order.subtotal_cents + order.shipping_cents)}


def return_view(item: Return, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": item.id, "order": item.order, "customer": item.customer,
                            "status": item.status, "reason": item.reason,
                            "created": item.created, "refund": cents_text(item.refund_cents)}
    if full:
        view.update(
            comment=item.comment, refund_method=item.refund_method,
            restocking_fee=cents_text(item.restocking_fee_cents),
            lines=[{"line": rl.line, "sku": rl.sku, "name": rl.name, "quantity": rl.quantity,
                    "unit_price": cents_text(rl.unit_price_cents)} for rl in item.lines],
            history=[e.model_dump() for e in item.history])
    return view


def customer_view(store: ShopStore, customer: Customer,
                  orders: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A customer with their order ids, newest first (``orders``: those ids by customer,
    when the caller has them for many customers at once)."""
    ids = orders.get(customer.id, []) if orders is not None else [
        o.id for o in visible_orders(store, customer=customer.id)]
    return {"id": customer.id, "name": customer.name, "email": customer.email,
            "city": customer.city, "store_credit": cents_text(customer.store_credit_cents),
            "orders": ids}


def stock_move_view(store: ShopStore, move: StockMove) -> dict[str, Any]:
    product = store.product(move.sku)
    return {"id": move.id, "date": move.date, "sku": move.sku,
            "name": product.name if product is not None else "", "change": move.delta,
            "reason": move.reason, "ref": move.ref, "note": move.note}


def _paged(found: Sequence[Any], view: Any, limit: int, offset: int) -> dict[str, Any]:
    """One page of ``found``, each shown through ``view`` (only the page's rows are)."""
    return {"total": len(found), "offset": offset,
            "results": [view(item) for item in found[offset:offset + limit]]}


# -- the API -----------------------------------------------------------------------------------


class ReturnItem(BaseModel):
    """One order line to send back."""

    model_config = ConfigDict(extra="forbid")

    line: int = Field(ge=1, le=10_000, description="the order line's number (get_order shows them)")
    quantity: int = Field(ge=1, le=10_000, description="how many of that line to return")


class ShopApp(App):
    """The shop's portal: catalogue, orders, returns and (for staff) stock and customers.
    Amounts are decimal strings in the shop's currency, dates ISO 8601."""

    name = "shop"

    @property
    def store(self) -> ShopStore:
        """The world's shop; an empty one (not added to the world) when it has none, so
        that a read leaves the world as it was (every write needs a record, so fails)."""
        store = self.world.existing_store("shop", ShopStore)
        return ShopStore() if store is None else store

    @property
    def _today(self) -> date:
        return self.world.now.date()

    @tool(read_only=True, concurrent=False)
    def search_products(self, query: Annotated[str, Field(max_length=500)] = "",
                        category: Annotated[str, Field(max_length=100)] | None = None,
                        in_stock: bool | None = None, limit: Limit = 20,
                        offset: Offset = 0) -> dict[str, Any]:
        """Search the catalogue, sorted by name. Every word of the query must occur as a
        word of the SKU, name, category or description (case-insensitive; end a word
        with * to match its prefix).

        Returns ``{"total", "offset", "results": [{sku, name, category, price, stock,
        returnable}]}``.

        Args:
            query: words to look for, e.g. "trail jacket"; empty lists every article.
            category: only this category, e.g. "Footwear".
            in_stock: only articles in stock (true) or out of stock (false).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        found = self._run(find_products, self.store, query, category, in_stock)
        store = self.store
        return _paged(found, lambda p: product_view(store, p), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_product(self, sku: Id) -> dict[str, Any]:
        """One article: SKU, name, category, price, stock, whether it can be returned,
        description and reorder level.

        Args:
            sku: the article's SKU, e.g. "TJ-BLU-M".
        """
        return product_view(self.store, self._run(product_for, self.store, sku), full=True)

    @tool(read_only=True, concurrent=False)
    def list_orders(self, status: OrderStatus | None = None, customer_id: Id | None = None,
                    limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Orders, newest first (a customer sees their own).

        Returns ``{"total", "offset", "results": [{id, customer, placed, status, items,
        total}]}``.

        Args:
            status: only orders in this state: placed, shipped, delivered or cancelled.
            customer_id: only this customer's orders, e.g. "C-004" (staff).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        if customer_id is not None and store.account is not None \
                and customer_id != store.account:
            raise ToolError(f"you can list only your own orders (customer {store.account}); "
                            "leave customer_id out")
        found = visible_orders(store, status, customer_id)
        return _paged(found, order_summary, limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_order(self, order_id: Id) -> dict[str, Any]:
        """One order: status and dates, the last day a return may be requested
        (``return_deadline``, null before delivery), its lines (each with how many are
        already ``returned`` and how many are still ``returnable`` today), totals and the
        ids of its returns.

        Args:
            order_id: the order's id, e.g. "O-1001".
        """
        order = self._run(order_for, self.store, order_id)
        return order_view(self.store, order, self._today)

    @tool
    def cancel_order(self, order_id: Id) -> dict[str, Any]:
        """Cancel an order that has not shipped yet (status placed); its items go back in
        stock. Returns the order's new summary.

        Args:
            order_id: the order's id, e.g. "O-1001".
        """
        order = self._run(cancel_order, self.store, self._today, order_id)
        return order_summary(order)

    @tool(destructive=False)
    def create_return(self, order_id: Id, items: Annotated[list[ReturnItem],
                                                           Field(min_length=1,
                                                                 max_length=MAX_ITEMS)],
                      reason: ReturnReason, comment: Note = "",
                      refund_method: RefundMethod = "original_payment") -> dict[str, Any]:
        """Request a return of some lines of a delivered order, within the shop's return
        window. Returns the new return (id ``R-0001``..., status requested, the refund it
        will give and any restocking fee kept).

        Args:
            order_id: the order's id, e.g. "O-1001".
            items: the lines to send back, e.g. [{"line": 2, "quantity": 1}]; a line at
                most once.
            reason: damaged, defective, wrong_item, wrong_size, not_as_described,
                no_longer_needed or arrived_late. A restocking fee applies to wrong_size,
                no_longer_needed and arrived_late when the shop charges one.
            comment: what is wrong, in a few words.
            refund_method: original_payment or store_credit.
        """
        wanted: dict[int, int] = {}
        for item in items:
            if item.line in wanted:
                raise ToolError(f"line {item.line} is given twice; give each line once with "
                                "its whole quantity")
            wanted[item.line] = item.quantity
        created = self._run(request_return, self.store, self._today, order_id, wanted,
                            reason, comment, refund_method)
        return return_view(created)

    @tool(read_only=True, concurrent=False)
    def list_returns(self, status: ReturnStatus | None = None, order_id: Id | None = None,
                     limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Returns, newest first (a customer sees their own).

        Returns ``{"total", "offset", "results": [{id, order, customer, status, reason,
        created, refund}]}``.

        Args:
            status: only returns in this state: requested, approved, rejected, received,
                refunded or cancelled.
            order_id: only the returns of this order.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        found = visible_returns(self.store, status, order_id)
        return _paged(found, lambda r: return_view(r, full=False), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_return(self, return_id: Id) -> dict[str, Any]:
        """One return: its lines, reason, comment, refund method, refund, restocking fee,
        status and history.

        Args:
            return_id: the return's id, e.g. "R-0001".
        """
        return return_view(self._run(return_for, self.store, return_id))

    @tool
    def cancel_return(self, return_id: Id) -> dict[str, Any]:
        """Cancel a return that is still requested (not yet approved). Returns the return.

        Args:
            return_id: the return's id, e.g. "R-0001".
        """
        return return_view(self._run(cancel_return, self.store, self._today, return_id))

    @tool
    def process_return(self, return_id: Id, action: ReturnAction,
                       note: Note = "") -> dict[str, Any]:
        """Staff: move a return on. approve or reject a requested return (a reject needs a
        note saying why), receive an approved one (its items go back in stock unless it
        came back damaged or defective), refund a received one (store credit goes to the
        customer's account). Returns the return.

        Args:
            return_id: the return's id, e.g. "R-0001".
            action: approve, reject, receive or refund.
            note: a note for the return's history.
        """
        return return_view(self._run(process_return, self.store, self._today, return_id,
                                     action, note))

    @tool(destructive=False)
    def restock(self, sku: Id, quantity: Annotated[int, Field(ge=1, le=MAX_RESTOCK)],
                note: Note = "") -> dict[str, Any]:
        """Staff: add received goods to an article's stock. Returns the article.

        Args:
            sku: the article's SKU, e.g. "TJ-BLU-M".
            quantity: how many units arrived (1-100000).
            note: e.g. the delivery note or purchase order number.
        """
        product = self._run(restock, self.store, self._today, sku, quantity, note)
        return product_view(self.store, product, full=True)

    @tool(read_only=True, concurrent=False)
    def list_stock_moves(self, sku: Id | None = None, reason: MoveReason | None = None,
                         limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Staff: the stock log, newest first: each change of an article's stock, when and
        why (restock: goods received; return: a received return back in stock; cancel: a
        cancelled order's items back), with the return or order that caused it.

        Returns ``{"total", "offset", "results": [{id, date, sku, name, change, reason,
        ref, note}]}``.

        Args:
            sku: only the moves of this article, e.g. "TJ-BLU-M"; none lists every article's.
            reason: only moves of this kind: restock, return or cancel.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = self._run(find_stock_moves, store, sku, reason)
        return _paged(found, lambda m: stock_move_view(store, m), limit, offset)

    @tool(read_only=True, concurrent=False)
    def list_customers(self, query: Annotated[str, Field(max_length=500)] = "",
                       limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Staff: customers whose id, name, e-mail or city hold every word of the query,
        by id.

        Returns ``{"total", "offset", "results": [{id, name, email, city, store_credit,
        orders}]}``.

        Args:
            query: words to look for, e.g. "lindqvist"; empty lists everyone.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        found = self._run(find_customers, self.store, query)
        store = self.store
        by_customer: dict[str, list[str]] = {}
        for order in visible_orders(store):  # one pass, not one per customer
            by_customer.setdefault(order.customer, []).append(order.id)
        return _paged(found, lambda c: customer_view(store, c, by_customer), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_customer(self, customer_id: Id) -> dict[str, Any]:
        """A customer: name, e-mail, city, store credit and order ids (a customer may read
        their own account).

        Args:
            customer_id: the customer's id, e.g. "C-004".
        """
        store = self.store
        customer = store.customer(customer_id.strip())
        if customer is None or (store.account is not None and customer.id != store.account):
            mine = f"; your own account is {store.account}" if store.account else \
                " (list_customers lists them)"
            raise ToolError(f"no customer {customer_id!r}{mine}")
        return customer_view(store, customer)

    def _run(self, rule: Any, *args: Any) -> Any:
        try:
            return rule(*args)
        except ShopError as exc:
            raise ToolError(str(exc)) from None


# -- the website ---------------------------------------------------------------------------------


_ORDER_STATES: tuple[str, ...] = get_args(OrderStatus)
_RETURN_STATES: tuple[str, ...] = get_args(ReturnStatus)


class ShopSite(PortalSite[ShopStore]):
    """The shop's website over the same store (see the module docstring)."""

    store_name = "shop"
    store_type = ShopStore
    lookup_error = ShopError

    def nav(self) -> Sequence[Link]:
        links = [Link("Products", "/products"), Link("Orders", "/orders"),
                 Link("Returns", "/returns")]
        if self.store.account is None:
            links.append(Link("Customers", "/customers"))
        return links

    def _who(self) -> str:
        store = self.store
        if store.account is None:
            return "Signed in as shop staff."
        customer = store.customer(store.account)
        return f"Signed in as {customer.name if customer else store.account} " \
               f"(customer {store.account})."

    # pages -----------------------------------------------------------------------------

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.store
        categories = sorted({p.category for p in store.products})
        return Page(store.name, [
            Heading(store.name), Text(self._who()),
            Form("search", [Input("q", "Search products", "search"), Button("Search")],
                 label="Search products", method="get", action="/products"),
            Section("Categories", [Link(c, f"/products?category={_q(c)}") for c in categories]),
            Section("Your account" if store.account else "Back office", [
                Link("Orders", "/orders"), Link("Returns", "/returns"),
                Text(f"Returns are accepted within {store.return_window_days} days of "
                     "delivery.")]),
        ])

    @page("/products")
    def products(self, request: Request) -> Page:
        store = self.store
        categories = sorted({p.category for p in store.products})
        category = request.arg("category") or None
        only = request.arg("in_stock") == "on"
        try:
            found = find_products(store, request.arg("q"), category, True if only else None)
            problem = ""
        except ShopError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        body: list[Node] = [
            Heading("Products"),
            Form("filter", [
                Input("q", "Search products", "search", request.arg("q")),
                Select("category", "Category", [("", "All categories"),
                                                *((c, c) for c in categories)],
                       category or ""),
                Input("in_stock", "In stock only", "checkbox", "on" if only else ""),
                Button("Search")], label="Filter products", method="get"),
        ]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Products", ["SKU", "Product", "Category", "Price", "Stock"], [
            [p.sku, Link(p.name, f"/products/{_q(p.sku)}"), p.category,
             cents_text(p.price_cents), str(p.stock)] for p in rows]))
        body.extend(pager)
        return Page("Products", body)

    @page("/products/{sku}")
    def product(self, request: Request, sku: str) -> Page:
        store = self.store
        product = self._find(product_for, store, sku)
        items: list[tuple[str, str | Link]] = [
            ("SKU", product.sku), ("Category", product.category),
            ("Price", f"{cents_text(product.price_cents)} {store.currency}"),
            ("Stock", str(product.stock)),
            ("Returns", f"returnable within {store.return_window_days} days of delivery"
             if product.returnable else "final sale, not returnable")]
        if store.account is None:
            items.append(("Reorder level", str(product.reorder_level)))
        body: list[Node] = [Heading(product.name), Details(items, "Product details")]
        if product.description:
            body.append(Text(product.description))
        if store.account is None:
            body.append(Form("restock", [
                Input("quantity", "Quantity to add", "number", "", required=True, min=1,
                      max=MAX_RESTOCK),
                TextArea("note", "Note"), Button("Add stock")], label="Add stock"))
        body.append(Link("Back to products", "/products"))
        return Page(product.name, body)

    @action("/products/{sku}")
    def product_post(self, request: Request, sku: str) -> Redirect | Invalid:
        store = self.store
        product = self._find(product_for, store, sku)
        quantity = _whole(request.form.get("quantity", ""))
        if quantity is None:
            return Invalid({"quantity": "enter a whole number of units, such as 12"})
        try:
            restock(store, self._today, product.sku, quantity, request.form.get("note", ""))
        except ShopError as exc:
            return _invalid(exc)
        return Redirect(f"/products/{_q(product.sku)}",
                        f"Added {quantity} to the stock of {product.sku}; "
                        f"{product.stock} in stock now.")

    @page("/orders")
    def orders(self, request: Request) -> Page:
        store = self.store
        status = request.arg("status")
        customer = request.arg("customer") if store.account is None else ""
        found = visible_orders(store, status if status in _ORDER_STATES else None,
                               customer or None)
        rows, pager = paginate(found, request)
        fields: list[Node] = [Select("status", "Status", [("", "Any status"),
                                                          *((s, s) for s in _ORDER_STATES)],
                                     status)]
        if store.account is None:
            fields.append(Input("customer", "Customer id", "text", customer))
        columns = ["Order", "Placed", *(["Customer"] if store.account is None else []),
                   "Status", "Items", "Total"]
        table = Table("Orders", columns, [
            [Link(o.id, f"/orders/{_q(o.id)}"), o.placed,
             *([o.customer] if store.account is None else []), o.status,
             str(sum(line.quantity for line in o.lines)),
             cents_text(o.subtotal_cents + o.shipping_cents)] for o in rows])
        return Page("Orders", [Heading("Your orders" if store.account else "Orders"),
                               Form("filter", [*fields, Button("Filter")],
                                    label="Filter orders", method="get"),
                               table, *pager])

    @page("/orders/{order_id}")
    def order(self, request: Request, order_id: str) -> Page:
        store = self.store
        order = self._find(order_for, store, order_id)
        view = order_view(store, order, self._today)
        items: list[tuple[str, str | Link]] = [
            ("Order", order.id), ("Placed", order.placed), ("Status", order.status)]
        if store.account is None:
            items.append(("Customer", Link(order.customer, f"/customers/{_q(order.customer)}")))
        items += [(k, v) for k, v in (("Shipped", order.shipped or ""),
                                      ("Delivered", order.delivered or ""),
                                      ("Tracking", order.tracking),
                                      ("Return by", view["return_deadline"] or "")) if v]
        body: list[Node] = [Heading(f"Order {order.id}"), Details(items, "Order details"),
                            Table("Items", ["Line", "SKU", "Product", "Qty", "Unit price",
                                            "Returned"], [
                [str(line["line"]), line["sku"], Link(line["name"], f"/products/{_q(line['sku'])}"),
                 str(line["quantity"]), line["unit_price"], str(line["returned"])]
                for line in view["lines"]]),
            Details([("Subtotal", view["subtotal"]), ("Shipping", view["shipping"]),
                     ("Total", f"{view['total']} {store.currency}")], "Totals")]
        returns = store.returns_of(order.id)
        if returns:
            body.append(Section("Returns", [
                Link(f"{r.id} ({r.status})", f"/returns/{_q(r.id)}") for r in returns]))
        if any(line["returnable"] for line in view["lines"]):
            body.append(Link("Request a return", f"/orders/{_q(order.id)}/return"))
        elif order.status == "delivered":
            body.append(Text(why_not_returnable(store, order, self._today)
                             or "Every item of this order is returned or not returnable."))
        if order.status == "placed":
            body.append(Form("cancel", [Button("Cancel order")], label="Cancel order"))
        return Page(f"Order {order.id}", body)

    @action("/orders/{order_id}")
    def order_post(self, request: Request, order_id: str) -> Redirect | Invalid:
        store = self.store
        try:
            order = cancel_order(store, self._today, order_id)
        except ShopError as exc:
            return _invalid(exc)
        return Redirect(f"/orders/{_q(order.id)}", f"Order {order.id} is cancelled.")

    @page("/orders/{order_id}/return")
    def return_form(self, request: Request, order_id: str) -> Page:
        store = self.store
        order = self._find(order_for, store, order_id)
        body: list[Node] = [Heading(f"Return items from order {order.id}")]
        why = why_not_returnable(store, order, self._today)
        if why:
            body += [Text(why[0].upper() + why[1:] + "."),
                     Link(f"Back to order {order.id}", f"/orders/{_q(order.id)}")]
            return Page(f"Return items · {order.id}", body)
        last = deadline(store, order)
        rows: list[list[str | Link | Input | Select | Button]] = []
        for line in order.lines:
            left = returnable(store, order, line, self._today)
            product = store.product(line.sku)
            note = "final sale" if product is not None and not product.returnable else str(left)
            rows.append([str(line.line), line.name, str(line.quantity), note,
                         Input(f"qty_{line.line}", f"Quantity to return, line {line.line}: "
                               f"{line.name}", "number", "0", min=0, max=left)
                         if left else "—"])
        reasons = [("", "Choose a reason"), *REASONS.items()]
        body += [
            Text(f"Returns of this order can be requested until {last}."
                 if last else ""),
            Form("return", [
                Table("Items to return", ["Line", "Product", "Ordered", "Can return",
                                          "Quantity to return"], rows),
                Select("reason", "Reason", reasons),
                Select("refund_method", "Refund to", list(REFUND_METHODS.items())),
                TextArea("comment", "Comment"),
                Button("Request return")], label="Request a return"),
            Link(f"Back to order {order.id}", f"/orders/{_q(order.id)}")]
        return Page(f"Return items · {order.id}", body)

    @action("/orders/{order_id}/return")
    def return_post(self, request: Request, order_id: str) -> Redirect | Invalid:
        store = self.store
        order = self._find(order_for, store, order_id)
        items: dict[int, int] = {}
        errors: dict[str, str] = {}
        for line in order.lines:
            key = f"qty_{line.line}"
            if key not in request.form:
                continue
            quantity = _whole(request.form[key] or "0")
            if quantity is None:
                errors[key] = "enter a whole number, such as 1 (0 keeps the item)"
            else:
                items[line.line] = quantity
        reason = request.form.get("reason", "")
        if not reason:
            errors["reason"] = "choose a reason"
        if errors:
            return Invalid(errors)
        try:
            created = request_return(store, self._today, order.id, items, reason,
                                     request.form.get("comment", ""),
                                     request.form.get("refund_method", "original_payment"))
        except ShopError as exc:
            return _invalid(exc)
        return Redirect(f"/returns/{_q(created.id)}",
                        f"Return {created.id} requested: a refund of "
                        f"{cents_text(created.refund_cents)} {store.currency} once the "
                        "items are received.")

    @page("/returns")
    def returns(self, request: Request) -> Page:
        store = self.store
        status = request.arg("status")
        found = visible_returns(store, status if status in _RETURN_STATES else None)
        rows, pager = paginate(found, request)
        table = Table("Returns", ["Return", "Order", "Created", "Status", "Reason", "Refund"], [
            [Link(r.id, f"/returns/{_q(r.id)}"), r.order, r.created, r.status,
             REASONS[r.reason], cents_text(r.refund_cents)] for r in rows])
        return Page("Returns", [
            Heading("Your returns" if store.account else "Returns"),
            Form("filter", [Select("status", "Status", [("", "Any status"),
                                                        *((s, s) for s in _RETURN_STATES)],
                                   status), Button("Filter")],
                 label="Filter returns", method="get"),
            table, *pager])

    @page("/returns/{return_id}")
    def return_page(self, request: Request, return_id: str) -> Page:
        store = self.store
        item = self._find(return_for, store, return_id)
        body: list[Node] = [
            Heading(f"Return {item.id}"),
            Details([("Return", item.id), ("Order", Link(item.order, f"/orders/{_q(item.order)}")),
                     ("Status", item.status), ("Created", item.created),
                     ("Reason", REASONS[item.reason]), ("Comment", item.comment or "—"),
                     ("Refund to", REFUND_METHODS[item.refund_method]),
                     ("Restocking fee", cents_text(item.restocking_fee_cents)),
                     ("Refund", f"{cents_text(item.refund_cents)} {store.currency}")],
                    "Return details"),
            Table("Returned items", ["Line", "SKU", "Product", "Qty"], [
                [str(rl.line), rl.sku, rl.name, str(rl.quantity)] for rl in item.lines]),
            Table("History", ["Date", "Status", "Note"], [
                [e.date, e.status, e.note] for e in item.history])]
        if store.account is None:
            buttons: list[Node] = [Button(label, "action", step)
                                   for step, (needs, _, label) in ACTIONS.items()
                                   if needs == item.status]
            if buttons:
                body.append(Form("process", [TextArea("note", "Note"), *buttons],
                                 label="Process return"))
        elif item.status == "requested":
            body.append(Form("cancel", [Button("Cancel return")], label="Cancel return"))
        body.append(Link("All returns", "/returns"))
        return Page(f"Return {item.id}", body)

    @action("/returns/{return_id}")
    def return_page_post(self, request: Request, return_id: str) -> Redirect | Invalid:
        store = self.store
        item = self._find(return_for, store, return_id)
        try:
            if request.form.get("_form") == "process":
                step = request.form.get("action", "")
                process_return(store, self._today, item.id, step, request.form.get("note", ""))
                notice = f"Return {item.id} is {item.status}."
            else:
                cancel_return(store, self._today, item.id)
                notice = f"Return {item.id} is cancelled."
        except ShopError as exc:
            return _invalid(exc)
        return Redirect(f"/returns/{_q(item.id)}", notice)

    @page("/customers")
    def customers(self, request: Request) -> Page:
        store = self.store
        if store.account is not None:
            return _staff_only()
        try:
            found, problem = find_customers(store, request.arg("q")), ""
        except ShopError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        body: list[Node] = [Heading("Customers"),
                            Form("search", [Input("q", "Search customers", "search",
                                                  request.arg("q")), Button("Search")],
                                 label="Search customers", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Customers", ["Customer", "Name", "E-mail", "City", "Store credit"], [
            [Link(c.id, f"/customers/{_q(c.id)}"), c.name, c.email, c.city,
             cents_text(c.store_credit_cents)] for c in rows]))
        return Page("Customers", [*body, *pager])

    @page("/customers/{customer_id}")
    def customer(self, request: Request, customer_id: str) -> Page:
        store = self.store
        if store.account is not None:
            return _staff_only()
        customer = store.customer(customer_id)
        if customer is None:
            raise NotFound(f"There is no customer {customer_id}.")
        orders = visible_orders(store, customer=customer.id)
        return Page(customer.name, [
            Heading(customer.name),
            Details([("Customer", customer.id), ("E-mail", customer.email),
                     ("City", customer.city), ("Store credit",
                                               cents_text(customer.store_credit_cents))],
                    "Customer details"),
            Table("Orders", ["Order", "Placed", "Status", "Total"], [
                [Link(o.id, f"/orders/{_q(o.id)}"), o.placed, o.status,
                 cents_text(o.subtotal_cents + o.shipping_cents)] for o in orders])])


def _q(text: str) -> str:
    """``text`` as one URL path segment or query value."""
    return quote(text, safe="")


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 9:
        return None
    return int(text)


def _invalid(exc: ShopError) -> Invalid:
    message = str(exc)
    if exc.field:
        return Invalid({exc.field: message})
    return Invalid({}, message[0].upper() + message[1:] + ".")


def _staff_only() -> Page:
    return Page("Staff only", [Heading("Staff only"),
                               Text("This page is for the shop's staff."),
                               Link("Home", "/")], status=403)
