"""Offline websites over a world's stores: the framework of the browser app's sites.

A **site** is a :class:`Site` subclass: a set of routes bound to one World and one host
name (``shop.example``). Its state is an app store (``store_name``), so a portal is the
same state seen two ways: the app's tools (the API) and the site's pages (the GUI).

- ``@page("/orders/{order_id}")`` marks a GET handler: it reads the store and returns a
  :class:`Page` (or a :class:`Redirect`), and raises :class:`NotFound` for an unknown id.
  ``{name}`` matches one path segment and is passed as a keyword argument (percent-decoded).
- ``@action("/orders/{order_id}/return")`` marks a POST handler on a path that also has a
  ``@page``: every form posts to the page it sits on (its ``action`` defaults to that
  page's path). The handler changes the store and returns a :class:`Redirect` (with a
  notice shown on the next page), or :class:`Invalid` with a message per field: the page
  is then shown again with the submitted values and the errors, and nothing changes.
- A page is a small typed model: :class:`Heading`, :class:`Text`, :class:`Link`,
  :class:`Details` (label and value pairs), :class:`Table` (cells are text, links or form
  fields), :class:`Form` with :class:`Input`, :class:`Select`, :class:`TextArea` and
  :class:`Button`, :class:`Alert`, :class:`Section`. :func:`paginate` cuts a long list
  into pages with real Previous / Next links (``?page=N``).

One page renders two ways from the same model: :func:`snapshot_text` gives the
accessibility tree with element refs that the browser app shows (in the style of the
Playwright MCP server's snapshots: ``- link "Orders" [ref=e3]``), and :func:`html_text`
gives real HTML that :func:`serve_sites` serves over loopback HTTP to a real browser.
:func:`dispatch` is the one entry point both paths use: the same handlers, the same
store changes.

A site class registers itself by subclassing; :func:`sites_in` finds the sites of a
world: every registered class whose store the world holds, under the hosts its
``hosts`` method names (by default the store's ``host`` field). A new portal (crm, hr,
lms, shop, travel) is a store, an app over it, and a :class:`PortalSite` over the same
store; both surfaces call the same rule functions, which raise an error naming the form
field it is about, so the app turns it into a ``ToolError`` and the site into
``Invalid`` (and ``_find`` turns an unknown id into :class:`NotFound`)::

    class CrmSite(PortalSite[CrmStore]):
        store_name = "crm"                       # world.stores["crm"].host names it
        store_type = CrmStore                    # self.store, checked to be one
        lookup_error = CrmError                  # raised by the lookups for unknown ids

        @page("/leads/{lead_id}")
        def lead(self, request: Request, lead_id: str) -> Page:
            lead = self._find(lead_for, self.store, lead_id)   # NotFound if none
            return Page(lead.name, [Heading(lead.name), Details([("Stage", lead.stage)]),
                                    Form("stage", [Select("stage", "Stage", STAGES),
                                                   Button("Move")])])

        @action("/leads/{lead_id}")
        def move(self, request: Request, lead_id: str) -> Redirect | Invalid:
            try:
                move_lead(self.store, lead_id, request.form["stage"])
            except CrmError as exc:
                return Invalid({exc.field: str(exc)})
            return Redirect(f"/leads/{lead_id}", "Lead moved.")

Bounds: URLs of at most ``MAX_URL_CHARS``, at most ``MAX_FIELDS`` query parameters or
form fields of at most ``MAX_FIELD_CHARS`` each, form bodies of at most
``MAX_BODY_BYTES`` over HTTP; lists are paginated (``PER_PAGE`` rows), and the browser
cuts a long snapshot into spans.
"""

from __future__ import annotations

import html
import inspect
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from datetime import date

    from workgym.core import Store, World

StoreT = TypeVar("StoreT", bound="Store")
T = TypeVar("T")

__all__ = [
    "Action",
    "Alert",
    "Bound",
    "BoundPage",
    "Button",
    "Details",
    "Form",
    "Heading",
    "Input",
    "Invalid",
    "Link",
    "NotFound",
    "Page",
    "PageState",
    "PortalSite",
    "Redirect",
    "Request",
    "Response",
    "Section",
    "Select",
    "Site",
    "SiteServer",
    "Table",
    "Text",
    "TextArea",
    "Url",
    "action",
    "bind",
    "dispatch",
    "form_fields",
    "html_text",
    "page",
    "paginate",
    "parse_url",
    "render",
    "serve_sites",
    "sites_in",
    "snapshot_lines",
    "snapshot_text",
    "table_rows",
    "unreachable",
    "with_query",
]

MAX_URL_CHARS = 2_048
"""Longest URL a site is asked for."""
MAX_FIELD_CHARS = 5_000
"""Longest value of one form field."""
MAX_FIELDS = 200
"""Most query parameters or form fields one request carries."""
MAX_BODY_BYTES = 64_000
"""Largest form body the HTTP server reads."""
PER_PAGE = 20
"""Rows per page of a paginated list."""

# -- the page model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A heading of level 1-6."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Text:
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class Link:
    """A link: a path on the same site (``/orders?page=2``) or an absolute URL."""

    text: str
    href: str


@dataclass(frozen=True)
class Details:
    """Label and value pairs (a description list), e.g. ``("Status", "delivered")``."""

    items: Sequence[tuple[str, str | Link]]
    label: str = ""


@dataclass(frozen=True)
class Alert:
    """A message box: ``error`` (role alert) or ``status`` (a confirmation)."""

    text: str
    kind: Literal["error", "status"] = "status"


@dataclass(frozen=True)
class Input:
    """A form field. ``kind`` is the HTML input type: text, search, number, email, date,
    checkbox or hidden. A checkbox is checked when ``value`` is ``"on"``."""

    name: str
    label: str
    kind: Literal["text", "search", "number", "email", "date", "checkbox", "hidden"] = "text"
    value: str = ""
    required: bool = False
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class TextArea:
    """A multi-line text field."""

    name: str
    label: str
    value: str = ""


@dataclass(frozen=True)
class Select:
    """A drop-down of ``(value, label)`` options; ``value`` is the one selected (the first
    when empty)."""

    name: str
    label: str
    options: Sequence[tuple[str, str]]
    value: str = ""


@dataclass(frozen=True)
class Button:
    """A submit button of the form it is in; ``name``/``value`` are sent with the form."""

    text: str
    name: str = ""
    value: str = ""


@dataclass(frozen=True)
class Table:
    """A table: column headers and rows of cells (text, links or form fields)."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str | Link | Input | Select | Button]]


@dataclass(frozen=True)
class Form:
    """A form. ``id`` tells the forms of a page apart; ``action`` is the path it is sent
    to (default: the page's own); a ``get`` form navigates to ``action?fields``."""

    id: str
    children: Sequence[Node]
    label: str = ""
    method: Literal["get", "post"] = "post"
    action: str = ""


@dataclass(frozen=True)
class Section:
    """A named region of a page, with a heading of level 2."""

    label: str
    children: Sequence[Node]


Node = Heading | Text | Link | Details | Alert | Input | TextArea | Select | Button | Table \
    | Form | Section


@dataclass(frozen=True)
class Page:
    """What a GET handler returns: a title and the page's body."""

    title: str
    body: Sequence[Node]
    status: int = 200


# -- requests and responses --------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request to a site: method, host, path, query parameters and form fields."""

    method: Literal["GET", "POST"]
    host: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str = "") -> str:
        """A query parameter, stripped, or ``default``."""
        return self.query.get(name, default).strip()

    def page_number(self) -> int:
        """The ``page`` query parameter as a number from 1 (1 when absent or bad)."""
        text = self.arg("page", "1")
        return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


@dataclass(frozen=True)
class Redirect:
    """Go to ``location`` (a path on the site or an absolute URL), showing ``notice``."""

    location: str
    notice: str = ""


@dataclass(frozen=True)
class Invalid:
    """A refused form: a message per field name (``""`` for the form as a whole)."""

    errors: dict[str, str]
    message: str = "The form has errors; correct them and send it again."


class NotFound(Exception):
    """Raised by a handler for a path that names nothing (an unknown id)."""


class PageState(BaseModel):
    """What the browser adds to a rendered page: a notice from the last redirect, the
    values typed into forms and the errors of a refused form (all by form id, then field
    name), and the field that has the focus."""

    model_config = ConfigDict(extra="forbid")

    notice: str = ""
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    errors: dict[str, dict[str, str]] = Field(default_factory=dict)
    focus: str = ""
    """``form id`` and ``field name`` joined by a space; empty for none."""


@dataclass(frozen=True)
class Response:
    """What :func:`dispatch` answers: a page to show (with ``state`` over it) or a
    redirect to ``location``."""

    status: int
    page: Page | None = None
    state: PageState | None = None
    location: str | None = None
    notice: str = ""


# -- URLs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Url:
    """A parsed http(s) URL: scheme, lower-case host, path and query string."""

    scheme: str
    host: str
    path: str
    query: str = ""

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}" + (f"?{self.query}" if self.query else "")

    def params(self) -> dict[str, str]:
        """The query parameters (the last value of a repeated name).

        Raises:
            ValueError: more than ``MAX_FIELDS`` parameters.
        """
        return dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True,
                                           max_num_fields=MAX_FIELDS))


def parse_url(text: str, base: Url | None = None) -> Url:
    """An absolute or relative URL, resolved against ``base``.

    ``shop.example/orders`` (no scheme) means ``https://shop.example/orders``; a path
    (``/orders``) or a relative reference needs ``base``.

    Raises:
        ValueError: a URL that is too long, not http(s), has no host, or is relative
            with no base; the message says what a good one looks like.
    """
    text = text.strip()
    if not text:
        raise ValueError("the URL is empty; give one such as 'https://shop.example/'")
    if len(text) > MAX_URL_CHARS:
        raise ValueError(f"the URL is longer than {MAX_URL_CHARS} characters")
    if any(ord(ch) < 32 or ch in " <>\"\\^`{|}" for ch in text):
        text = urllib.parse.quote(text, safe="/?&=%#:@+,;!$'()*[]~")
    scheme = urllib.parse.urlsplit(text).scheme if "://" not in text else ""
    if scheme and not text[len(scheme) + 1:].split("/")[0].isdigit():  # not host:port
        raise ValueError(f"only http:// and https:// URLs can be opened, not {scheme}:")
    if base is not None and "://" not in text:
        text = urllib.parse.urljoin(str(base), text)
    elif "://" not in text:
        if text.startswith(("/", ".", "?", "#")):
            raise ValueError(f"{text!r} is a path and no page is open; give a full URL "
                             "such as 'https://shop.example/orders'")
        text = "https://" + text
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"only http:// and https:// URLs can be opened, not {scheme}:")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"{text!r} names no host; give one such as 'https://shop.example/'")
    if parts.port is not None and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = urllib.parse.quote(urllib.parse.unquote(parts.path or "/"), safe="/%:@!$&'()*+,;=~")
    path = _normal_path(path)
    return Url(scheme, host, path, parts.query)


def _normal_path(path: str) -> str:
    """``path`` with ``.`` and ``..`` segments resolved (never above the root)."""
    segments: list[str] = []
    for part in path.split("/")[1:]:
        if part == "..":
            if segments:
                segments.pop()
        elif part != ".":
            segments.append(part)
    return "/" + "/".join(segments)


def with_query(path: str, query: dict[str, str], **changes: str | int | None) -> str:
    """``path`` with the parameters of ``query`` updated by ``changes`` (None removes
    one; empty values are left out), e.g. for a Next link."""
    merged = {k: v for k, v in query.items() if v != ""}
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return path + ("?" + urllib.parse.urlencode(sorted(merged.items())) if merged else "")


def paginate(items: Sequence[Any], request: Request,
             per_page: int = PER_PAGE) -> tuple[Sequence[Any], list[Node]]:
    """The rows of the requested page and the nodes of its pager (a line "Page 2 of 5 ·
    41 results" and Previous / Next links that keep the other query parameters)."""
    total = len(items)
    pages = max(1, -(-total // per_page))
    number = min(request.page_number(), pages)
    start = (number - 1) * per_page
    nodes: list[Node] = [Text(f"Page {number} of {pages} · {total} "
                              f"result{'s' if total != 1 else ''}")]
    if number > 1:
        nodes.append(Link("Previous page", with_query(request.path, request.query,
                                                      page=number - 1 if number > 2 else None)))
    if number < pages:
        nodes.append(Link("Next page", with_query(request.path, request.query,
                                                  page=number + 1)))
    return items[start:start + per_page], nodes


# -- sites -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    method: Literal["GET", "POST"]
    segments: tuple[str, ...]
    handler: str

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for want, got in zip(self.segments, parts, strict=True):
            if want.startswith("{"):
                if not got:
                    return None
                found[want[1:-1]] = got
            elif want != got:
                return None
        return found


_ROUTE_MARK = "__workgym_route__"


def _segments(pattern: str) -> tuple[str, ...]:
    if not pattern.startswith("/"):
        raise ValueError(f"route {pattern!r} must start with '/'")
    parts = tuple(pattern.split("/")[1:]) if pattern != "/" else ()
    for part in parts:
        if part.startswith("{") != part.endswith("}") or not part:
            raise ValueError(f"route {pattern!r}: a segment is a word or a {{name}}")
    return parts


def page(pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Site method as the GET handler of ``pattern`` (``/orders/{order_id}``)."""
    segments = _segments(pattern)

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _ROUTE_MARK, ("GET", segments))
        return fn
    return mark


def action(pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Site method as the POST handler of ``pattern``, whose page holds the form."""
    segments = _segments(pattern)

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _ROUTE_MARK, ("POST", segments))
        return fn
    return mark


Action = Redirect | Invalid


class Site:
    """Base class of an offline website over one app store (see the module docstring).

    Subclasses set ``store_name`` (the key of their store in ``World.stores``) and define
    ``@page`` and ``@action`` methods; they may override ``name`` (the site's name in its
    banner), ``nav`` (the banner's links) and ``hosts``.
    """

    store_name: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Site]]] = {}
    _routes: ClassVar[tuple[_Route, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        routes = []
        for attr, fn in inspect.getmembers(cls, inspect.isfunction):
            mark = getattr(fn, _ROUTE_MARK, None)
            if mark is not None:
                routes.append(_Route(mark[0], mark[1], attr))
        gets = {r.segments for r in routes if r.method == "GET"}
        for route in routes:
            if route.method == "POST" and route.segments not in gets:
                raise ValueError(f"{cls.__name__}.{route.handler}: an @action's path needs "
                                 "an @page too (the page its form sits on)")
        # literal segments before {names}, so /orders/new wins over /orders/{order_id}
        cls._routes = tuple(sorted(routes, key=lambda r: tuple(s.startswith("{")
                                                             for s in r.segments)))
        if cls.store_name:
            known = Site.registry.get(cls.store_name)
            if known is not None and known.__qualname__ != cls.__qualname__:
                raise ValueError(f"{cls.__name__}: store {cls.store_name!r} already has a site, "
                                 f"{known.__name__}; a store is served by one site class")
            Site.registry[cls.store_name] = cls

    def __init__(self, world: World, host: str) -> None:
        self.world = world
        self.host = host

    @classmethod
    def hosts(cls, world: World) -> tuple[str, ...]:
        """The hosts this site answers in ``world``: by default the ``host`` field of its
        store, when the world has the store."""
        store = world.stores.get(cls.store_name)
        host = getattr(store, "host", "") if store is not None else ""
        return (host.lower(),) if isinstance(host, str) and host else ()

    def served_store(self, kind: type[StoreT]) -> StoreT:
        """The world's store that this site serves (``store_name``), checked to be a
        ``kind``.

        Raises:
            KeyError: the world has no such store (no host of it names this site).
            TypeError: the store is of another kind.
        """
        store = self.world.existing_store(self.store_name, kind)
        if store is None:
            raise KeyError(f"the world has no {self.store_name!r} store")
        return store

    @property
    def name(self) -> str:
        """The site's name, shown in its banner and page titles."""
        return self.host

    def nav(self) -> Sequence[Link]:
        """The links of the site's banner."""
        return ()

    def handle(self, request: Request) -> Response:
        """Run the handler of ``request`` and answer what to show."""
        parts = [urllib.parse.unquote(p) for p in request.path.split("/")[1:]] \
            if request.path != "/" else []
        for route in self._routes:
            if route.method != request.method:
                continue
            params = route.match(parts)
            if params is None:
                continue
            handler = getattr(self, route.handler)
            try:
                result = handler(request, **params)
            except NotFound as exc:
                return Response(404, self.not_found(request.path, str(exc)))
            return self._respond(request, route, params, result)
        if request.method == "POST" and any(r.match(parts) is not None for r in self._routes):
            return Response(405, Page("Not allowed", [
                Heading("This page takes no form"), Text(f"{request.path} cannot be posted to."),
                Link("Home", "/")], status=405))
        return Response(404, self.not_found(request.path))

    def _respond(self, request: Request, route: _Route, params: dict[str, str],
                 result: Page | Redirect | Invalid) -> Response:
        if isinstance(result, Redirect):
            return Response(303, location=result.location, notice=result.notice)
        if isinstance(result, Page):
            return Response(result.status, result)
        if not isinstance(result, Invalid):
            raise TypeError(f"{type(self).__name__}.{route.handler} returned "
                            f"{type(result).__name__}; return a Page, Redirect or Invalid")
        form_id = request.form.get("_form", "")
        state = PageState(values={form_id: {k: v for k, v in request.form.items()
                                            if k != "_form"}},
                          errors={form_id: {"": result.message, **result.errors}})
        again = self.handle(Request("GET", request.host, request.path, request.query))
        if again.page is None:
            return again
        return Response(422, again.page, state=state)

    def not_found(self, path: str, why: str = "") -> Page:
        """The page of a path that names nothing."""
        return Page("Page not found", [
            Heading("Page not found"),
            Text(why or f"There is no page at {path} on {self.name}."),
            Link(f"Go to the {self.name} home page", "/")], status=404)


class PortalSite(Site, Generic[StoreT]):
    """The website of a portal app over its store: the store, typed; the store's ``name``
    in the banner; the world's date; and the app's lookup errors as not-found pages.

    Subclasses set ``store_name``, ``store_type`` (the store's class) and
    ``lookup_error`` (the error the app's lookups raise for an unknown id).
    """

    store_type: ClassVar[type[Store]]
    lookup_error: ClassVar[type[Exception]]

    @property
    def store(self) -> StoreT:
        return cast("StoreT", self.served_store(self.store_type))

    @property
    def name(self) -> str:
        return str(getattr(self.store, "name", "") or self.host)

    @property
    def _today(self) -> date:
        return self.world.now.date()

    def _find(self, rule: Callable[..., T], *args: Any) -> T:
        """``rule(*args)``; the app's lookup error becomes a not-found page whose text is
        the error's first clause as a sentence."""
        try:
            return rule(*args)
        except self.lookup_error as exc:
            first = str(exc).split(";")[0]
            raise NotFound(first[0].upper() + first[1:] + ".") from None


def sites_in(world: World) -> dict[str, Site]:
    """The sites a world serves, by host (every registered site whose store it holds)."""
    found: dict[str, Site] = {}
    for kind in sorted(Site.registry):
        cls = Site.registry[kind]
        for host in cls.hosts(world):
            found.setdefault(host, cls(world, host))
    return dict(sorted(found.items()))


def unreachable(host: str, known: Sequence[str], scheme: str = "https") -> Page:
    """The page of a host that no site of the world answers, linking the ones that are."""
    body: list[Node] = [Heading("This site can't be reached"),
                        Text(f"The server of {host} could not be found on this offline "
                             "network (DNS_PROBE_FINISHED_NXDOMAIN). Check the address.")]
    if known:
        body.append(Text("Sites on this network:"))
        body.extend(Link(h, f"{scheme}://{h}/") for h in known)
    return Page(f"{host} can't be reached", body, status=502)


def dispatch(world: World, method: Literal["GET", "POST"], url: Url,
             form: dict[str, str] | None = None) -> Response:
    """Answer one request to the world's sites: the one path of the browser app and of
    the HTTP server. An unknown host answers an error page.

    Raises:
        ValueError: a query string with more than ``MAX_FIELDS`` parameters.
    """
    sites = sites_in(world)
    site = sites.get(url.host)
    if site is None:
        return Response(502, unreachable(url.host, list(sites), url.scheme))
    return site.handle(Request(method, url.host, url.path, url.params(), dict(form or {})))


# -- binding: the rendered tree with refs --------------------------------------------------


@dataclass
class Bound:
    """One element of a rendered page: its role (ARIA), name, ref and what the browser
    needs to act on it (form, field name, current value)."""

    role: str
    name: str = ""
    ref: str = ""
    text: str = ""
    """A paragraph's or a value's text."""
    node: Any = None
    form: Form | None = None
    value: str = ""
    error: str = ""
    url: str = ""
    level: int = 0
    children: list[Bound] = field(default_factory=list)

    def walk(self) -> Iterator[Bound]:
        """This element and every element below it, in document order."""
        stack = [self]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(reversed(item.children))


@dataclass
class BoundPage:
    """A rendered page: the tree, its elements by ref, its title and status."""

    title: str
    root: Bound
    refs: dict[str, Bound]
    status: int
    forms: dict[str, Form]


_ROLES = {"text": "textbox", "search": "searchbox", "number": "spinbutton",
          "email": "textbox", "date": "textbox", "checkbox": "checkbox"}


def bind(site_name: str, nav: Sequence[Link], page: Page,
         state: PageState | None = None) -> BoundPage:
    """Lay out ``page`` in the site's frame (banner, navigation, main) with ``state``
    applied, and number its links, fields, buttons and tables ``e1``, ``e2``..."""
    state = state or PageState()
    counter = [0]
    refs: dict[str, Bound] = {}
    forms: dict[str, Form] = {}

    def ref(item: Bound) -> Bound:
        counter[0] += 1
        item.ref = f"e{counter[0]}"
        refs[item.ref] = item
        return item

    def field_value(node: Input | Select | TextArea, form: Form | None) -> str:
        if form is not None and node.name in state.values.get(form.id, {}):
            return state.values[form.id][node.name]
        if isinstance(node, Select) and not node.value and node.options:
            return node.options[0][0]
        if isinstance(node, Input) and node.kind == "checkbox":
            return "on" if node.value == "on" else ""
        return node.value

    def one(node: Node, form: Form | None) -> Bound | None:
        if isinstance(node, Heading):
            return Bound("heading", node.text, level=min(max(node.level, 1), 6), node=node)
        if isinstance(node, Text):
            return Bound("paragraph", text=node.text, node=node)
        if isinstance(node, Link):
            return ref(Bound("link", node.text, url=node.href, node=node, form=form))
        if isinstance(node, Alert):
            return Bound("alert" if node.kind == "error" else "status", text=node.text,
                         node=node)
        if isinstance(node, Details):
            item = Bound("list", node.label, node=node)
            for label, value in node.items:
                entry = Bound("term", label, node=value)
                if isinstance(value, Link):
                    entry.text = value.text
                    entry.children.append(ref(Bound("link", value.text, url=value.href,
                                                    node=value)))
                else:
                    entry.text = value
                item.children.append(entry)
            return item
        if isinstance(node, Input | Select | TextArea):
            if isinstance(node, Input) and node.kind == "hidden":
                return None
            role = ("combobox" if isinstance(node, Select) else
                    "textbox" if isinstance(node, TextArea) else _ROLES[node.kind])
            error = state.errors.get(form.id, {}).get(node.name, "") if form else ""
            return ref(Bound(role, node.label, node=node, form=form,
                             value=field_value(node, form), error=error))
        if isinstance(node, Button):
            return ref(Bound("button", node.text, node=node, form=form))
        if isinstance(node, Table):
            table = ref(Bound("table", node.caption, node=node))
            table.children.append(Bound("columns", text=" | ".join(node.columns)))
            for cells in node.rows:
                row = Bound("row", text=" | ".join(
                    c if isinstance(c, str) else c.text if isinstance(c, Link | Button) else ""
                    for c in cells))
                for cell in cells:
                    if not isinstance(cell, str):
                        child = one(cell, form)
                        if child is not None:
                            row.children.append(child)
                table.children.append(row)
            return table
        if isinstance(node, Form):
            forms[node.id] = node
            item = Bound("form", node.label, node=node)
            message = state.errors.get(node.id, {}).get("", "")
            if message:
                item.children.append(Bound("alert", text=message))
            item.children.extend(b for child in node.children
                                 if (b := one(child, node)) is not None)
            return item
        if isinstance(node, Section):
            item = Bound("region", node.label, node=node)
            item.children.append(Bound("heading", node.label, level=2))
            item.children.extend(b for child in node.children
                                 if (b := one(child, form)) is not None)
            return item
        raise TypeError(f"not a page node: {type(node).__name__}")

    banner = Bound("banner")
    banner.children.append(ref(Bound("link", site_name, url="/")))
    if nav:
        links = Bound("navigation")
        links.children.extend(ref(Bound("link", n.text, url=n.href, node=n)) for n in nav)
        banner.children.append(links)
    main = Bound("main")
    if state.notice:
        main.children.append(Bound("status", text=state.notice))
    main.children.extend(b for node in page.body if (b := one(node, None)) is not None)
    root = Bound("document", page.title, children=[banner, main])
    title = f"{page.title} · {site_name}" if site_name and page.title != site_name \
        else page.title
    return BoundPage(title, root, refs, page.status, forms)


# -- rendering: the accessibility snapshot -------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(_line(text), ensure_ascii=False)


def _line(text: str) -> str:
    return " ".join(text.split())


_FIELD_ROLES = ("textbox", "searchbox", "spinbutton")
_FRAME_ROLES = ("banner", "main", "navigation")


def snapshot_lines(page: BoundPage) -> list[str]:
    """The page as accessibility-tree lines, e.g. ``- link "Orders" [ref=e3]``.

    A line is ``- role "name" [attributes] [ref=eN]``, then ``: text`` (a paragraph, a
    field's value) or ``:`` and indented lines below it (a link's ``/url``, a drop-down's
    options, a table's rows). A field's error follows it as an ``alert`` line.
    """
    lines: list[str] = []

    def emit(item: Bound, depth: int) -> None:
        pad = "  " * depth
        label = "" if item.role in _FRAME_ROLES else item.name
        text = _q(item.value) if item.role in _FIELD_ROLES and item.value else _line(item.text)
        below: list[str] = []
        if item.role == "link":
            below.append(f"{pad}  - /url: {item.url}")
        elif item.role == "combobox":
            for value, option in item.node.options:
                mark = " [selected]" if value == item.value else ""
                below.append(f"{pad}  - option {_q(option)}{mark}")
        if (below or item.children) and text:
            label, text = (label or text), ""  # lines below: the text becomes the name
        head = f"{pad}- {item.role}" + (f" {_q(label)}" if label else "")
        if item.role == "heading":
            head += f" [level={item.level}]"
        if item.role == "checkbox" and item.value == "on":
            head += " [checked]"
        if item.ref:
            head += f" [ref={item.ref}]"
        if below or item.children:
            head += ":"
        elif text:
            head += f": {text}"
        lines.append(head)
        lines.extend(below)
        for child in item.children:
            emit(child, depth + 1)
        if item.error:
            lines.append(f"{pad}- alert: {_line(item.error)}")

    for part in page.root.children:
        emit(part, 0)
    return lines


def snapshot_text(page: BoundPage) -> str:
    """:func:`snapshot_lines` joined into one text."""
    return "\n".join(snapshot_lines(page))


def table_rows(table: Bound) -> dict[str, Any]:
    """A bound table as data: caption, columns and rows of cell texts (a link's or
    button's text; a field's current value, typed text included)."""
    node: Table = table.node
    rows = []
    for bound_row, cells in zip(table.children[1:], node.rows, strict=True):
        children = iter(bound_row.children)
        row = []
        for cell in cells:
            if isinstance(cell, str):
                row.append(cell)
            elif isinstance(cell, Input) and cell.kind == "hidden":
                row.append("")
            else:
                child = next(children)
                row.append(child.name if isinstance(cell, Link | Button) else child.value)
        rows.append(row)
    return {"caption": node.caption, "columns": list(node.columns), "rows": rows}


# -- rendering: HTML -------------------------------------------------------------------------

_STYLE = ("body{font-family:system-ui,sans-serif;margin:0;color:#1c2430}"
          "header{background:#20344f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem}"
          "header a{color:#fff}nav{display:flex;gap:1rem}main{padding:1rem 1.2rem;"
          "max-width:64rem}table{border-collapse:collapse;margin:.5rem 0}"
          "th,td{border:1px solid #c9d1dc;padding:.25rem .5rem;text-align:left}"
          "[role=alert]{color:#a11}[role=status]{color:#155724;background:#e6f4ea;"
          "padding:.4rem}form{margin:.6rem 0}label{display:block;margin:.3rem 0}"
          "dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}"
          "dt{font-weight:600}")


def html_text(page: BoundPage) -> str:
    """The page as a whole HTML document (the same elements, names and values)."""
    e = html.escape
    out: list[str] = []

    def field_id(item: Bound) -> str:
        form = item.form.id if item.form else "page"
        return f"f-{form}-{item.node.name}"

    def label_for(item: Bound, inline: bool) -> tuple[str, str]:
        """(text before the control, attributes naming it)."""
        if inline:
            return "", f' aria-label="{e(item.name)}"'
        return f'<label for="{e(field_id(item))}">{e(item.name)}</label>', ""

    def control(item: Bound, inline: bool) -> None:
        node = item.node
        before, named = label_for(item, inline)
        described = f' aria-describedby="{e(field_id(item))}-error"' if item.error else ""
        ident = f' id="{e(field_id(item))}" name="{e(node.name)}"{named}{described}'
        if isinstance(node, Select):
            options = "".join(
                f'<option value="{e(v)}"{" selected" if v == item.value else ""}>{e(lb)}</option>'
                for v, lb in node.options)
            out.append(f"{before}<select{ident}>{options}</select>")
        elif isinstance(node, TextArea):
            out.append(f"{before}<textarea{ident}>{e(item.value)}</textarea>")
        else:
            extra = " required" if node.required else ""
            extra += f' min="{node.min}"' if node.min is not None else ""
            extra += f' max="{node.max}"' if node.max is not None else ""
            if node.kind == "checkbox":
                extra += " checked" if item.value == "on" else ""
                out.append(f'<label><input type="checkbox"{ident}{extra}> '
                           f"{e(item.name)}</label>" if not inline else
                           f'<input type="checkbox"{ident}{extra}>')
            else:
                out.append(f'{before}<input type="{node.kind}"{ident} '
                           f'value="{e(item.value)}"{extra}>')
        if item.error:
            out.append(f'<span role="alert" id="{e(field_id(item))}-error">'
                       f"{e(item.error)}</span>")

    def emit(item: Bound, inline: bool = False) -> None:
        role = item.role
        if role == "banner":
            out.append("<header>")
            for child in item.children:
                emit(child)
            out.append("</header>")
        elif role == "navigation":
            out.append('<nav aria-label="Site">')
            for child in item.children:
                emit(child)
            out.append("</nav>")
        elif role == "main":
            out.append("<main>")
            for child in item.children:
                emit(child)
            out.append("</main>")
        elif role == "heading":
            out.append(f"<h{item.level}>{e(item.name)}</h{item.level}>")
        elif role == "paragraph":
            out.append(f"<p>{e(item.text)}</p>")
        elif role == "link":
            out.append(f'<a href="{e(item.url)}">{e(item.name)}</a>'
                       + ("" if inline else " "))
        elif role in ("alert", "status"):
            out.append(f'<div role="{role}">{e(item.text)}</div>')
        elif role == "list":
            label = f' aria-label="{e(item.name)}"' if item.name else ""
            out.append(f"<dl{label}>")
            for entry in item.children:
                out.append(f"<dt>{e(entry.name)}</dt><dd>")
                if entry.children:
                    emit(entry.children[0], inline=True)
                else:
                    out.append(e(entry.text))
                out.append("</dd>")
            out.append("</dl>")
        elif role in ("textbox", "searchbox", "spinbutton", "combobox", "checkbox"):
            control(item, inline)
        elif role == "button":
            node = item.node
            named = f' name="{e(node.name)}" value="{e(node.value)}"' if node.name else ""
            out.append(f'<button type="submit"{named}>{e(item.name)}</button>')
        elif role == "table":
            node = item.node
            out.append(f"<table><caption>{e(node.caption)}</caption><thead><tr>"
                       + "".join(f"<th>{e(c)}</th>" for c in node.columns)
                       + "</tr></thead><tbody>")
            for row, cells in zip(item.children[1:], node.rows, strict=True):
                out.append("<tr>")
                children = iter(row.children)
                for cell in cells:
                    out.append("<td>")
                    if isinstance(cell, str):
                        out.append(e(cell))
                    elif not (isinstance(cell, Input) and cell.kind == "hidden"):
                        emit(next(children), inline=True)
                    out.append("</td>")
                out.append("</tr>")
            out.append("</tbody></table>")
        elif role == "form":
            node = item.node
            label = f' aria-label="{e(node.label)}"' if node.label else ""
            out.append(f'<form method="{node.method}" action="{e(node.action)}"{label}>')
            if node.method == "post":
                out.append(f'<input type="hidden" name="_form" value="{e(node.id)}">')
            for hidden in _hidden_fields(node):
                out.append(f'<input type="hidden" name="{e(hidden.name)}" '
                           f'value="{e(hidden.value)}">')
            for child in item.children:
                emit(child)
            out.append("</form>")
        elif role == "region":
            out.append(f'<section aria-label="{e(item.name)}">')
            for child in item.children:
                emit(child)
            out.append("</section>")

    for part in page.root.children:
        emit(part)
    body = "\n".join(out)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{e(page.title)}</title><link rel="icon" href="data:,">'
            f"<style>{_STYLE}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def _hidden_fields(form: Form) -> list[Input]:
    found: list[Input] = []
    stack: list[Any] = list(form.children)
    while stack:
        node = stack.pop(0)
        if isinstance(node, Input) and node.kind == "hidden":
            found.append(node)
        elif isinstance(node, Table):
            stack.extend(c for row in node.rows for c in row if not isinstance(c, str))
        elif isinstance(node, Section):
            stack.extend(node.children)
    return found


def form_fields(form: Form) -> list[Input | Select | TextArea]:
    """Every field of a form, hidden ones included, in document order."""
    found: list[Input | Select | TextArea] = []

    def walk(nodes: Sequence[Any]) -> None:
        for node in nodes:
            if isinstance(node, Input | Select | TextArea):
                found.append(node)
            elif isinstance(node, Table):
                walk([c for row in node.rows for c in row if not isinstance(c, str)])
            elif isinstance(node, Section | Form):
                walk(node.children)

    walk(form.children)
    return found


# -- the HTTP server -------------------------------------------------------------------------


def render(world: World, url: Url, response: Response) -> BoundPage:
    """The bound page of a response to a request for ``url`` (an error page for an
    unknown host), with the response's state over it."""
    sites = sites_in(world)
    site = sites.get(url.host)
    if response.page is None:
        raise ValueError("a redirect has no page to render")
    if site is None:
        return bind("", (), response.page)
    return bind(site.name, site.nav(), response.page, response.state)


class SiteServer:
    """A running HTTP server of a world's sites (see :func:`serve_sites`)."""

    def __init__(self, server: ThreadingHTTPServer, default_host: str) -> None:
        self._server = server
        self.default_host = default_host

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """``http://127.0.0.1:PORT``: the default site directly, or the proxy address."""
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve_sites(world: World, *, port: int = 0,
                default_host: str | None = None) -> Iterator[SiteServer]:
    """Serve a world's sites as real HTML over HTTP on 127.0.0.1, in a background thread.

    Requests reach a site by host: as an HTTP proxy (point a browser's proxy at
    :attr:`SiteServer.address` and open ``http://shop.example/``) or directly at the
    address, which answers ``default_host`` (by default the first site). Forms post
    back and change the world's stores through the same handlers as the browser app;
    each request holds the world's lock. A redirect carries its notice in a cookie.

    Raises:
        ValueError: the world has no site, or ``default_host`` is not one of them.
    """
    hosts = list(sites_in(world))
    if not hosts:
        raise ValueError("the world serves no site: give it a site's store (e.g. 'shop')")
    chosen = (default_host or hosts[0]).lower()
    if chosen not in hosts:
        raise ValueError(f"default_host {default_host!r} is not a site of this world; "
                         f"its sites: {', '.join(hosts)}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # seconds a connection may sit idle before it is closed

        def setup(self) -> None:
            super().setup()
            # headers and body go out as one write; no Nagle wait for the delayed ACK
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the library logs nothing

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: Literal["GET", "POST"]) -> None:
            try:
                url, form = self._request(method)
            except ValueError as exc:
                self._send(400, f"bad request: {exc}\n".encode(), "text/plain")
                return
            if url.path == "/favicon.ico":
                self._send(404, b"", "image/x-icon")
                return
            notice = ""
            cookie = self.headers.get("Cookie", "")
            for part in cookie.split(";"):
                key, _, value = part.strip().partition("=")
                if key == "wg_notice":
                    notice = urllib.parse.unquote(value)[:500]
            try:
                text, status, headers = self._page(method, url, form, notice)
            except ValueError as exc:  # e.g. a query string with too many parameters
                self._send(400, f"bad request: {exc}\n".encode(), "text/plain")
                return
            except Exception as exc:  # noqa: BLE001 - a site bug answers 500, the server goes on
                self._send(500, f"internal error: {type(exc).__name__}: {exc}\n".encode(),
                           "text/plain")
                return
            kind = "text/html; charset=utf-8" if text else "text/plain"
            self._send(status, text.encode(), kind, headers)

        def _page(self, method: Literal["GET", "POST"], url: Url, form: dict[str, str],
                  notice: str) -> tuple[str, int, list[tuple[str, str]]]:
            """(HTML, status, headers) of one request; an empty text for a redirect."""
            with world.lock:
                response = dispatch(world, method, url, form)
                if response.location is not None:
                    target = parse_url(response.location, url)
                    where = target.path + (f"?{target.query}" if target.query else "")
                    if target.host != url.host:
                        where = str(target)
                    headers = [("Location", where)]
                    if response.notice:
                        headers.append(("Set-Cookie", "wg_notice=" + urllib.parse.quote(
                            response.notice) + "; Path=/; HttpOnly"))
                    return "", 303, headers
                state = response.state or PageState()
                if notice and method == "GET":
                    state = state.model_copy(update={"notice": notice})
                text = html_text(render(world, url, Response(
                    response.status, response.page, state)))
            cleared = [("Set-Cookie", "wg_notice=; Path=/; Max-Age=0")] if notice else []
            return text, response.status, cleared

        def _request(self, method: str) -> tuple[Url, dict[str, str]]:
            raw = self.path
            if len(raw) > MAX_URL_CHARS:
                raise ValueError("URL too long")
            if raw.startswith(("http://", "https://")):
                url = parse_url(raw)  # a proxied request names the whole URL
            else:
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                if host in ("", "127.0.0.1", "localhost"):
                    host = chosen
                url = parse_url(f"http://{host}{raw if raw.startswith('/') else '/' + raw}")
            form: dict[str, str] = {}
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES or length < 0:
                    raise ValueError(f"the form is larger than {MAX_BODY_BYTES} bytes")
                body = self.rfile.read(length).decode("utf-8", "replace")
                form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True,
                                                   max_num_fields=MAX_FIELDS))
                form = {k: v[:MAX_FIELD_CHARS] for k, v in form.items()}
            return url, form

        def _send(self, status: int, body: bytes, kind: str,
                  headers: Sequence[tuple[str, str]] = ()) -> None:
            lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                     f"Content-Type: {kind}", f"Content-Length: {len(body)}",
                     "Cache-Control: no-store", *(f"{k}: {v}" for k, v in headers)]
            self.log_request(status)
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="workgym-sites", daemon=True)
    thread.start()
    try:
        yield SiteServer(server, chosen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
