"""browser: a web browser over the world's offline sites, modelled on the Playwright MCP
server (navigate, back, snapshot, click, type, select an option, press a key), plus
reading a table as data.

There is no network and no real browser: a URL such as ``https://shop.example/orders``
is answered by the world's sites (see ``workgym.apps._web``), rendered as an
accessibility tree whose elements carry refs (``[ref=e12]``) that the action tools take.
Every action answers the new page's snapshot, in the Playwright MCP result format
(``### Result``, ``### Page state`` with URL, title and the snapshot in a yaml fence).
Forms change the sites' state exactly as the same site served over HTTP does.

The browser's own state (its history, the position in it, what was typed into the open
page's forms, a notice shown after a form was sent, the focused field) is the small
``browser`` store, so the world digest covers it; the snapshot and read_table tools
change nothing. A long snapshot is cut into spans (``snapshot(span=2)`` shows the next).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

from pydantic import Field

from workgym.apps._web import (
    MAX_FIELD_CHARS,
    Bound,
    BoundPage,
    Form,
    Heading,
    Input,
    Page,
    PageState,
    Response,
    Select,
    Text,
    TextArea,
    Url,
    bind,
    dispatch,
    form_fields,
    parse_url,
    sites_in,
    snapshot_lines,
    table_rows,
)
from workgym.core import App, Store, ToolError, World, tool

__all__ = ["BrowserApp", "BrowserStore"]

MAX_HISTORY = 100
"""Entries the history keeps (the oldest go first)."""
MAX_SPAN_CHARS = 12_000
"""Longest part of a snapshot one result shows."""
MAX_LINE_CHARS = 2_000
"""Longest snapshot line (a longer one is cut with a note)."""
MAX_REDIRECTS = 5
KEYS = ("Enter", "Tab", "Escape", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight",
        "Backspace", "Home", "End", "PageDown", "PageUp")
"""Keys press_key knows; Enter sends the focused field's form, the others change nothing."""

Ref = Annotated[str, Field(min_length=1, max_length=32,
                           description="the element's ref from the snapshot, e.g. \"e12\"")]
Element = Annotated[str, Field(max_length=500, description=(
    "a human-readable description of the element, e.g. \"Orders link\" (optional; shown "
    "in the result)"))]


class BrowserStore(Store):
    """One browser tab: its history and the state of the open page."""

    history: list[str] = Field(default_factory=list)
    """URLs visited, oldest first."""
    position: int = -1
    """Index of the open page in ``history``; -1 before the first navigation."""
    page: PageState = Field(default_factory=PageState)
    """What was typed into the open page, its notice and errors."""


class BrowserApp(App):
    """A web browser over the offline sites of this world (e.g. https://shop.example/).
    Act on elements by the refs of the latest snapshot."""

    name = "browser"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._loaded: tuple[str, Response] | None = None
        """The page the running call just loaded (a call's own report reuses it)."""

    # -- state -----------------------------------------------------------------------------

    def _store(self) -> BrowserStore:
        """The tab's store, created on the first action (a read never adds it)."""
        return self.world.store("browser", BrowserStore)

    def _peek(self) -> BrowserStore:
        store = self.world.stores.get("browser")
        return store if isinstance(store, BrowserStore) else BrowserStore()

    def _url(self, store: BrowserStore) -> Url | None:
        if store.position < 0:
            return None
        return parse_url(store.history[store.position])

    def _render(self, store: BrowserStore) -> tuple[Url | None, BoundPage | None]:
        url = self._url(store)
        if url is None:
            return None, None
        try:
            response = dispatch(self.world, "GET", url)
        except ValueError as exc:
            response = Response(400, _message_page("Bad request", str(exc)))
        hops = 0
        while response.location is not None and hops < MAX_REDIRECTS:
            # a page that now redirects (its state changed): show where it leads
            url = parse_url(response.location, url)
            response = dispatch(self.world, "GET", url)
            hops += 1
        shown = response.page or _message_page("Too many redirects", f"{url} keeps redirecting.")
        return url, self._bind(url, shown, store)

    def _bind(self, url: Url, page: Page, store: BrowserStore) -> BoundPage:
        site = sites_in(self.world).get(url.host)
        if site is None:
            return bind("", (), page)
        return bind(site.name, site.nav(), page, store.page)

    def _open(self) -> tuple[Url, BoundPage]:
        url, page = self._render(self._peek())
        if url is None or page is None:
            raise ToolError("no page is open; call browser_navigate with a URL first"
                            + self._sites_hint())
        return url, page

    def _sites_hint(self) -> str:
        hosts = list(sites_in(self.world))
        return f" (sites: {', '.join(f'https://{h}/' for h in hosts)})" if hosts else ""

    def _element(self, page: BoundPage, ref: str, element: str) -> Bound:
        found = page.refs.get(ref.strip())
        if found is None:
            what = f" ({element})" if element else ""
            raise ToolError(f"Ref {ref}{what} not found in the current page snapshot. Try "
                            "capturing new snapshot.")
        return found

    # -- navigation ----------------------------------------------------------------------

    def _visit(self, url: Url, notice: str = "") -> Url:
        """Load ``url`` (following redirects) as a new history entry; the loaded URL."""
        try:
            response = dispatch(self.world, "GET", url)
        except ValueError as exc:
            raise ToolError(f"cannot open {url}: {exc}") from None
        hops = 0
        while response.location is not None:
            hops += 1
            if hops > MAX_REDIRECTS:
                raise ToolError(f"{url} redirects more than {MAX_REDIRECTS} times")
            notice = response.notice or notice
            url = parse_url(response.location, url)
            response = dispatch(self.world, "GET", url)
        self._push(str(url), PageState(notice=notice))
        self._loaded = (str(url), response)  # this call's report shows it, not a re-render
        return url

    def _push(self, url: str, state: PageState) -> None:
        store = self._store()
        del store.history[store.position + 1:]
        store.history.append(url)
        if len(store.history) > MAX_HISTORY:
            del store.history[:len(store.history) - MAX_HISTORY]
        store.position = len(store.history) - 1
        store.page = state

    def _report(self, result: str, span: int = 1) -> str:
        store = self._peek()
        loaded, self._loaded = self._loaded, None
        if loaded is not None and loaded[1].page is not None and store.position >= 0 \
                and loaded[0] == store.history[store.position]:
            url: Url | None = parse_url(loaded[0])
            page: BoundPage | None = self._bind(parse_url(loaded[0]), loaded[1].page, store)
        else:
            url, page = self._render(store)
        lines = [f"### Result\n{result}", "", "### Page state"]
        if url is None or page is None:
            lines += ["- Page URL: about:blank", "- Page Title: ",
                      "- Page Snapshot:", "```yaml", "```"]
            return "\n".join(lines)
        spans = _spans(snapshot_lines(page))
        if not 1 <= span <= len(spans):
            raise ToolError(f"span must be between 1 and {len(spans)} (the page has "
                            f"{len(spans)} span{'s' if len(spans) != 1 else ''})")
        count = f" (Span {span} of {len(spans)})" if len(spans) > 1 else ""
        lines += [f"- Page URL: {url}", f"- Page Title: {page.title}",
                  f"- Page Snapshot{count}:", "```yaml", *spans[span - 1], "```"]
        if span < len(spans):
            lines.append(f"The page continues: browser_snapshot with span={span + 1} shows "
                         "the next part.")
        return "\n".join(lines)

    @tool(destructive=False)
    def navigate(self, url: Annotated[str, Field(min_length=1, max_length=2048)]) -> str:
        """Open a URL in the tab, e.g. "https://shop.example/orders" (a path such as
        "/orders" is taken relative to the open page). Returns the page's snapshot.

        Args:
            url: the URL to open.
        """
        store = self._peek()
        try:
            target = parse_url(url, self._url(store))
            target.params()
        except ValueError as exc:
            raise ToolError(f"cannot open {url!r}: {exc}") from None
        loaded = self._visit(target)
        if loaded.host not in sites_in(self.world):
            return self._report(f"{loaded.host} cannot be reached: no site of this offline "
                                f"network has that name{self._sites_hint()}")
        return self._report(f"Navigated to {loaded}")

    @tool(destructive=False)
    def navigate_back(self) -> str:
        """Go back to the previous page of the tab's history. Returns its snapshot."""
        store = self._peek()
        if store.position <= 0:
            raise ToolError("there is no earlier page in this tab's history")
        store = self._store()
        store.position -= 1
        store.page = PageState()
        return self._report(f"Navigated back to {store.history[store.position]}")

    @tool(destructive=False)
    def navigate_forward(self) -> str:
        """Go forward to the next page of the tab's history. Returns its snapshot."""
        store = self._peek()
        if store.position >= len(store.history) - 1:
            raise ToolError("there is no later page in this tab's history")
        store = self._store()
        store.position += 1
        store.page = PageState()
        return self._report(f"Navigated forward to {store.history[store.position]}")

    @tool(read_only=True, concurrent=False)
    def snapshot(self, span: Annotated[int, Field(ge=1, le=1000)] = 1) -> str:
        """The open page as an accessibility tree: one line per element, such as
        `- link "Orders" [ref=e3]` with its `/url`, `- spinbutton "Quantity" [ref=e7]: "2"`
        with the value typed, `- combobox` with its options ([selected] marks the chosen
        one), `- table` with a `columns` line and one `row` per row (cells joined by " | ").

        Args:
            span: which part of a long page to show (the result says how many there are).
        """
        return self._report("Page snapshot", span)

    # -- acting on elements --------------------------------------------------------------

    @tool(destructive=False)
    def click(self, ref: Ref, element: Element = "") -> str:
        """Click an element: a link opens its page, a button sends its form, a checkbox
        toggles. Returns the new snapshot.

        Args:
            ref: the element's ref from the snapshot, e.g. "e12".
            element: what the element is, in words (optional).
        """
        url, page = self._open()
        target = self._element(page, ref, element)
        name = f'{target.role} "{target.name}"'
        if target.role == "link":
            try:
                destination = parse_url(target.url, url)
            except ValueError as exc:
                raise ToolError(f"the link {target.name!r} leads nowhere: {exc}") from None
            loaded = self._visit(destination)
            return self._report(f"Clicked {name}; opened {loaded}")
        if target.role == "button":
            if target.form is None:
                return self._report(f"Clicked {name}; nothing happened")
            return self._submit(url, page, target.form, target.node.name,
                                target.node.value, f"Clicked {name}")
        if target.role == "checkbox":
            state = self._edit(target, "" if target.value == "on" else "on")
            return self._report(f"{'Checked' if state == 'on' else 'Unchecked'} {name}")
        if target.role in ("textbox", "searchbox", "spinbutton", "combobox"):
            self._focus(target)
            return self._report(f"Clicked {name}; it has the focus")
        return self._report(f"Clicked {name}; nothing happened")

    @tool(destructive=False)
    def type(self, ref: Ref, text: Annotated[str, Field(max_length=MAX_FIELD_CHARS)],
             element: Element = "", submit: bool = False) -> str:
        """Type text into a text field, replacing what it holds (as filling it in does).
        Returns the new snapshot.

        Args:
            ref: the field's ref from the snapshot, e.g. "e12".
            text: the text to enter.
            element: what the field is, in words (optional).
            submit: press Enter afterwards, which sends the field's form.
        """
        url, page = self._open()
        target = self._element(page, ref, element)
        if target.role not in ("textbox", "searchbox", "spinbutton"):
            raise ToolError(f'{target.role} "{target.name}" ({ref}) is not a text field; '
                            "type into a textbox, searchbox or spinbutton (a combobox takes "
                            "browser_select_option, a checkbox browser_click)")
        if target.role == "spinbutton" and text.strip() and not _number(text):
            raise ToolError(f'spinbutton "{target.name}" takes a number; type digits such '
                            "as 2")
        self._edit(target, text)
        name = f'{target.role} "{target.name}"'
        if submit:
            if target.form is None:
                return self._report(f"Typed into {name} and pressed Enter; nothing happened")
            url, page = self._open()
            return self._submit(url, page, target.form, "", "",
                                f"Typed into {name} and pressed Enter")
        return self._report(f"Typed into {name}")

    @tool(destructive=False)
    def select_option(self, ref: Ref, values: Annotated[list[Annotated[str, Field(
            max_length=500)]], Field(min_length=1, max_length=1)],
            element: Element = "") -> str:
        """Choose an option of a drop-down (combobox) by its label or value. Returns the
        new snapshot.

        Args:
            ref: the drop-down's ref from the snapshot, e.g. "e12".
            values: the option to choose, as a one-item list, e.g. ["Arrived damaged"].
            element: what the drop-down is, in words (optional).
        """
        _, page = self._open()
        target = self._element(page, ref, element)
        if target.role != "combobox":
            raise ToolError(f'{target.role} "{target.name}" ({ref}) is not a drop-down; '
                            "browser_select_option takes a combobox")
        node: Select = target.node
        wanted = values[0]
        chosen = next((v for v, label in node.options if wanted in (v, label)), None)
        if chosen is None:
            folded = wanted.strip().casefold()
            chosen = next((v for v, label in node.options
                           if folded in (v.casefold(), label.strip().casefold())), None)
        if chosen is None:
            labels = ", ".join(f'"{label}"' for _, label in node.options)
            raise ToolError(f'combobox "{target.name}" has no option {wanted!r}; its options: '
                            f"{labels}")
        self._edit(target, chosen)
        label = next(label for v, label in node.options if v == chosen)
        return self._report(f'Selected "{label}" in combobox "{target.name}"')

    @tool(destructive=False)
    def press_key(self, key: Annotated[str, Field(min_length=1, max_length=32)]) -> str:
        """Press a key in the page: Enter sends the form of the focused field (the one
        last typed into, selected or clicked). Returns the new snapshot.

        Args:
            key: the key's name, e.g. "Enter" (also Tab, Escape, the arrows, Backspace,
                Home, End, PageUp, PageDown).
        """
        known = {k.casefold(): k for k in KEYS}
        name = known.get(key.strip().casefold())
        if name is None:
            raise ToolError(f"unknown key {key!r}; press one of: {', '.join(KEYS)}")
        url, page = self._open()
        if name != "Enter":
            return self._report(f"Pressed {name}")
        focus = self._peek().page.focus
        form_id, _, field_name = focus.partition(" ")
        form = page.forms.get(form_id) if focus else None
        if form is None:
            return self._report("Pressed Enter; no field has the focus, so nothing happened "
                                "(type into a field first, or click a button)")
        return self._submit(url, page, form, "", "", f"Pressed Enter in {field_name!r}")

    @tool(read_only=True, concurrent=False)
    def read_table(self, ref: Ref, element: Element = "") -> dict[str, Any]:
        """A table of the open page as data: ``{"caption", "columns", "rows"}``, each row
        a list of cell texts (a link's text; a field's current value). Only the rows the
        page shows: follow its "Next page" link for more.

        Args:
            ref: the table's ref from the snapshot, e.g. "e9".
            element: what the table is, in words (optional).
        """
        _, page = self._open()
        target = self._element(page, ref, element)
        if target.role != "table":
            raise ToolError(f'{target.role} "{target.name}" ({ref}) is not a table; give the '
                            "ref of a `- table` line")
        return table_rows(target)

    # -- forms ---------------------------------------------------------------------------

    def _edit(self, target: Bound, value: str) -> str:
        store = self._store()
        form = target.form.id if target.form is not None else ""
        values = dict(store.page.values.get(form, {}))
        values[target.node.name] = value
        errors = {k: v for k, v in store.page.errors.get(form, {}).items()}
        store.page = store.page.model_copy(update={
            "values": {**store.page.values, form: values}, "errors": {
                **store.page.errors, form: errors},
            "focus": f"{form} {target.node.name}"})
        return value

    def _focus(self, target: Bound) -> None:
        store = self._store()
        form = target.form.id if target.form is not None else ""
        store.page = store.page.model_copy(update={"focus": f"{form} {target.node.name}"})

    def _submit(self, url: Url, page: BoundPage, form: Form, button: str, value: str,
                what: str) -> str:
        store = self._peek()
        typed = store.page.values.get(form.id, {})
        data: dict[str, str] = {}
        for item in form_fields(form):
            current = typed.get(item.name, _default(item))
            if isinstance(item, Input) and item.kind == "checkbox":
                if current == "on":
                    data[item.name] = "on"
                continue
            data[item.name] = current
        if button:
            data[button] = value
        try:
            target = parse_url(form.action, url) if form.action else url
        except ValueError as exc:
            raise ToolError(f"the form cannot be sent: {exc}") from None
        if form.method == "get":
            query = urllib.parse.urlencode(list(data.items()))
            loaded = self._visit(Url(target.scheme, target.host, target.path, query))
            return self._report(f"{what}; opened {loaded}")
        data["_form"] = form.id
        try:
            response = dispatch(self.world, "POST", target, data)
        except ValueError as exc:
            raise ToolError(f"the form cannot be sent: {exc}") from None
        if response.location is not None:
            loaded = self._visit(parse_url(response.location, target), response.notice)
            return self._report(f"{what}; the form was sent and {loaded} opened")
        writable = self._store()
        writable.page = response.state or PageState()
        if response.state is not None:
            writable.page = writable.page.model_copy(update={"focus": store.page.focus})
            return self._report(f"{what}; the form was refused: correct the fields marked "
                                "with an alert and send it again")
        return self._report(f"{what}; the site answered {response.status}")


def _default(item: Input | Select | TextArea) -> str:
    if isinstance(item, Select) and not item.value and item.options:
        return item.options[0][0]
    return item.value


def _number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _message_page(title: str, text: str) -> Page:
    return Page(title, [Heading(title), Text(text)], status=400)


def _spans(lines: list[str]) -> list[list[str]]:
    """Lines cut into parts of at most ``MAX_SPAN_CHARS`` characters."""
    spans: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + " … (line cut)"
        if spans[-1] and size + len(line) + 1 > MAX_SPAN_CHARS:
            spans.append([])
            size = 0
        spans[-1].append(line)
        size += len(line) + 1
    return spans

