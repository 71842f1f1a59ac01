import json
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from workgym.apps.shop import ShopStore, StockMove, cents_text
from workgym.content.shop import ARTICLES, catalogue, shop_store
from workgym.core import Episode

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)


def make_store(account: str | None = "C-001") -> ShopStore:
    store = ShopStore(account=account, restocking_fee_pct=10)
    store.add_customer("Lena Novak", "lena.novak@mail.example", "Berlin")
    store.add_customer("Omar Haddad", "omar.haddad@mail.example", "Lyon")
    store.add_product("TJ-BLU-M", "Trail Jacket, blue, M", "Apparel", 12900, stock=4,
                      description="Waterproof shell.")
    store.add_product("TJ-BLU-L", "Trail Jacket, blue, L", "Apparel", 12900, stock=0)
    store.add_product("HS-M", "Hiking Socks 3-pack, M", "Apparel", 1900, stock=40)
    store.add_product("GC-50", "Gift Card 50", "Gifts", 5000, returnable=False)
    store.add_product("TN", "Tent 2P", "Gear", 29900, stock=2, reorder_level=3)
    store.add_order("O-1001", "C-001", date(2026, 2, 10),
                    [("TJ-BLU-M", 1), ("HS-M", 2), ("GC-50", 1)], status="delivered",
                    shipped=date(2026, 2, 11), delivered=date(2026, 2, 14), shipping_cents=495,
                    tracking="TRK100")
    store.add_order("O-1002", "C-001", date(2026, 1, 5), [("HS-M", 1)], status="delivered",
                    delivered=date(2026, 1, 9))
    store.add_order("O-1003", "C-001", date(2026, 3, 1), [("TN", 1)])
    store.add_order("O-1004", "C-002", date(2026, 2, 18), [("TJ-BLU-L", 1)],
                    status="delivered", delivered=date(2026, 2, 20))
    store.add_order("O-1005", "C-001", date(2026, 2, 27), [("HS-M", 1)], status="shipped",
                    shipped=date(2026, 2, 28))
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("shop",), family="tests/shop", now=NOW, stores={"shop": make_store()})


@pytest.fixture
def staff(start_episode):
    return start_episode(("shop",), family="tests/shop", now=NOW,
                         stores={"shop": make_store(account=None)})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    assert ep.world.digest() == before
    return result.text


def shop(ep: Episode) -> ShopStore:
    store = ep.world.stores["shop"]
    assert isinstance(store, ShopStore)
    return store


def skus(page) -> list[str]:
    return [row["sku"] for row in page["results"]]


# -- catalogue -------------------------------------------------------------------------


def test_search_products_matches_words_sorted_by_name(ep):
    assert skus(ok(ep, "shop.search_products", query="trail jacket")) == ["TJ-BLU-L", "TJ-BLU-M"]
    assert skus(ok(ep, "shop_search_products", query="JACK*")) == ["TJ-BLU-L", "TJ-BLU-M"]
    assert skus(ok(ep, "shop.search_products", query="jack")) == []  # words, not substrings
    assert skus(ok(ep, "shop.search_products", query="waterproof")) == ["TJ-BLU-M"]
    assert skus(ok(ep, "shop.search_products", query="tj-blu-m")) == ["TJ-BLU-M"]
    assert skus(ok(ep, "shop.search_products", category="gifts")) == ["GC-50"]
    assert skus(ok(ep, "shop.search_products", query="jacket", in_stock=False)) == ["TJ-BLU-L"]
    everything = ok(ep, "shop.search_products")
    assert everything["total"] == 5 and len(everything["results"]) == 5
    page = ok(ep, "shop.search_products", limit=2, offset=2)
    assert page["total"] == 5 and page["offset"] == 2
    assert skus(page) == skus(everything)[2:4]
    assert everything["results"][0] == {"sku": "GC-50", "name": "Gift Card 50",
                                         "category": "Gifts", "price": "50.00", "stock": 0,
                                         "returnable": False}


def test_search_products_bad_input(ep):
    err(ep, "shop.search_products", "no words to search for", query="!!!")
    err(ep, "shop.search_products", "less than or equal to 100", limit=101)
    err(ep, "shop.search_products", "at most 500", query="x" * 501)


def test_get_product(ep):
    product = ok(ep, "shop.get_product", sku="TN")
    assert product == {"sku": "TN", "name": "Tent 2P", "category": "Gear", "price": "299.00",
                       "stock": 2, "returnable": True, "description": "",
                       "reorder_level": 3, "currency": "EUR"}
    err(ep, "shop.get_product", "search_products lists them", sku="TN-9")


# -- orders ----------------------------------------------------------------------------


def test_a_customer_lists_their_own_orders_newest_first(ep):
    listed = ok(ep, "shop.list_orders")
    assert [o["id"] for o in listed["results"]] == ["O-1003", "O-1005", "O-1001", "O-1002"]
    assert listed["results"][2] == {"id": "O-1001", "customer": "C-001",
                                    "placed": "2026-02-10", "status": "delivered",
                                    "items": 4, "total": "221.95"}
    delivered = ok(ep, "shop.list_orders", status="delivered")
    assert [o["id"] for o in delivered["results"]] == ["O-1001", "O-1002"]
    assert ok(ep, "shop.list_orders", customer_id="C-001")["total"] == 4
    err(ep, "shop.list_orders", "only your own orders", customer_id="C-002")
    err(ep, "shop.list_orders", "'status'", status="lost")


def test_staff_list_every_order_and_filter_by_customer(staff):
    assert ok(staff, "shop.list_orders")["total"] == 5
    assert [o["id"] for o in ok(staff, "shop.list_orders", customer_id="C-002")["results"]] \
        == ["O-1004"]


def test_get_order_shows_what_can_still_be_returned(ep):
    order = ok(ep, "shop.get_order", order_id="O-1001")
    assert order["return_deadline"] == "2026-03-16" and order["total"] == "221.95"
    assert [(line["line"], line["returned"], line["returnable"]) for line in order["lines"]] == [
        (1, 0, 1), (2, 0, 2), (3, 0, 0)]  # line 3 is a final-sale gift card
    assert ok(ep, "shop.get_order", order_id="O-1002")["lines"][0]["returnable"] == 0  # closed
    assert ok(ep, "shop.get_order", order_id="O-1003")["return_deadline"] is None
    err(ep, "shop.get_order", "no order 'O-1004'", order_id="O-1004")  # someone else's
    err(ep, "shop.get_order", "list_orders lists your orders", order_id="O-9")


# -- returns ----------------------------------------------------------------------------


def test_create_return_keeps_the_restocking_fee_for_a_change_of_mind(ep):
    created = ok(ep, "shop.create_return", order_id="O-1001",
                 items=[{"line": 2, "quantity": 2}], reason="wrong_size", comment=" Too small ")
    assert created["id"] == "R-0001" and created["status"] == "requested"
    assert created["refund"] == "34.20" and created["restocking_fee"] == "3.80"
    assert created["comment"] == "Too small" and created["created"] == "2026-03-02"
    assert created["lines"] == [{"line": 2, "sku": "HS-M", "name": "Hiking Socks 3-pack, M",
                                 "quantity": 2, "unit_price": "19.00"}]
    damaged = ok(ep, "shop.create_return", order_id="O-1001",
                 items=[{"line": 1, "quantity": 1}], reason="damaged",
                 refund_method="store_credit")
    assert damaged["id"] == "R-0002" and damaged["refund"] == "129.00"
    assert damaged["restocking_fee"] == "0.00"
    lines = ok(ep, "shop.get_order", order_id="O-1001")["lines"]
    assert [(line["returned"], line["returnable"]) for line in lines] == [(1, 0), (2, 0), (0, 0)]
    assert ok(ep, "shop.get_order", order_id="O-1001")["returns"] == ["R-0001", "R-0002"]
    err(ep, "shop.create_return", "can be returned 0 more times", order_id="O-1001",
        items=[{"line": 2, "quantity": 1}], reason="damaged")


@pytest.mark.parametrize(("args", "match"), [
    ({"order_id": "O-1003", "items": [{"line": 1, "quantity": 1}]},
     "only delivered orders can be returned (a placed order can be cancelled instead)"),
    ({"order_id": "O-1005", "items": [{"line": 1, "quantity": 1}]}, "O-1005 is shipped"),
    ({"order_id": "O-1002", "items": [{"line": 1, "quantity": 1}]},
     "closed on 2026-02-08"),
    ({"order_id": "O-1004", "items": [{"line": 1, "quantity": 1}]}, "no order 'O-1004'"),
    ({"order_id": "O-1001", "items": [{"line": 9, "quantity": 1}]},
     "has no line 9; its lines are 1, 2, 3"),
    ({"order_id": "O-1001", "items": [{"line": 3, "quantity": 1}]}, "final sale"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 2}]},
     "can be returned 1 more time (ordered 1, 0 already in returns)"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 1}, {"line": 1, "quantity": 1}]},
     "line 1 is given twice"),
    ({"order_id": "O-1001", "items": []}, "'items'"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 0}]}, "'items.0.quantity'"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 1}], "reason": "meh"}, "'reason'"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 1}], "comment": "x" * 1001},
     "'comment'"),
    ({"order_id": "O-1001", "items": [{"line": 1, "quantity": 1}], "refund_method": "cash"},
     "'refund_method'"),
])
def test_create_return_refuses_what_the_rules_forbid(ep, args, match):
    err(ep, "shop.create_return", match, **{"reason": "damaged", **args})


def test_cancel_a_requested_return_frees_its_items(ep):
    ok(ep, "shop.create_return", order_id="O-1001", items=[{"line": 1, "quantity": 1}],
       reason="defective")
    cancelled = ok(ep, "shop.cancel_return", return_id="R-0001")
    assert cancelled["status"] == "cancelled"
    assert [e["status"] for e in cancelled["history"]] == ["requested", "cancelled"]
    assert ok(ep, "shop.get_order", order_id="O-1001")["lines"][0]["returnable"] == 1
    err(ep, "shop.cancel_return", "only a requested return can be cancelled",
        return_id="R-0001")
    err(ep, "shop.cancel_return", "list_returns lists them", return_id="R-0099")
    listed = ok(ep, "shop.list_returns")
    assert listed["results"] == [{"id": "R-0001", "order": "O-1001", "customer": "C-001",
                                  "status": "cancelled", "reason": "defective",
                                  "created": "2026-03-02", "refund": "129.00"}]
    assert ok(ep, "shop.list_returns", status="requested")["total"] == 0


def test_a_customer_cannot_use_the_staff_tools(ep):
    ok(ep, "shop.create_return", order_id="O-1001", items=[{"line": 1, "quantity": 1}],
       reason="damaged")
    err(ep, "shop.process_return", "for the shop's staff", return_id="R-0001",
        action="approve")
    err(ep, "shop.restock", "for the shop's staff", sku="TN", quantity=3)
    err(ep, "shop.list_customers", "for the shop's staff")
    assert ok(ep, "shop.get_customer", customer_id="C-001")["name"] == "Lena Novak"
    err(ep, "shop.get_customer", "your own account is C-001", customer_id="C-002")


def test_staff_take_a_return_through_to_the_refund(staff):
    ok(staff, "shop.create_return", order_id="O-1001", items=[{"line": 2, "quantity": 2}],
       reason="no_longer_needed", refund_method="store_credit")
    err(staff, "shop.process_return", "'receive' needs a return that is approved",
        return_id="R-0001", action="receive")
    err(staff, "shop.process_return", "say why the return is rejected", return_id="R-0001",
        action="reject")
    ok(staff, "shop.process_return", return_id="R-0001", action="approve", note="ok")
    stock = shop(staff).product("HS-M").stock
    ok(staff, "shop.process_return", return_id="R-0001", action="receive")
    assert shop(staff).product("HS-M").stock == stock + 2  # back on the shelf
    done = ok(staff, "shop.process_return", return_id="R-0001", action="refund")
    assert done["status"] == "refunded" and done["refund"] == "34.20"
    assert [e["status"] for e in done["history"]] == ["requested", "approved", "received",
                                                       "refunded"]
    assert ok(staff, "shop.get_customer", customer_id="C-001")["store_credit"] == "34.20"
    assert [(m.sku, m.delta, m.reason, m.ref) for m in shop(staff).stock_moves] == [
        ("HS-M", 2, "return", "R-0001")]
    err(staff, "shop.process_return", "'action'", return_id="R-0001", action="archive")


def test_damaged_items_do_not_go_back_in_stock(staff):
    ok(staff, "shop.create_return", order_id="O-1004", items=[{"line": 1, "quantity": 1}],
       reason="damaged")
    ok(staff, "shop.process_return", return_id="R-0001", action="approve")
    ok(staff, "shop.process_return", return_id="R-0001", action="receive")
    assert shop(staff).product("TJ-BLU-L").stock == 0 and shop(staff).stock_moves == []
    rejected = ok(staff, "shop.create_return", order_id="O-1001",
                  items=[{"line": 1, "quantity": 1}], reason="defective")
    ok(staff, "shop.process_return", return_id=rejected["id"], action="reject",
       note="Worn outdoors.")
    assert ok(staff, "shop.get_order", order_id="O-1001")["lines"][0]["returnable"] == 1


def test_cancel_order_only_before_shipping(ep):
    cancelled = ok(ep, "shop.cancel_order", order_id="O-1003")
    assert cancelled["status"] == "cancelled"
    assert shop(ep).product("TN").stock == 3
    err(ep, "shop.cancel_order", "request a return instead", order_id="O-1001")
    err(ep, "shop.cancel_order", "O-1005 is shipped", order_id="O-1005")
    err(ep, "shop.cancel_order", "O-1003 is cancelled", order_id="O-1003")


def test_restock_and_customers_for_staff(staff):
    product = ok(staff, "shop.restock", sku="TJ-BLU-L", quantity=6, note="PO-77")
    assert product["stock"] == 6
    move = shop(staff).stock_moves[-1]
    assert (move.id, move.delta, move.reason, move.note, move.date) == (
        1, 6, "restock", "PO-77", "2026-03-02")
    err(staff, "shop.restock", "search_products lists them", sku="NOPE", quantity=1)
    err(staff, "shop.restock", "'quantity'", sku="TN", quantity=0)
    found = ok(staff, "shop.list_customers", query="haddad")
    assert found["results"] == [{"id": "C-002", "name": "Omar Haddad",
                                 "email": "omar.haddad@mail.example", "city": "Lyon",
                                 "store_credit": "0.00", "orders": ["O-1004"]}]
    assert ok(staff, "shop.list_customers")["total"] == 2
    err(staff, "shop.get_customer", "list_customers lists them", customer_id="C-9")


def test_the_stock_log_lists_each_move_newest_first_with_its_cause(start_episode):
    store = make_store(account=None)
    store.stock_moves.append(StockMove(id=1, sku="HS-M", delta=10, reason="restock",
                                       date="2026-02-01", note="PO-70"))
    staff = start_episode(("shop",), family="tests/shop", now=NOW, stores={"shop": store})
    ok(staff, "shop.restock", sku="TJ-BLU-L", quantity=6, note="PO-77")
    ok(staff, "shop.cancel_order", order_id="O-1003")
    ok(staff, "shop.create_return", order_id="O-1001", items=[{"line": 2, "quantity": 2}],
       reason="no_longer_needed")
    ok(staff, "shop.process_return", return_id="R-0001", action="approve")
    ok(staff, "shop.process_return", return_id="R-0001", action="receive")
    before = staff.world.digest()
    log = ok(staff, "shop.list_stock_moves")
    assert log["total"] == 4 and log["offset"] == 0
    assert [(m["id"], m["date"], m["sku"], m["change"], m["reason"], m["ref"], m["note"])
            for m in log["results"]] == [
        (4, "2026-03-02", "HS-M", 2, "return", "R-0001", ""),
        (3, "2026-03-02", "TN", 1, "cancel", "O-1003", ""),
        (2, "2026-03-02", "TJ-BLU-L", 6, "restock", "", "PO-77"),
        (1, "2026-02-01", "HS-M", 10, "restock", "", "PO-70")]
    assert log["results"][1]["name"] == "Tent 2P"
    socks = ok(staff, "shop_list_stock_moves", sku=" HS-M ")
    assert [m["id"] for m in socks["results"]] == [4, 1]
    assert [m["id"] for m in ok(staff, "shop.list_stock_moves", reason="restock")["results"]] \
        == [2, 1]
    assert ok(staff, "shop.list_stock_moves", sku="HS-M", reason="cancel")["total"] == 0
    page = ok(staff, "shop.list_stock_moves", limit=2, offset=1)
    assert page["total"] == 4 and [m["id"] for m in page["results"]] == [3, 2]
    assert staff.world.digest() == before
    err(staff, "shop.list_stock_moves", "search_products lists them", sku="NOPE")
    err(staff, "shop.list_stock_moves", "'reason'", reason="sale")


def test_the_stock_log_is_for_staff_and_a_store_without_moves_loads(ep):
    err(ep, "shop.list_stock_moves", "the stock log is for the shop's staff")
    dumped = make_store(account=None).model_dump()
    del dumped["stock_moves"]  # a store saved before the log existed
    loaded = ShopStore.model_validate(dumped)
    assert loaded.stock_moves == [] and loaded.product("TN") is not None


# -- state --------------------------------------------------------------------------------


def test_reads_keep_the_digest_and_writes_move_it(ep):
    before = ep.world.digest()
    ok(ep, "shop.search_products", query="jacket")
    ok(ep, "shop.get_order", order_id="O-1001")
    ok(ep, "shop.list_orders")
    ok(ep, "shop.list_returns")
    ok(ep, "shop.get_customer", customer_id="C-001")
    assert ep.world.digest() == before
    ok(ep, "shop.cancel_order", order_id="O-1003")
    assert ep.world.digest() != before


def test_a_read_on_a_world_without_a_shop_adds_nothing(start_episode):
    ep = start_episode(("shop",), family="tests/shop", now=NOW)
    before = ep.world.digest()
    assert ok(ep, "shop.search_products")["total"] == 0
    assert "shop" not in ep.world.stores and ep.world.digest() == before


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = start_episode(("shop",), family="tests/shop", now=NOW,
                           stores={"shop": make_store()})
        ok(ep, "shop.create_return", order_id="O-1001", items=[{"line": 1, "quantity": 1}],
           reason="damaged", comment="Seam open")
        ok(ep, "shop.cancel_order", order_id="O-1003")
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_cents_text():
    assert [cents_text(c) for c in (0, 5, 12900, 123456, -250)] == [
        "0.00", "0.05", "129.00", "1234.56", "-2.50"]


# -- content --------------------------------------------------------------------------------


def test_shop_store_is_a_pure_function_of_its_stream():
    one = shop_store(random.Random(7), now=NOW, orders=40, customers=12)
    two = shop_store(random.Random(7), now=NOW, orders=40, customers=12)
    other = shop_store(random.Random(8), now=NOW, orders=40, customers=12)
    assert one.model_dump_json() == two.model_dump_json() != other.model_dump_json()
    assert one.account == "C-001" and len(one.products) == 24 and len(one.orders) == 40
    assert sum(o.customer == "C-001" for o in one.orders) == 6
    assert [o.id for o in one.orders] == [f"O-{1001 + n}" for n in range(40)]
    assert [o.placed for o in one.orders] == sorted(o.placed for o in one.orders)
    today = NOW.date()
    for order in one.orders:
        age = (today - date.fromisoformat(order.placed)).days
        if order.status == "placed":
            assert age <= 2
        if order.status == "delivered":
            assert order.delivered is not None and order.delivered <= today.isoformat()
            assert order.delivered > order.placed
    for item in one.returns:
        assert item.status in ("refunded", "rejected") and item.history[0].status == "requested"
        order = one.order(item.order)
        assert order is not None and order.status == "delivered"


def test_the_whole_catalogue_has_distinct_skus():
    everything = catalogue(random.Random(1), sum(len(a.variants) for a in ARTICLES))
    built = shop_store(random.Random(1), now=NOW, products=len(everything), orders=8)
    assert len({p.sku for p in built.products}) == len(everything)
    with pytest.raises(ValueError, match="holds"):
        catalogue(random.Random(1), len(everything) + 1)
    json.loads(built.model_dump_json())  # the digest's form


# -- the same return through the API and through the site -------------------------------------


def _snapshot_ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def test_a_return_through_the_site_leaves_the_store_the_api_leaves(start_episode):
    api = start_episode(("shop",), family="tests/shop", now=NOW, stores={"shop": make_store()})
    ok(api, "shop.create_return", order_id="O-1001",
       items=[{"line": 1, "quantity": 1}, {"line": 2, "quantity": 1}], reason="wrong_size",
       comment="Runs small", refund_method="store_credit")
    gui = start_episode(("browser",), family="tests/shop", now=NOW,
                        stores={"shop": make_store()})
    text = ok(gui, "browser.navigate", url="https://shop.example/orders")
    text = ok(gui, "browser.click", ref=_snapshot_ref(text, "link", "O-1001"))
    text = ok(gui, "browser.click", ref=_snapshot_ref(text, "link", "Request a return"))
    ok(gui, "browser.type", text="1", ref=_snapshot_ref(
        text, "spinbutton", "Quantity to return, line 1: Trail Jacket, blue, M"))
    ok(gui, "browser.type", text="1", ref=_snapshot_ref(
        text, "spinbutton", "Quantity to return, line 2: Hiking Socks 3-pack, M"))
    ok(gui, "browser.select_option", ref=_snapshot_ref(text, "combobox", "Reason"),
       values=["Wrong size or fit"])
    ok(gui, "browser.select_option", ref=_snapshot_ref(text, "combobox", "Refund to"),
       values=["store_credit"])
    ok(gui, "browser.type", ref=_snapshot_ref(text, "textbox", "Comment"), text="Runs small")
    done = ok(gui, "browser.click", ref=_snapshot_ref(text, "button", "Request return"))
    assert "- Page URL: https://shop.example/returns/R-0001" in done
    assert "status: Return R-0001 requested: a refund of 133.20 EUR" in done
    assert shop(gui).model_dump() == shop(api).model_dump()


def test_staff_actions_through_the_site_match_the_api(start_episode):
    api = start_episode(("shop",), family="tests/shop", now=NOW,
                        stores={"shop": make_store(account=None)})
    gui = start_episode(("shop", "browser"), family="tests/shop", now=NOW,
                        stores={"shop": make_store(account=None)})
    for ep in (api, gui):
        ok(ep, "shop.create_return", order_id="O-1004", items=[{"line": 1, "quantity": 1}],
           reason="wrong_item")
    ok(api, "shop.process_return", return_id="R-0001", action="approve", note="Photo checked")
    ok(api, "shop.process_return", return_id="R-0001", action="receive")
    ok(api, "shop.restock", sku="TN", quantity=4, note="PO-12")
    text = ok(gui, "browser.navigate", url="https://shop.example/returns/R-0001")
    ok(gui, "browser.type", ref=_snapshot_ref(text, "textbox", "Note"), text="Photo checked")
    text = ok(gui, "browser.click", ref=_snapshot_ref(text, "button", "Approve"))
    assert "status: Return R-0001 is approved." in text
    text = ok(gui, "browser.click", ref=_snapshot_ref(text, "button", "Mark received"))
    text = ok(gui, "browser.navigate", url="/products/TN")
    ok(gui, "browser.type", ref=_snapshot_ref(text, "spinbutton", "Quantity to add"), text="4")
    ok(gui, "browser.type", ref=_snapshot_ref(text, "textbox", "Note"), text="PO-12")
    text = ok(gui, "browser.click", ref=_snapshot_ref(text, "button", "Add stock"))
    assert "Added 4 to the stock of TN; 6 in stock now." in text
    assert shop(gui).model_dump() == shop(api).model_dump()
