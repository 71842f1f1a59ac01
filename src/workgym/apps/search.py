"""search: an offline search engine over a corpus of documents (encyclopedia articles,
news items, papers), with a real full-text index.

The corpus is generated per world (see :mod:`workgym.content.corpus`) and never changes
during an episode: every tool only reads. It is therefore held as one immutable
:class:`Corpus` that all episodes of a task share: copying a world's stores hands the same
object on, and the world digest covers the corpus through its content hash (SHA-256 over
every document) instead of a JSON dump of every document. At 500 documents a full dump
and deep copy would cost several milliseconds per reset and per digest; the hash costs
nothing per episode (it is computed once, when the corpus is built). Nothing in the store
can change, so nothing else needs digesting.

Search is SQLite FTS5 (the shared :class:`~workgym.apps._fts.TextIndex`, built once per
corpus and shared by its episodes), ranked by BM25 over title, authors and text, ties
broken by document id, so the same corpus and query always give the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainSerializer

from workgym.apps._fts import MAX_QUERY_CHARS, TextIndex
from workgym.core import App, GradeError, Store, ToolError, tool

__all__ = ["KINDS", "Corpus", "Document", "SearchApp", "SearchStore", "Section",
           "build_search", "cited_documents", "document_of"]

KINDS = ("article", "news", "paper")
"""The kinds of document: encyclopedia articles, news items, papers."""
MAX_DOCUMENTS = 5_000
MAX_ID = 40
MAX_TITLE = 300
MAX_SOURCE = 120
MAX_AUTHORS = 20
MAX_AUTHOR = 120
MAX_SECTIONS = 30
MAX_HEADING = 200
MAX_SECTION_CHARS = 6_000
"""Longest section: ``open`` returns one section at a time, so this bounds its output."""
MAX_RESULTS = 50
MAX_CITED_TEXT = 200_000
"""Longest text ``cited_documents`` reads."""
_LEAD_CHARS = 200
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

Kind = Literal["article", "news", "paper"]
Query = Annotated[str, Field(max_length=MAX_QUERY_CHARS)]
DayText = Annotated[str, Field(min_length=1, max_length=40)]
SourceName = Annotated[str, Field(min_length=1, max_length=MAX_SOURCE)]
DocKey = Annotated[str, Field(min_length=1, max_length=MAX_ID + 20)]
SectionNumber = Annotated[int, Field(ge=1, le=MAX_SECTIONS)]
Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a document, shown whole by ``open``."""

    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """One document of the corpus."""

    id: str
    """Lower-case letters, digits and ``-`` (not first or last), e.g. ``news-3f9a2c``."""
    kind: str
    """One of ``KINDS``."""
    title: str
    source: str
    """The encyclopedia, news outlet or journal that published it."""
    date: str
    """``YYYY-MM-DD``: an article's last revision, a news item's or paper's publication."""
    sections: tuple[Section, ...]
    authors: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The whole text: each section's heading and text."""
        return "\n\n".join(f"{s.heading}\n{s.text}" for s in self.sections)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, as ``build_search`` accepts it."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "source": self.source,
                "date": self.date, "authors": list(self.authors),
                "sections": [{"heading": s.heading, "text": s.text} for s in self.sections]}

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "source": self.source,
                "date": self.date, "authors": list(self.authors)}


class Corpus:
    """An immutable set of documents, sorted by id, with its full-text index.

    Copies are the object itself (a world's stores are deep-copied per episode; the corpus
    never changes, so every episode of a task shares one corpus and one index).

    Args:
        documents: the documents; their ids must be unique.

    Raises:
        ValueError: a document the tools could not show within their bounds (see
            ``build_search``), a repeated id, or too many documents.
    """

    __slots__ = ("_by_id", "_index", "_rows", "_sources", "digest", "documents")

    def __init__(self, documents: Iterable[Document] = ()) -> None:
        docs = sorted(documents, key=lambda d: d.id)
        if len(docs) > MAX_DOCUMENTS:
            raise ValueError(f"a corpus holds at most {MAX_DOCUMENTS} documents, got {len(docs)}")
        for doc in docs:
            _check_document(doc)
        by_id: dict[str, Document] = {}
        for doc in docs:
            if doc.id in by_id:
                raise ValueError(f"document id {doc.id!r} is used twice")
            by_id[doc.id] = doc
        self.documents: tuple[Document, ...] = tuple(docs)
        self._by_id = by_id
        blob = json.dumps([d.as_dict() for d in docs], ensure_ascii=False,
                          separators=(",", ":"))
        self.digest: str = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        """SHA-256 of every document's plain data, in id order."""
        self._sources: dict[str, str] = {}
        for name in sorted({d.source for d in docs}):
            key = " ".join(name.split()).casefold()
            if key in self._sources:
                raise ValueError(f"sources {self._sources[key]!r} and {name!r} differ only in "
                                 "case or spacing; spell a source one way")
            self._sources[key] = name
        self._rows = tuple((d.title, " ".join(d.authors), d.text) for d in docs)
        # title words count most, then authors; snippets come from the text
        self._index = TextIndex(columns=3, weights=(4.0, 2.0, 1.0), snippet_column=2)

    def __len__(self) -> int:
        return len(self.documents)

    def __deepcopy__(self, memo: dict[int, Any]) -> Corpus:
        return self

    def __copy__(self) -> Corpus:
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Corpus) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"Corpus({len(self.documents)} documents, sha256={self.digest[:12]})"

    def get(self, doc_id: str) -> Document | None:
        """The document with this id, or None."""
        return self._by_id.get(doc_id)

    def source(self, name: str) -> str | None:
        """The source's name as the documents spell it, for a name in any case."""
        return self._sources.get(" ".join(name.split()).casefold())

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources' names, sorted."""
        return tuple(self._sources.values())

    def search(self, query: str) -> list[int]:
        """Positions of the documents matching every word, best first (BM25), ties by id.

        Raises:
            ToolError: a query with no words, too many, or too long.
        """
        return self._index.search(self._rows, query)

    def snippets(self, query: str, positions: Sequence[int]) -> dict[int, str]:
        """A snippet of each position's text, matched words in [brackets]."""
        return self._index.snippets(self._rows, query, positions)


def _corpus_state(corpus: Corpus) -> dict[str, Any]:
    return {"documents": len(corpus), "sha256": corpus.digest}


_EMPTY = Corpus()


class SearchStore(Store):
    """The search engine's state: its corpus, digested by content hash (see the module
    docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    corpus: Annotated[Corpus, PlainSerializer(_corpus_state, return_type=dict)] = Field(
        default_factory=lambda: _EMPTY)
    """Every document; dumps as ``{"documents": N, "sha256": ...}``."""


def build_search(documents: Iterable[Document | Mapping[str, Any]]) -> SearchStore:
    """A search engine over ``documents``, given as :class:`Document` or as plain data
    ``{"id", "kind", "title", "source", "date", "authors": [..], "sections": [{"heading",
    "text"}]}``.

    Raises:
        TypeError: an item that is neither a Document nor a mapping.
        ValueError: a missing or malformed field, an id other than lower-case letters,
            digits and inner hyphens, a kind not in ``KINDS``, a date not ``YYYY-MM-DD``, text
            over the bounds (title, source, authors, sections and their length), a
            repeated id, a source spelt two ways, or more than ``MAX_DOCUMENTS``
            documents.
    """
    return SearchStore(corpus=Corpus(_document(d) for d in documents))


def _document(value: Document | Mapping[str, Any]) -> Document:
    if isinstance(value, Document):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"a document is a Document or a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - {"id", "kind", "title", "source", "date", "authors",
                                   "sections"})
    if unknown:
        raise ValueError(f"document {value.get('id')!r}: unknown fields {unknown}")
    try:
        sections = tuple(Section(str(s["heading"]), str(s["text"])) for s in value["sections"])
        return Document(id=str(value["id"]), kind=str(value["kind"]), title=str(value["title"]),
                        source=str(value["source"]), date=str(value["date"]),
                        sections=sections,
                        authors=tuple(str(a) for a in value.get("authors", ())))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"document {value.get('id')!r} lacks a field or has the wrong "
                         f"shape: {exc}") from None


def _check_document(doc: Document) -> None:
    where = f"document {doc.id!r}"
    if (not 1 <= len(doc.id) <= MAX_ID or not set(doc.id) <= _ID_CHARS
            or doc.id[0] == "-" or doc.id[-1] == "-"):
        raise ValueError(f"{where}: an id has 1 to {MAX_ID} lower-case letters, digits or "
                         "inner hyphens")
    if doc.kind not in KINDS:
        raise ValueError(f"{where}: kind {doc.kind!r} is not one of {', '.join(KINDS)}")
    if _parse_day(doc.date) is None:
        raise ValueError(f"{where}: date {doc.date!r} is not YYYY-MM-DD")
    for label, text, most in (("title", doc.title, MAX_TITLE), ("source", doc.source, MAX_SOURCE)):
        if not text.strip() or len(text) > most or not text.isprintable():
            raise ValueError(f"{where}: the {label} needs 1 to {most} printable characters")
    if len(doc.authors) > MAX_AUTHORS or any(
            not a.strip() or len(a) > MAX_AUTHOR or not a.isprintable() for a in doc.authors):
        raise ValueError(f"{where}: at most {MAX_AUTHORS} authors of 1 to {MAX_AUTHOR} "
                         "printable characters")
    if not 1 <= len(doc.sections) <= MAX_SECTIONS:
        raise ValueError(f"{where}: a document has 1 to {MAX_SECTIONS} sections")
    for s in doc.sections:
        if not s.heading.strip() or len(s.heading) > MAX_HEADING or not s.heading.isprintable():
            raise ValueError(f"{where}: a heading needs 1 to {MAX_HEADING} printable characters")
        if len(s.text) > MAX_SECTION_CHARS:
            raise ValueError(f"{where}: section {s.heading!r} is longer than "
                             f"{MAX_SECTION_CHARS} characters; split it")


def _parse_day(text: str) -> date | None:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def document_of(store: SearchStore, doc_id: str) -> Document:
    """The document with an id, for graders.

    Raises:
        GradeError: no document has that id.
    """
    found = store.corpus.get(doc_id)
    if found is None:
        raise GradeError(f"the corpus has no document {doc_id!r}")
    return found


def cited_documents(store: SearchStore, text: str) -> list[str]:
    """The ids of the corpus's documents that ``text`` mentions, in order of first mention,
    each once: for graders reading an answer's citations. Ids are matched as whole words
    (``news-3f9a2c`` in "see [news-3f9a2c]."), case-insensitively. Linear in the text.

    Raises:
        GradeError: a text longer than ``MAX_CITED_TEXT`` characters.
    """
    if len(text) > MAX_CITED_TEXT:
        raise GradeError(f"the text is longer than {MAX_CITED_TEXT} characters")
    corpus = store.corpus
    found: list[str] = []
    seen: set[str] = set()
    word: list[str] = []
    for ch in (*text.lower(), " "):
        if ch in _ID_CHARS:
            word.append(ch)
            continue
        if word:
            candidate = "".join(word).strip("-")  # "--" around an id is not part of it
            if candidate not in seen and corpus.get(candidate) is not None:
                seen.add(candidate)
                found.append(candidate)
            word.clear()
    return found


class SearchApp(App):
    """A search engine over encyclopedia articles, news items and papers. Documents have
    ids like "art-3f9a2c"; search finds them, open reads them section by section."""

    name = "search"

    @property
    def store(self) -> SearchStore:
        return self.world.store("search", SearchStore)

    @tool(read_only=True)
    def search(self, query: Query = "", kind: Kind | None = None,
               source: SourceName | None = None, date_from: DayText | None = None,
               date_to: DayText | None = None,
               sort: Literal["relevance", "newest", "oldest"] = "relevance",
               limit: Limit = 10, offset: Offset = 0) -> dict[str, Any]:
        """Search the documents' titles, authors and text. Every word must occur as a word
        of the document (case- and accent-insensitive; end a word with * to match its
        prefix; "a-b" matches the words a b in a row). Relevance is BM25, ties by id. With
        no query, lists the documents that pass the filters, newest first.

        Returns ``{"total", "offset", "results": [{id, kind, title, source, date,
        authors, snippet}]}``; the snippet marks the matched words with [brackets]. A
        date is an article's last revision, or a news item's or paper's publication.

        Args:
            query: words to look for, e.g. "Kestrel Labs founder".
            kind: only "article" (encyclopedia), "news" or "paper".
            source: only documents of this publication (list_sources names them).
            date_from: only documents dated on or after this day, YYYY-MM-DD.
            date_to: only documents dated on or before this day, YYYY-MM-DD.
            sort: "relevance" (best first), "newest" or "oldest" first.
            limit: most results to return (1-50).
            offset: results to skip, for the next page.
        """
        corpus = self.store.corpus
        start, end = _day_arg(date_from, "date_from"), _day_arg(date_to, "date_to")
        if start is not None and end is not None and start > end:
            raise ToolError(f"date_from {date_from} is after date_to {date_to}; swap them")
        wanted_source = self._source(corpus, source) if source is not None else None
        words = bool(query.strip())
        docs = corpus.documents
        positions = corpus.search(query) if words else range(len(docs))
        low, high = (start.isoformat() if start else ""), (end.isoformat() if end else "")
        kept = [p for p in positions
                if (kind is None or docs[p].kind == kind)
                and (wanted_source is None or docs[p].source == wanted_source)
                and (not low or docs[p].date >= low) and (not high or docs[p].date <= high)]
        if sort != "relevance" or not words:
            kept.sort()  # id order first, so equal dates keep it
            kept.sort(key=lambda p: docs[p].date, reverse=sort != "oldest")
        page = kept[offset:offset + limit]
        snippets = corpus.snippets(query, page) if words else {}
        results = []
        for p in page:
            doc = docs[p]
            cut = snippets.get(p)
            # a snippet may span a heading and its text: one line reads better
            results.append({**doc.summary(),
                            "snippet": " ".join(cut.split()) if cut is not None else _lead(doc)})
        return {"total": len(kept), "offset": offset, "results": results}

    @tool(read_only=True)
    def open(self, document: DocKey, section: SectionNumber = 1) -> dict[str, Any]:
        """Read a document, one section at a time.

        Returns ``{id, kind, title, source, date, authors, sections: [{number, heading,
        chars}], section, heading, text, next_section}``: ``sections`` is the table of
        contents, ``text`` the whole text of the section asked for, ``next_section`` the
        number to open next (null after the last).

        Args:
            document: the document's id, e.g. "art-3f9a2c".
            section: the section's number (1 is the first).
        """
        corpus = self.store.corpus
        key = document.strip().lower()
        doc = corpus.get(key)
        if doc is None:
            raise ToolError(f"no document has the id {document!r}; search finds documents "
                            "and gives their ids")
        count = len(doc.sections)
        if section > count:
            raise ToolError(f"{doc.id} has sections 1 to {count}; the sections list shows "
                            "their headings")
        shown = doc.sections[section - 1]
        return {**doc.summary(),
                "sections": [{"number": i, "heading": s.heading, "chars": len(s.text)}
                             for i, s in enumerate(doc.sections, 1)],
                "section": section, "heading": shown.heading, "text": shown.text,
                "next_section": section + 1 if section < count else None}

    @tool(read_only=True)
    def list_sources(self, kind: Kind | None = None, limit: Limit = 50,
                     offset: Offset = 0) -> dict[str, Any]:
        """The publications the documents come from: encyclopedias, news outlets and
        journals, by kind and name.

        Returns ``{"total", "offset", "results": [{source, kind, documents, first_date,
        last_date}]}``.

        Args:
            kind: only sources of "article", "news" or "paper" documents.
            limit: most sources to return (1-50).
            offset: sources to skip, for the next page.
        """
        groups: dict[tuple[str, str], list[str]] = {}
        for doc in self.store.corpus.documents:
            if kind is None or doc.kind == kind:
                groups.setdefault((doc.kind, doc.source), []).append(doc.date)
        rows = [{"source": source, "kind": k, "documents": len(dates),
                 "first_date": min(dates), "last_date": max(dates)}
                for (k, source), dates in sorted(groups.items(),
                                                 key=lambda g: (g[0][0], g[0][1].casefold()))]
        return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}

    @staticmethod
    def _source(corpus: Corpus, name: str) -> str:
        known = corpus.source(name)
        if known is None:
            raise ToolError(f"no source is named {name!r}; list_sources shows the "
                            f"{len(corpus.sources)} sources")
        return known


def _day_arg(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    day = _parse_day(value.strip())
    if day is None:
        raise ToolError(f"{name} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2024-03-01")
    return day


def _lead(doc: Document) -> str:
    text = " ".join(doc.sections[0].text.split())
    if len(text) <= _LEAD_CHARS:
        return text
    cut = text.rfind(" ", 0, _LEAD_CHARS)
    return text[:cut if cut > 0 else _LEAD_CHARS] + "..."
