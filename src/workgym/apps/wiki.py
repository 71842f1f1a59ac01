"""wiki: pages with revision history, links between pages, search, edit, create and move.

Pages link to each other by title with ``[[Title]]`` or ``[[Title|label]]`` (a ``#section``
after the title is ignored for resolving). Every create, edit and move adds a revision,
numbered from 1 per page, with its author, the world's frozen time and an edit summary.

Moving (renaming) a page keeps a redirect from the old title, as MediaWiki does: links in
other pages are left as their authors wrote them and still reach the page, so a move
changes no other page. Titles are unique (case-insensitive) across pages and redirects.
Search is a full-text index (SQLite FTS5) over the current titles and texts, ranked by
BM25, ties by page id.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import TextIndex
from workgym.core import App, GradeError, Store, ToolError, World, tool

__all__ = ["Page", "Redirect", "Revision", "WikiApp", "WikiStore", "links_in", "norm_title",
           "page_text"]

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_SUMMARY = 500
MAX_PAGES = 1_000
MAX_REVISIONS = 200
"""Most revisions of one page."""
MAX_WRITTEN_CHARS = 4_000_000
"""Most characters of page text the tools may write in one episode (a revision counts its
whole text)."""
MAX_LINKS = 500
"""Most links read from one page."""
MAX_DIFF_CHARS = 20_000
MAX_RESULTS = 100
_FORBIDDEN_IN_TITLE = frozenset("[]|#{}<>\n\r\t")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]
PageKey = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
Body = Annotated[str, Field(max_length=MAX_BODY)]
Summary = Annotated[str, Field(max_length=MAX_SUMMARY)]
RevisionNumber = Annotated[int, Field(ge=1)]


class Revision(BaseModel):
    """One version of a page."""

    model_config = ConfigDict(extra="forbid")

    number: int
    """1 upwards, per page."""
    title: str
    """The page's title in this revision (a move changes it)."""
    body: str
    author: str
    at: str
    """ISO 8601 with an offset."""
    summary: str = ""
    """The edit summary."""


class Page(BaseModel):
    """A page and its whole history; the last revision is the current one."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``pg0001`` upwards; kept across moves."""
    revisions: list[Revision]

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    @property
    def title(self) -> str:
        return self.revisions[-1].title

    @property
    def body(self) -> str:
        return self.revisions[-1].body


class Redirect(BaseModel):
    """An old title that leads to a page that moved."""

    model_config = ConfigDict(extra="forbid")

    title: str
    target: str
    """The page's id."""


class WikiStore(Store):
    """The wiki: pages and the redirects that moves left behind."""

    me: str = "me"
    """The agent's name, the author of its revisions."""
    pages: list[Page] = Field(default_factory=list)
    redirects: list[Redirect] = Field(default_factory=list)
    written: int = 0
    """Characters of text the tools have written (bounded by ``MAX_WRITTEN_CHARS``)."""

    def add_page(self, title: str, body: str, author: str, at: datetime | str,
                 summary: str = "created") -> Page:
        """Add a page with the next id and one revision (for families building a wiki).

        Raises:
            ValueError: a bad or taken title, or a time without an offset.
        """
        clean = _check_title(title)
        if self.lookup(clean) is not None:
            raise ValueError(f"title {clean!r} is taken")
        numbers = [int(p.id[2:]) for p in self.pages if p.id[2:].isdigit()]
        page = Page(id=f"pg{max(numbers, default=0) + 1:04d}", revisions=[
            Revision(number=1, title=clean, body=body, author=author, at=_stamp(at),
                     summary=summary)])
        self.pages.append(page)
        return page

    def add_revision(self, page: str, body: str, author: str, at: datetime | str,
                     summary: str, title: str | None = None) -> Revision:
        """Add a revision to a page (a later version written by someone).

        Raises:
            ValueError: an unknown page, or a time without an offset.
        """
        found = self.page(page)
        if found is None:
            raise ValueError(f"no page {page!r}")
        revision = Revision(number=found.current.number + 1, title=title or found.title,
                            body=body, author=author, at=_stamp(at), summary=summary)
        found.revisions.append(revision)
        return revision

    def page(self, key: str) -> Page | None:
        """A page by id, by current title, or by a redirect's title (case-insensitive)."""
        found = next((p for p in self.pages if p.id == key.strip()), None)
        if found is not None:
            return found
        resolved = self.lookup(key)
        return resolved[0] if resolved else None

    def lookup(self, title: str) -> tuple[Page, str | None] | None:
        """(page, redirect title it came through or None) for a title, if it leads anywhere."""
        wanted = norm_title(title)
        for p in self.pages:
            if norm_title(p.title) == wanted:
                return p, None
        for r in self.redirects:
            if norm_title(r.title) == wanted:
                target = next((p for p in self.pages if p.id == r.target), None)
                if target is not None:
                    return target, r.title
        return None

    def backlinks_of(self, page_id: str) -> list[Page]:
        """Pages whose current text links to the page (by its title or a redirect), by
        title."""
        target = next((p for p in self.pages if p.id == page_id), None)
        if target is None:
            return []
        names = {norm_title(target.title)}
        names |= {norm_title(r.title) for r in self.redirects if r.target == page_id}
        found = [p for p in self.pages if p.id != page_id
                 and any(norm_title(t) in names for t in links_in(p.body))]
        return sorted(found, key=lambda p: (norm_title(p.title), p.id))


def norm_title(title: str) -> str:
    """The form titles compare in: spaces collapsed, case folded."""
    return " ".join(title.replace("_", " ").split()).casefold()


def links_in(body: str, limit: int = MAX_LINKS) -> list[str]:
    """The titles a page's text links to, in order, each once: ``[[Title]]``,
    ``[[Title|label]]`` and ``[[Title#section]]`` all give ``Title``. Linear in the
    text's length; at most ``limit`` titles."""
    found: list[str] = []
    seen: set[str] = set()
    start = 0
    while len(found) < limit:
        opening = body.find("[[", start)
        if opening < 0:
            break
        closing = body.find("]]", opening + 2)
        if closing < 0:
            break
        # "[[a [[b]]": an opening left unclosed gives way to the last one before "]]"
        inner_start = opening + 2
        last = body.rfind("[[", inner_start, closing)
        if last >= 0:
            inner_start = last + 2
        inner = body[inner_start:closing]
        start = closing + 2
        target = " ".join(inner.split("|", 1)[0].split("#", 1)[0].split())
        if not target or "[" in target or "]" in target or len(target) > MAX_TITLE:
            continue
        key = norm_title(target)
        if key not in seen:
            seen.add(key)
            found.append(target)
    return found


def page_text(store: WikiStore, title: str) -> str:
    """The current text of the page a title leads to, for graders.

    Raises:
        GradeError: no page or redirect has that title.
    """
    found = store.lookup(title)
    if found is None:
        raise GradeError(f"the wiki has no page titled {title!r}")
    return found[0].body


def _stamp(value: datetime | str) -> str:
    when = value.isoformat() if isinstance(value, datetime) else value
    if datetime.fromisoformat(when).tzinfo is None:
        raise ValueError(f"time {when!r} needs a UTC offset")
    return when


def _check_title(title: str) -> str:
    """A title in its stored form.

    Raises:
        ValueError: an empty or too long title, or one with ``[ ] | # { } < >``.
    """
    clean = " ".join(title.split())
    if not clean:
        raise ValueError("a title must not be blank")
    if len(clean) > MAX_TITLE:
        raise ValueError(f"a title has at most {MAX_TITLE} characters")
    bad = sorted(set(clean) & _FORBIDDEN_IN_TITLE)
    if bad:
        raise ValueError(f"a title cannot hold {' '.join(repr(c) for c in bad)}")
    return clean


class WikiApp(App):
    """The team wiki. Pages are named by title (or an id like "pg0003"); their text links
    to other pages with [[Title]] or [[Title|label]]."""

    name = "wiki"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._index = TextIndex(columns=2, weights=(5.0, 1.0))

    @property
    def store(self) -> WikiStore:
        return self.world.store("wiki", WikiStore)

    @tool(read_only=True)
    def list_pages(self, prefix: Annotated[str, Field(max_length=MAX_TITLE)] = "",
                   limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """The pages, by title, optionally only those whose title starts with a prefix
        (case-insensitive).

        Returns ``{"total", "offset", "results": [{id, title, revision, updated, author,
        size}]}`` where revision is the current revision's number and size its length in
        characters.

        Args:
            prefix: only titles starting with this, e.g. "Runbook".
            limit: most pages to return (1-100).
            offset: pages to skip, for the next page of results.
        """
        start = norm_title(prefix) if prefix.strip() else ""
        pages = sorted((p for p in self.store.pages if norm_title(p.title).startswith(start)),
                       key=lambda p: (norm_title(p.title), p.id))
        rows = [self._summary(p) for p in pages]
        return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}

    @tool(read_only=True)
    def search(self, query: Annotated[str, Field(min_length=1, max_length=500)],
               limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Search the pages' current titles and texts, best match first. Every word must
        occur as a word of the page (case- and accent-insensitive; end a word with * to
        match its prefix; "a-b" matches the words a b in a row).

        Returns ``{"total", "offset", "results": [{id, title, revision, updated, author,
        size, snippet}]}``; the snippet marks the matched words with [brackets].

        Args:
            query: words to look for, e.g. "refund policy".
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        pages = self.store.pages
        texts = [(p.title, p.body) for p in pages]
        found = self._index.search(texts, query)
        page = found[offset:offset + limit]
        snippets = self._index.snippets(texts, query, page)
        rows = [{**self._summary(pages[p]), "snippet": snippets.get(p, "")} for p in page]
        return {"total": len(found), "offset": offset, "results": rows}

    @tool(read_only=True)
    def read(self, page: PageKey, revision: RevisionNumber | None = None) -> dict[str, Any]:
        """Read a page: its current text, or the text of an earlier revision.

        Returns ``{id, title, revision, latest_revision, author, at, summary, body,
        links: [{title, page}], redirected_from}``: ``links`` are the pages the text links
        to (``page`` is null for a title no page has), ``redirected_from`` the old title
        you gave if it led here through a redirect.

        Args:
            page: the page's title or id, e.g. "Deploy Runbook" or "pg0003".
            revision: a revision number (history lists them); default the current one.
        """
        found, via = self._page(page)
        if revision is not None and revision > found.current.number:
            raise ToolError(f"{found.title!r} has revisions 1 to {found.current.number}; "
                            "history lists them")
        shown = found.revisions[revision - 1] if revision is not None else found.current
        links = []
        for title in links_in(shown.body):
            target = self.store.lookup(title)
            links.append({"title": title, "page": target[0].id if target else None})
        return {"id": found.id, "title": shown.title, "revision": shown.number,
                "latest_revision": found.current.number, "author": shown.author,
                "at": shown.at, "summary": shown.summary, "body": shown.body, "links": links,
                "redirected_from": via}

    @tool(read_only=True)
    def history(self, page: PageKey, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """A page's revisions, newest first.

        Returns ``{"id", "title", "total", "offset", "revisions": [{revision, title,
        author, at, summary, size}]}``.

        Args:
            page: the page's title or id.
            limit: most revisions to return (1-100).
            offset: newer revisions to skip, for the next (older) page.
        """
        found, _ = self._page(page)
        rows = [{"revision": r.number, "title": r.title, "author": r.author, "at": r.at,
                 "summary": r.summary, "size": len(r.body)} for r in reversed(found.revisions)]
        return {"id": found.id, "title": found.title, "total": len(rows), "offset": offset,
                "revisions": rows[offset:offset + limit]}

    @tool(read_only=True)
    def backlinks(self, page: PageKey, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """The pages whose current text links to this page (by its title or by an old
        title that redirects to it), by title.

        Returns ``{"id", "title", "total", "offset", "results": [{id, title, revision,
        updated, author, size}]}``.

        Args:
            page: the page's title or id.
            limit: most pages to return (1-100).
            offset: pages to skip, for the next page of results.
        """
        found, _ = self._page(page)
        rows = [self._summary(p) for p in self.store.backlinks_of(found.id)]
        return {"id": found.id, "title": found.title, "total": len(rows), "offset": offset,
                "results": rows[offset:offset + limit]}

    @tool(read_only=True)
    def diff(self, page: PageKey, from_revision: RevisionNumber,
             to_revision: RevisionNumber | None = None) -> str:
        """The changes between two revisions of a page as a unified diff (lines starting
        with - were removed, + added). Long diffs are cut.

        Args:
            page: the page's title or id.
            from_revision: the older revision's number.
            to_revision: the newer revision's number; default the current one.
        """
        found, _ = self._page(page)
        last = found.current.number
        newer = to_revision if to_revision is not None else last
        for number in (from_revision, newer):
            if number > last:
                raise ToolError(f"{found.title!r} has revisions 1 to {last}; history lists them")
        a, b = found.revisions[from_revision - 1], found.revisions[newer - 1]
        lines = difflib.unified_diff(a.body.splitlines(), b.body.splitlines(),
                                     fromfile=f"{a.title} (revision {a.number})",
                                     tofile=f"{b.title} (revision {b.number})", lineterm="")
        text = "\n".join(lines)
        if not text:
            return f"revisions {a.number} and {b.number} have the same text"
        if len(text) > MAX_DIFF_CHARS:
            return text[:MAX_DIFF_CHARS] + f"\n[diff cut at {MAX_DIFF_CHARS} characters]"
        return text

    @tool(destructive=False)
    def create(self, title: PageKey, body: Body,
               summary: Summary = "created") -> dict[str, Any]:
        """Create a page.

        Returns ``{id, title, revision, updated, author, size}``.

        Args:
            title: a title no page or redirect has yet (no [ ] | # { } < >).
            body: the page's text; link other pages with [[Title]] or [[Title|label]].
            summary: the edit summary.
        """
        clean = _tool_title(title)
        taken = self.store.lookup(clean)
        if taken is not None:
            page, via = taken
            what = f"a redirect to {page.title!r}" if via else f"page {page.id}"
            raise ToolError(f"the title {clean!r} is taken by {what}; edit that page or "
                            "choose another title")
        if len(self.store.pages) >= MAX_PAGES:
            raise ToolError(f"the wiki holds {MAX_PAGES} pages, the most it can")
        self._check_room(len(body))
        page = self.store.add_page(clean, body, self.store.me, self.world.now,
                                   summary=summary.strip() or "created")
        self._spend(len(body))
        return self._summary(page)

    @tool(idempotent=True)
    def edit(self, page: PageKey, body: Body,
             summary: Annotated[str, Field(min_length=1, max_length=MAX_SUMMARY)],
             base_revision: RevisionNumber | None = None) -> dict[str, Any]:
        """Replace a page's text, as a new revision.

        Give base_revision (the revision you read) to make sure nobody changed the page
        since: the edit is refused if it is no longer the current one.

        Returns ``{id, title, revision, updated, author, size}``.

        Args:
            page: the page's title or id.
            body: the whole new text (it replaces the current text).
            summary: what you changed and why, e.g. "fix the on-call phone number".
            base_revision: the revision your edit is based on.
        """
        found, _ = self._page(page)
        current = found.current
        if base_revision is not None and base_revision != current.number:
            raise ToolError(f"{found.title!r} changed since revision {base_revision}: it is at "
                            f"revision {current.number} ({current.author}: "
                            f"{current.summary!r}); read it again and redo your edit on it")
        if not summary.strip():
            raise ToolError("summary must say what you changed")
        if body == current.body:
            raise ToolError(f"the text is the same as revision {current.number}; nothing to "
                            "save")
        self._check_revisions(found)
        self._check_room(len(body))
        self.store.add_revision(found.id, body, self.store.me, self.world.now, summary.strip())
        self._spend(len(body))
        return self._summary(found)

    @tool(idempotent=True)
    def move(self, page: PageKey, new_title: PageKey,
             summary: Summary = "") -> dict[str, Any]:
        """Rename a page. The old title becomes a redirect to the page, so links to it
        keep working and no other page changes.

        Returns ``{id, title, revision, updated, author, size, redirect_from}``.

        Args:
            page: the page's current title or id.
            new_title: a title no other page or redirect has (no [ ] | # { } < >).
            summary: why it moved.
        """
        found, _ = self._page(page)
        clean = _tool_title(new_title)
        old = found.title
        if clean == old:
            raise ToolError(f"the page is already titled {old!r}")
        taken = self.store.lookup(clean)
        if taken is not None and taken[0].id != found.id:
            other, via = taken
            what = f"a redirect to {other.title!r}" if via else f"page {other.id}"
            raise ToolError(f"the title {clean!r} is taken by {what}; choose another title")
        self._check_revisions(found)
        self._check_room(len(found.body))
        store = self.store
        # moving back onto an old title of the same page drops that redirect
        store.redirects = [r for r in store.redirects if norm_title(r.title) != norm_title(clean)]
        if norm_title(old) != norm_title(clean):
            store.redirects.append(Redirect(title=old, target=found.id))
            store.redirects.sort(key=lambda r: (norm_title(r.title), r.target))
        note = f"moved from {old!r} to {clean!r}" + (f": {summary.strip()}" if summary.strip()
                                                     else "")
        store.add_revision(found.id, found.body, store.me, self.world.now, note, title=clean)
        self._spend(len(found.body))
        return {**self._summary(found), "redirect_from": old}

    # -- helpers -------------------------------------------------------------------------

    def _page(self, key: str) -> tuple[Page, str | None]:
        store = self.store
        found = next((p for p in store.pages if p.id == key.strip()), None)
        if found is not None:
            return found, None
        resolved = store.lookup(key)
        if resolved is None:
            raise ToolError(f"no page titled {key!r}; give a title or an id such as 'pg0001' "
                            "(search and list_pages find pages)")
        return resolved

    def _summary(self, page: Page) -> dict[str, Any]:
        current = page.current
        return {"id": page.id, "title": current.title, "revision": current.number,
                "updated": current.at, "author": current.author, "size": len(current.body)}

    def _check_revisions(self, page: Page) -> None:
        if len(page.revisions) >= MAX_REVISIONS:
            raise ToolError(f"{page.title!r} has {MAX_REVISIONS} revisions, the most a page "
                            "holds")

    def _check_room(self, more: int) -> None:
        # counted as the tools write, not summed over every revision on every write
        if self.store.written + more > MAX_WRITTEN_CHARS:
            raise ToolError(f"{MAX_WRITTEN_CHARS} characters of page text have been written, "
                            "the most one task allows")

    def _spend(self, chars: int) -> None:
        self.store.written += chars


def _tool_title(title: str) -> str:
    try:
        return _check_title(title)
    except ValueError as exc:
        raise ToolError(f"{exc}; give a plain title such as 'Deploy Runbook'") from None
