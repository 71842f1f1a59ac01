import http.client
import random
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import Field
from test_shop import make_store

from workgym.apps._web import Form as WebForm
from workgym.apps._web import Heading as WebHeading
from workgym.apps._web import (
    Input,
    Invalid,
    Page,
    Redirect,
    Request,
    Site,
    Text,
    action,
    page,
    parse_url,
    serve_sites,
)
from workgym.apps._web import Link as WebLink
from workgym.apps.browser import MAX_HISTORY, BrowserStore
from workgym.apps.shop import ShopStore
from workgym.content.shop import shop_store
from workgym.core import Episode, Store, World

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)


# -- a small site of the test's own, for what the shop does not show --------------------------


class NotesStore(Store):
    host: str = "notes.example"
    notes: list[str] = Field(default_factory=list)


class NotesSite(Site):
    store_name = "testnotes"

    @property
    def name(self) -> str:
        return "Notes"

    def nav(self) -> list[WebLink]:
        return [WebLink("All notes", "/")]

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.world.stores["testnotes"]
        assert isinstance(store, NotesStore)
        return Page("Notes", [WebHeading("Notes"), *(Text(n) for n in store.notes),
                              WebForm("add", [Input("note", "Note"),
                                              Input("pin", "Pin it", "checkbox")],
                                      label="Add a note")])

    @action("/")
    def add(self, request: Request) -> Redirect | Invalid:
        store = self.world.stores["testnotes"]
        assert isinstance(store, NotesStore)
        note = request.form.get("note", "").strip()
        if not note:
            return Invalid({"note": "write something"})
        store.notes.append(("[pinned] " if request.form.get("pin") == "on" else "") + note)
        return Redirect("/", "Saved.")

    @page("/long")
    def long(self, request: Request) -> Page:
        return Page("Long", [Text(f"line {n} " + "x" * 60) for n in range(600)])

    @page("/loop")
    def loop(self, request: Request) -> Redirect:
        return Redirect("/loop")

    @page("/old")
    def old(self, request: Request) -> Redirect:
        return Redirect("/", "The page moved.")


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def ep(start_episode):
    return start_episode(("browser",), family="tests/browser", now=NOW,
                         stores={"shop": make_store(), "testnotes": NotesStore()})


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


def ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def snapshot_of(text: str) -> str:
    return text.split("```yaml\n", 1)[1].split("\n```", 1)[0]


def url_of(text: str) -> str:
    return text.split("- Page URL: ", 1)[1].split("\n", 1)[0]


def tab(ep: Episode) -> BrowserStore:
    store = ep.world.stores["browser"]
    assert isinstance(store, BrowserStore)
    return store


# -- navigation ------------------------------------------------------------------------------


def test_before_any_page(ep):
    text = ok(ep, "browser.snapshot")
    assert "- Page URL: about:blank" in text and "browser" not in ep.world.stores
    err(ep, "browser.click", "no page is open; call browser_navigate with a URL first "
        "(sites: https://notes.example/, https://shop.example/)", ref="e1")
    err(ep, "browser.navigate_back", "no earlier page")
    err(ep, "browser.navigate", "is a path and no page is open", url="/orders")


def test_navigate_takes_full_urls_paths_and_bare_hosts(ep):
    assert url_of(ok(ep, "browser_navigate", url="shop.example/products")) == \
        "https://shop.example/products"
    assert url_of(ok(ep, "browser.navigate", url="/orders?status=delivered")) == \
        "https://shop.example/orders?status=delivered"
    assert url_of(ok(ep, "browser.navigate", url="../returns")) == "https://shop.example/returns"
    assert url_of(ok(ep, "browser.navigate", url="HTTP://Shop.Example/")) == \
        "http://shop.example/"
    err(ep, "browser.navigate", "only http:// and https:// URLs", url="file:///etc/passwd")
    err(ep, "browser.navigate", "only http:// and https:// URLs", url="javascript:alert(1)")
    err(ep, "browser.navigate", "at least 1 character", url="")
    err(ep, "browser.navigate", "at most 2048", url="https://shop.example/" + "a" * 2048)
    query = "&".join(f"k{n}=v" for n in range(201))
    err(ep, "browser.navigate", "cannot open", url=f"https://shop.example/?{query}")


def test_an_unknown_host_answers_an_error_page(ep):
    text = ok(ep, "browser.navigate", url="https://shop.exmaple/orders")
    assert text.startswith("### Result\nshop.exmaple cannot be reached")
    assert "- heading \"This site can't be reached\" [level=1]" in text
    assert "- Page Title: shop.exmaple can't be reached" in text
    text = ok(ep, "browser.click", ref=ref(text, "link", "shop.example"))
    assert url_of(text) == "https://shop.example/"


def test_a_missing_page_is_a_404_page(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/nowhere")
    assert "There is no page at /nowhere on Northwind Outfitters." in text
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1004")
    assert "No order 'O-1004'." in text  # another customer's order does not exist here


def test_snapshot_lists_elements_with_refs(ep):
    store = ep.world.stores["testnotes"]
    assert isinstance(store, NotesStore)
    store.notes.append("Buy rope")
    text = ok(ep, "browser.navigate", url="https://notes.example/")
    assert text.startswith("### Result\nNavigated to https://notes.example/\n\n### Page state\n"
                           "- Page URL: https://notes.example/\n- Page Title: Notes\n")
    assert snapshot_of(text).splitlines() == [
        "- banner:",
        '  - link "Notes" [ref=e1]:',
        "    - /url: /",
        "  - navigation:",
        '    - link "All notes" [ref=e2]:',
        "      - /url: /",
        "- main:",
        '  - heading "Notes" [level=1]',
        "  - paragraph: Buy rope",
        '  - form "Add a note":',
        '    - textbox "Note" [ref=e3]',
        '    - checkbox "Pin it" [ref=e4]',
    ]
    assert ok(ep, "browser.snapshot") == text.replace("Navigated to https://notes.example/",
                                                      "Page snapshot")


def test_click_follows_links_and_history_goes_back_and_forward(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders")
    text = ok(ep, "browser.click", ref=ref(text, "link", "O-1001"), element="order O-1001")
    assert text.startswith('### Result\nClicked link "O-1001"; opened '
                           "https://shop.example/orders/O-1001")
    assert "- table \"Items\"" in text and "row \"1 | TJ-BLU-M |" in text
    assert url_of(ok(ep, "browser.navigate_back")) == "https://shop.example/orders"
    assert url_of(ok(ep, "browser.navigate_forward")) == "https://shop.example/orders/O-1001"
    err(ep, "browser.navigate_forward", "no later page")
    ok(ep, "browser.navigate_back")
    ok(ep, "browser.navigate", url="/returns")  # drops the entries after the open one
    assert tab(ep).history == ["https://shop.example/orders", "https://shop.example/returns"]
    err(ep, "browser.navigate_forward", "no later page")


def test_a_stale_ref_says_to_take_a_new_snapshot(ep):
    ok(ep, "browser.navigate", url="https://shop.example/")
    err(ep, "browser.click", "Ref e99 (the cart) not found in the current page snapshot. "
        "Try capturing new snapshot.", ref="e99", element="the cart")


def test_type_fills_text_fields_only(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1001/return")
    quantity = ref(text, "spinbutton", "Quantity to return, line 1: Trail Jacket, blue, M")
    err(ep, "browser.type", "is not a text field", ref=ref(text, "link", "Products"), text="x")
    err(ep, "browser.type", "takes a number", ref=quantity, text="one")
    err(ep, "browser.type", "at most 5000", ref=quantity, text="1" * 5001)
    typed = ok(ep, "browser.type", ref=quantity, text="1")
    assert 'Quantity to return, line 1: Trail Jacket, blue, M" [ref=' in typed
    assert f'[ref={quantity}]: "1"' in typed
    assert tab(ep).page.values == {"return": {"qty_1": "1"}}


def test_select_option_by_label_or_value(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1001/return")
    reason = ref(text, "combobox", "Reason")
    chosen = ok(ep, "browser.select_option", ref=reason, values=["arrived damaged"])
    assert chosen.startswith('### Result\nSelected "Arrived damaged" in combobox "Reason"')
    assert '- option "Arrived damaged" [selected]' in chosen
    ok(ep, "browser.select_option", ref=reason, values=["wrong_item"])
    assert tab(ep).page.values["return"]["reason"] == "wrong_item"
    err(ep, "browser.select_option", 'has no option \'Broken\'; its options: "Choose a reason", '
        '"Arrived damaged"', ref=reason, values=["Broken"])
    err(ep, "browser.select_option", "is not a drop-down",
        ref=ref(text, "textbox", "Comment"), values=["x"])
    err(ep, "browser.select_option", "at most 1 item", ref=reason, values=["damaged", "defective"])


def test_enter_sends_the_focused_fields_form(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/")
    ok(ep, "browser.type", ref=ref(text, "searchbox", "Search products"), text="trail jacket")
    done = ok(ep, "browser.press_key", key="enter")
    assert url_of(done) == "https://shop.example/products?q=trail+jacket"
    assert "row \"TJ-BLU-L | Trail Jacket, blue, L | Apparel | 129.00 | 0\"" in done
    assert "Page 1 of 1 · 2 results" in done
    assert ok(ep, "browser.press_key", key="Tab").startswith("### Result\nPressed Tab")
    err(ep, "browser.press_key", "unknown key 'F13'; press one of: Enter, Tab", key="F13")
    nothing = ok(ep, "browser.press_key", key="Enter")  # a new page: nothing has the focus
    assert "no field has the focus, so nothing happened" in nothing


def test_a_checkbox_toggles_and_a_get_form_filters(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/products?q=jacket")
    box = ref(text, "checkbox", "In stock only")
    checked = ok(ep, "browser.click", ref=box)
    assert f'- checkbox "In stock only" [checked] [ref={box}]' in checked
    done = ok(ep, "browser.click", ref=ref(checked, "button", "Search"))
    assert url_of(done) == "https://shop.example/products?q=jacket&category=&in_stock=on"
    assert "TJ-BLU-M" in done and "TJ-BLU-L" not in done
    unchecked = ok(ep, "browser.click", ref=ref(done, "checkbox", "In stock only"))
    assert "[checked]" not in unchecked


def test_lists_are_paged_with_real_links(start_episode):
    store = shop_store(random.Random(3), now=NOW, products=30, orders=10)
    ep = start_episode(("browser",), family="tests/browser", now=NOW, stores={"shop": store})
    first = ok(ep, "browser.navigate", url="https://shop.example/products")
    assert "Page 1 of 2 · 30 results" in first and "Previous page" not in first
    table = ok(ep, "browser.read_table", ref=ref(first, "table", "Products"))
    names = sorted(store.products, key=lambda p: (p.name.casefold(), p.sku))
    assert [row[0] for row in table["rows"]] == [p.sku for p in names[:20]]
    second = ok(ep, "browser.click", ref=ref(first, "link", "Next page"))
    assert url_of(second) == "https://shop.example/products?page=2"
    rows = ok(ep, "browser.read_table", ref=ref(second, "table", "Products"))["rows"]
    assert [row[0] for row in rows] == [p.sku for p in names[20:]]
    back = ok(ep, "browser.click", ref=ref(second, "link", "Previous page"))
    assert url_of(back) == "https://shop.example/products"


def test_a_refused_form_shows_its_errors_and_changes_nothing_in_the_shop(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1001/return")
    ok(ep, "browser.type", text="2", ref=ref(
        text, "spinbutton", "Quantity to return, line 1: Trail Jacket, blue, M"))
    shop_before = ep.world.stores["shop"].model_dump_json()
    refused = ok(ep, "browser.click", ref=ref(text, "button", "Request return"))
    assert "the form was refused" in refused
    assert "- alert: The form has errors; correct them and send it again." in refused
    assert "- alert: choose a reason" in refused
    assert ep.world.stores["shop"].model_dump_json() == shop_before
    ok(ep, "browser.select_option", ref=ref(refused, "combobox", "Reason"), values=["damaged"])
    refused = ok(ep, "browser.click", ref=ref(refused, "button", "Request return"))
    assert ("- alert: line 1 (Trail Jacket, blue, M) can be returned 1 more time (ordered 1, 0 "
            "already in returns)") in refused
    assert '- option "Arrived damaged" [selected]' in refused  # what was chosen stays
    assert ep.world.stores["shop"].model_dump_json() == shop_before
    ok(ep, "browser.type", text="1", ref=ref(
        refused, "spinbutton", "Quantity to return, line 1: Trail Jacket, blue, M"))
    done = ok(ep, "browser.click", ref=ref(refused, "button", "Request return"))
    assert url_of(done) == "https://shop.example/returns/R-0001"
    shop = ep.world.stores["shop"]
    assert isinstance(shop, ShopStore) and [r.reason for r in shop.returns] == ["damaged"]
    # the notice belongs to the page the form led to
    assert "status: Return R-0001 requested" in done
    assert "status:" not in ok(ep, "browser.navigate", url="/returns/R-0001")


def test_read_table_gives_rows_with_typed_values(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1001/return")
    ok(ep, "browser.type", text="2", ref=ref(
        text, "spinbutton", "Quantity to return, line 2: Hiking Socks 3-pack, M"))
    before = ep.world.digest()
    table = ok(ep, "browser.read_table", ref=ref(text, "table", "Items to return"))
    assert table == {"caption": "Items to return",
                     "columns": ["Line", "Product", "Ordered", "Can return",
                                 "Quantity to return"],
                     "rows": [["1", "Trail Jacket, blue, M", "1", "1", "0"],
                              ["2", "Hiking Socks 3-pack, M", "2", "2", "2"],
                              ["3", "Gift Card 50", "1", "final sale", "—"]]}
    assert ep.world.digest() == before
    err(ep, "browser.read_table", "is not a table", ref=ref(text, "combobox", "Reason"))


def test_a_long_page_comes_in_spans(ep):
    first = ok(ep, "browser.navigate", url="https://notes.example/long")
    assert "- Page Snapshot (Span 1 of 5):" in first
    assert first.endswith("The page continues: browser_snapshot with span=2 shows the next part.")
    assert len(first) < 12_500
    last = ok(ep, "browser.snapshot", span=5)
    assert "- Page Snapshot (Span 5 of 5):" in last and "paragraph: line 599" in last
    assert "The page continues" not in last
    err(ep, "browser.snapshot", "span must be between 1 and 5", span=6)


def test_redirects_are_followed_with_their_notice(ep):
    text = ok(ep, "browser.navigate", url="https://notes.example/old")
    assert url_of(text) == "https://notes.example/" and "- status: The page moved." in text
    err(ep, "browser.navigate", "redirects more than 5 times", url="https://notes.example/loop")


def test_a_form_outside_the_shop_and_checkbox_values(ep):
    text = ok(ep, "browser.navigate", url="https://notes.example/")
    refused = ok(ep, "browser.press_key", key="Enter")
    assert "no field has the focus" in refused
    ok(ep, "browser.click", ref=ref(text, "checkbox", "Pin it"))
    refused = ok(ep, "browser.type", ref=ref(text, "textbox", "Note"), text=" ", submit=True)
    assert "- alert: write something" in refused
    assert "[checked]" in refused  # the values sent come back with the errors
    done = ok(ep, "browser.type", ref=ref(refused, "textbox", "Note"), text="Tent pegs",
              submit=True)
    assert "- paragraph: [pinned] Tent pegs" in done and "- status: Saved." in done


def test_history_keeps_the_last_entries(ep):
    for n in range(MAX_HISTORY + 5):
        ok(ep, "browser.navigate", url=f"https://shop.example/products?page={n}")
    history = tab(ep).history
    assert len(history) == MAX_HISTORY and history[-1].endswith(f"page={MAX_HISTORY + 4}")
    assert tab(ep).position == MAX_HISTORY - 1


def test_reads_keep_the_digest_and_actions_move_it(ep):
    text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1001/return")
    before = ep.world.digest()
    ok(ep, "browser.snapshot")
    ok(ep, "browser.read_table", ref=ref(text, "table", "Items to return"))
    assert ep.world.digest() == before
    ok(ep, "browser.type", ref=ref(text, "textbox", "Comment"), text="hello")
    typed = ep.world.digest()
    assert typed != before
    ok(ep, "browser.navigate", url="/orders")
    assert ep.world.digest() not in (before, typed)


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = start_episode(("browser",), family="tests/browser", now=NOW,
                           stores={"shop": make_store()})
        text = ok(ep, "browser.navigate", url="https://shop.example/orders/O-1003")
        ok(ep, "browser.click", ref=ref(text, "button", "Cancel order"))
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_parse_url():
    base = parse_url("https://shop.example/orders/O-1001")
    assert str(parse_url("return", base)) == "https://shop.example/orders/return"
    assert str(parse_url("/a/./b/../c?x=1", base)) == "https://shop.example/a/c?x=1"
    assert str(parse_url("https://shop.example:8080/")) == "https://shop.example:8080/"
    assert str(parse_url("https://shop.example/a b")) == "https://shop.example/a%20b"
    for bad in ("", "mailto:x@y", "https:///path"):
        with pytest.raises(ValueError):
            parse_url(bad)


# -- real HTML over loopback HTTP ----------------------------------------------------------------


@pytest.fixture
def world():
    from workgym.core import WorldTemplate
    made = WorldTemplate(now=NOW, stores={"shop": make_store()}).materialize()
    yield made
    made.cleanup()


def proxied(address: str) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": address}))


def test_the_sites_are_real_html_over_http(world: World):
    with serve_sites(world) as server:
        assert server.address.startswith("http://127.0.0.1:")
        opener = proxied(server.address)
        with opener.open("http://shop.example/orders/O-1001/return") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
            body = answer.read().decode()
        assert "<title>Return items · O-1001 · Northwind Outfitters</title>" in body
        assert ('<input type="number" id="f-return-qty_1" name="qty_1" aria-label="Quantity to '
                'return, line 1: Trail Jacket, blue, M" value="0" min="0" max="1">') in body
        assert '<option value="damaged">Arrived damaged</option>' in body
        assert '<input type="hidden" name="_form" value="return">' in body
        # the address itself answers the default site
        with urllib.request.urlopen(server.address + "/orders") as answer:
            assert '<a href="/orders/O-1001">O-1001</a>' in answer.read().decode()


def test_a_form_posted_over_http_changes_the_store_as_the_api_does(world: World, start_episode):
    api = start_episode(("shop",), family="tests/shop", now=NOW, stores={"shop": make_store()})
    ok(api, "shop.create_return", order_id="O-1001", items=[{"line": 1, "quantity": 1}],
       reason="damaged", comment="Zip torn")
    with serve_sites(world) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        form = urllib.parse.urlencode({"_form": "return", "qty_1": "1", "qty_2": "0",
                                       "reason": "damaged", "refund_method": "original_payment",
                                       "comment": "Zip torn"})
        connection.request("POST", "http://shop.example/orders/O-1001/return", form,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 303 and answer.headers["Location"] == "/returns/R-0001"
        cookie = answer.headers["Set-Cookie"].split(";")[0]
        assert cookie.startswith("wg_notice=Return%20R-0001%20requested")
        connection.request("GET", "http://shop.example/returns/R-0001", headers={"Cookie": cookie})
        answer = connection.getresponse()
        shown = answer.read().decode()
        assert '<div role="status">Return R-0001 requested' in shown
        assert answer.headers["Set-Cookie"] == "wg_notice=; Path=/; Max-Age=0"
        # a refused form answers 422 with the errors and changes nothing
        connection.request("POST", "http://shop.example/orders/O-1001/return",
                           urllib.parse.urlencode({"_form": "return", "qty_1": "1"}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        refused = answer.read().decode()
        assert answer.status == 422 and '<span role="alert" id="f-return-reason-error">' \
            'choose a reason</span>' in refused
        connection.close()
    assert world.stores["shop"].model_dump() == api.world.stores["shop"].model_dump()


def test_http_errors(world: World):
    with serve_sites(world) as server:
        opener = proxied(server.address)
        for url, status in (("http://nowhere.example/", 502), ("http://shop.example/nope", 404),
                            ("http://shop.example/customers", 403)):
            with pytest.raises(urllib.error.HTTPError) as caught:
                opener.open(url)
            assert caught.value.code == status
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open("http://nowhere.example/")
        assert "This site can&#x27;t be reached" in caught.value.read().decode()
        query = "&".join(f"k{n}=v" for n in range(300))
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(f"http://shop.example/products?{query}")
        assert caught.value.code == 400
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("POST", "/orders/O-1001/return", "x" * 70_000)
        answer = connection.getresponse()
        assert answer.status == 400 and b"larger than" in answer.read()
        connection.close()
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open("http://shop.example/products", b"_form=filter")
        assert caught.value.code == 405


def test_serve_sites_needs_a_site(world: World):
    with pytest.raises(ValueError, match="not a site of this world; its sites: shop.example"), \
            serve_sites(world, default_host="crm.example"):
        pass
    from workgym.core import WorldTemplate
    bare = WorldTemplate(now=NOW).materialize()
    with pytest.raises(ValueError, match="serves no site"), serve_sites(bare):
        pass
    bare.cleanup()


def test_html_escapes_what_the_store_holds(world: World):
    shop = world.stores["shop"]
    assert isinstance(shop, ShopStore)
    shop.add_product("XSS", "<script>alert(1)</script> & co", "Gear", 100)
    with serve_sites(world) as server, \
            proxied(server.address).open("http://shop.example/products/XSS") as answer:
        body = answer.read().decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in body


# -- over MCP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
async def test_the_mcp_path_gives_the_same_results_and_world(start_episode, strict: bool):
    from mcp.types import TextContent

    from workgym.serve import connect_in_process

    def started() -> Episode:
        return start_episode(("browser", "shop"), family="tests/browser", now=NOW,
                             stores={"shop": make_store()})

    served, direct = started(), started()
    async with connect_in_process(served, strict=strict) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"browser_navigate", "browser_click", "shop_create_return"} <= set(tools)

        async def both(name: str, args: dict) -> tuple[bool, str]:
            sent = dict(args)
            if strict:  # strict mode sends every property, null for the defaults
                properties = tools[name].input_schema["properties"]
                sent = {key: args.get(key) for key in properties}
            result = await client.call_tool(name, sent)
            assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text), name
            return mine.ok, mine.text

        _, text = await both("browser_navigate", {"url": "https://shop.example/orders/O-1001"})
        _, text = await both("browser_click", {"ref": ref(text, "link", "Request a return")})
        await both("browser_type", {"ref": ref(text, "spinbutton", "Quantity to return, line 2: "
                                               "Hiking Socks 3-pack, M"), "text": "2"})
        await both("browser_select_option", {"ref": ref(text, "combobox", "Reason"),
                                             "values": ["Wrong size or fit"]})
        await both("browser_press_key", {"key": "Enter"})
        assert (await both("shop_create_return", {
            "order_id": "O-1001", "items": [{"line": 1, "quantity": 1}],
            "reason": "damaged"}))[0]
        assert not (await both("shop_create_return", {
            "order_id": "O-1001", "items": [{"line": 1, "quantity": 1}], "reason": "damaged"}))[0]
        await both("browser_read_table", {"ref": "e5"})
        assert not (await both("browser_click", {"ref": "e999"}))[0]
    assert served.world.digest() == direct.world.digest()
    shop = served.world.stores["shop"]
    assert isinstance(shop, ShopStore) and [r.id for r in shop.returns] == ["R-0001", "R-0002"]


def test_a_site_class_is_checked_when_it_is_defined():
    with pytest.raises(ValueError, match="an @action's path needs an @page too"):
        class Orphan(Site):
            @action("/send")
            def send(self, request: Request) -> Redirect:
                return Redirect("/")
    with pytest.raises(ValueError, match="store 'testnotes' already has a site, NotesSite"):
        class Another(Site):
            store_name = "testnotes"
    with pytest.raises(ValueError, match="must start with '/'"):
        page("orders")
