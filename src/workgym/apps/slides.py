"""slides: PowerPoint decks (.pptx) in the workspace, read and edited through python-pptx.

The files are the state: there is no store. Slides are numbered from 1 in deck order;
shapes are named by the id python-pptx reads from the slide (``read_slide`` lists them).
Every write saves through :func:`pptx_bytes`, so the same content always gives the same
bytes (and the same world digest).

Every package is checked before it is opened (``_ooxml.check_package``: declared part
sizes, no zip bombs), and decks are bounded in slides and shapes. Reads parse a file once
per content (:func:`parse_pptx` is cached) and never change it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide, SlideLayout
from pptx.table import _Cell
from pptx.util import Emu, Inches

from workgym.apps._ooxml import check_package, package_bytes
from workgym.core import MAX_FILE_BYTES, App, GradeError, ToolError, tool

__all__ = [
    "PptxContent", "PptxShape", "PptxSlide", "SlideSpec", "SlidesApp", "build_pptx",
    "parse_pptx", "pptx_bytes", "read_pptx",
]

MAX_SLIDES = 300
"""Most slides a deck may have to be read or written."""
MAX_SHAPES = 300
"""Most shapes one slide may have (shapes inside groups included)."""
MAX_TEXT = 10_000
"""Longest text a tool writes into one shape (or the notes)."""
MAX_CELL_TEXT = 2_000
MAX_TABLE_ROWS = 100
MAX_TABLE_COLUMNS = 20
MAX_MATCHES = 100
_EMU_PER_INCH = 914_400
_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
_BODIES = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT, PP_PLACEHOLDER.VERTICAL_BODY,
           PP_PLACEHOLDER.VERTICAL_OBJECT, PP_PLACEHOLDER.SUBTITLE}
_SNIPPET = 40


# -- content model ----------------------------------------------------------------------


@dataclass(frozen=True)
class PptxShape:
    """One shape of a slide, as the reading tools show it."""

    id: int
    """The shape's id on its slide (``read_slide`` lists it; the editing tools take it)."""
    name: str
    kind: str
    """``title``, ``subtitle``, ``body`` (placeholders), ``text`` (a text box or a shape
    with text), ``table``, ``picture``, ``chart``, ``group`` or ``shape``."""
    text: str = ""
    """Its text, paragraphs separated by ``\\n``."""
    rows: tuple[tuple[str, ...], ...] = ()
    """A table's cell texts, row by row."""
    children: tuple[PptxShape, ...] = ()
    """The shapes inside a group."""


@dataclass(frozen=True)
class PptxSlide:
    """One slide: its layout, title, shapes and speaker notes."""

    layout: str
    title: str | None
    """The title placeholder's text; None when the slide has no title placeholder."""
    shapes: tuple[PptxShape, ...]
    notes: str = ""


@dataclass(frozen=True)
class PptxContent:
    """The readable content of a .pptx deck."""

    slides: tuple[PptxSlide, ...]
    layouts: tuple[str, ...] = ()
    """Names of the slide layouts the deck offers, in master order."""
    width_in: float = 10.0
    height_in: float = 7.5

    def titles(self) -> list[str | None]:
        return [s.title for s in self.slides]


@dataclass(frozen=True)
class SlideSpec:
    """A slide for :func:`build_pptx`."""

    title: str = ""
    layout: str = "Title and Content"
    body: str = ""
    """Text of the first body (or subtitle) placeholder; paragraphs separated by ``\\n``."""
    table: tuple[tuple[str, ...], ...] = ()
    """Rows of a table to add below the title."""
    notes: str = ""


# -- reading and writing ----------------------------------------------------------------


def _open_deck(data: bytes) -> PptxPresentation:
    """Open .pptx bytes after the package check.

    Raises:
        ValueError: the bytes are not a readable, bounded .pptx deck.
    """
    check_package(data, ".pptx deck")
    try:
        deck = Presentation(io.BytesIO(data))
        count = len(deck.slides._sldIdLst)
    except Exception as exc:  # noqa: BLE001  (zip, XML and python-pptx errors all mean "corrupt")
        raise ValueError(f"not a readable .pptx deck ({type(exc).__name__})") from None
    if count > MAX_SLIDES:
        raise ValueError(f"the deck has {count} slides; at most {MAX_SLIDES} are read")
    return deck


@functools.lru_cache(maxsize=64)
def parse_pptx(data: bytes) -> PptxContent:
    """The content of .pptx bytes, parsed once per content and shared read-only.

    Raises:
        ValueError: the bytes are not a readable .pptx deck within the bounds.
    """
    deck = _open_deck(data)
    try:
        slides = []
        for number, slide in enumerate(deck.slides, 1):
            count = sum(1 for _ in slide.shapes._spTree.iter(
                qn("p:sp"), qn("p:graphicFrame"), qn("p:pic"), qn("p:grpSp"), qn("p:cxnSp")))
            if count > MAX_SHAPES:
                raise ValueError(f"slide {number} has {count} shapes; at most {MAX_SHAPES} "
                                 "are read")
            title_shape = slide.shapes.title
            notes = ""
            if slide.has_notes_slide:
                frame = slide.notes_slide.notes_text_frame
                notes = frame.text if frame is not None else ""
            slides.append(PptxSlide(
                layout=slide.slide_layout.name or "",
                title=title_shape.text_frame.text if title_shape is not None else None,
                shapes=tuple(_shape(s) for s in slide.shapes), notes=notes))
        layouts = tuple(layout.name or "" for layout in _layouts(deck))
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001  (a part python-pptx cannot make sense of)
        raise ValueError(f"not a readable .pptx deck ({type(exc).__name__})") from None
    return PptxContent(tuple(slides), layouts, _inches(deck.slide_width or 0),
                       _inches(deck.slide_height or 0))


def read_pptx(data: bytes) -> PptxContent:
    """:func:`parse_pptx` for graders: a deck the agent left unreadable fails the criterion.

    Raises:
        GradeError: the bytes are not a readable .pptx deck within the bounds.
    """
    try:
        return parse_pptx(data)
    except ValueError as exc:
        raise GradeError(str(exc)) from None


def pptx_bytes(deck: PptxPresentation) -> bytes:
    """Serialize a python-pptx presentation deterministically: same content, same bytes."""
    out = io.BytesIO()
    deck.save(out)
    return package_bytes(out.getvalue())


def build_pptx(slides: Sequence[SlideSpec]) -> bytes:
    """A .pptx deck (python-pptx's default 4:3 template) of the given slides, for
    families building worlds.

    Raises:
        ValueError: an unknown layout, or a title or body on a layout without one.
    """
    deck = Presentation()
    for number, spec in enumerate(slides, 1):
        layout = _layout(deck, spec.layout)
        if layout is None:
            raise ValueError(f"slide {number}: no layout named {spec.layout!r}")
        slide = deck.slides.add_slide(layout)
        try:
            _fill_new_slide(slide, spec.title or None, spec.body or None)
        except ToolError as exc:
            raise ValueError(f"slide {number}: {exc}") from None
        if spec.table:
            _add_table(deck, slide, [list(r) for r in spec.table], None)
        if spec.notes:
            _set_frame_text(slide.notes_slide.notes_text_frame, spec.notes)
    return pptx_bytes(deck)


def _inches(emu: int) -> float:
    return round(emu / _EMU_PER_INCH, 3)


def _layouts(deck: PptxPresentation) -> Iterator[SlideLayout]:
    for master in deck.slide_masters:
        yield from master.slide_layouts


def _layout(deck: PptxPresentation, name: str) -> SlideLayout | None:
    layouts = list(_layouts(deck))
    exact = [layout for layout in layouts if layout.name == name]
    if exact:
        return exact[0]
    folded = [layout for layout in layouts
              if (layout.name or "").casefold() == name.strip().casefold()]
    return folded[0] if folded else None


def _kind(shape: Any) -> str:
    if shape.is_placeholder:
        kind = shape.placeholder_format.type
        if kind in _TITLES:
            return "title"
        if kind == PP_PLACEHOLDER.SUBTITLE:
            return "subtitle"
    if getattr(shape, "has_table", False) and shape.has_table:
        return "table"
    if getattr(shape, "has_chart", False) and shape.has_chart:
        return "chart"
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return "group"
    if shape.shape_type == MSO_SHAPE_TYPE.PICTURE or (
            shape.is_placeholder and shape.placeholder_format.type == PP_PLACEHOLDER.PICTURE
            and not shape.has_text_frame):
        return "picture"
    if shape.is_placeholder and shape.placeholder_format.type in _BODIES:
        return "body"
    if shape.has_text_frame:
        return "text"
    return "shape"


def _shape(shape: Any) -> PptxShape:
    kind = _kind(shape)
    text = shape.text_frame.text if shape.has_text_frame else ""
    rows: tuple[tuple[str, ...], ...] = ()
    children: tuple[PptxShape, ...] = ()
    if kind == "table":
        rows = tuple(tuple(cell.text for cell in row.cells) for row in shape.table.rows)
    elif kind == "group":
        children = tuple(_shape(child) for child in shape.shapes)
    return PptxShape(id=shape.shape_id, name=shape.name or "", kind=kind, text=text,
                     rows=rows, children=children)


def _shape_json(shape: PptxShape) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": shape.id, "name": shape.name, "kind": shape.kind}
    if shape.kind == "table":
        shown["rows"] = len(shape.rows)
        shown["columns"] = max((len(r) for r in shape.rows), default=0)
        shown["cells"] = [list(r) for r in shape.rows]
    elif shape.kind == "group":
        shown["shapes"] = [_shape_json(child) for child in shape.children]
    elif shape.kind not in ("picture", "chart", "shape") or shape.text:
        shown["text"] = shape.text
    return shown


def _walk(shapes: Sequence[PptxShape]) -> Iterator[PptxShape]:
    for shape in shapes:
        yield shape
        yield from _walk(shape.children)


def _set_frame_text(frame: Any, text: str) -> None:
    """Set a text frame's text, one paragraph per line, keeping the look of its first
    paragraph and run (python-pptx's own setter drops both)."""
    body = frame._txBody
    paragraphs = body.findall(qn("a:p"))
    paragraph_format = None
    run_format = None
    if paragraphs:
        found = paragraphs[0].find(qn("a:pPr"))
        paragraph_format = deepcopy(found) if found is not None else None
        for run in paragraphs[0].iter(qn("a:r")):
            found = run.find(qn("a:rPr"))
            if found is not None:
                run_format = deepcopy(found)
                break
    frame.text = text
    for paragraph in body.findall(qn("a:p")):
        if paragraph_format is not None and paragraph.find(qn("a:pPr")) is None:
            paragraph.insert(0, deepcopy(paragraph_format))
        if run_format is not None:
            for run in paragraph.iter(qn("a:r")):
                existing = run.find(qn("a:rPr"))
                if existing is not None:
                    run.remove(existing)
                run.insert(0, deepcopy(run_format))


def _fill_new_slide(slide: Slide, title: str | None, body: str | None) -> None:
    if title is not None:
        if slide.shapes.title is None:
            raise ToolError(f"layout {slide.slide_layout.name!r} has no title placeholder; "
                            "choose another layout or add a text box")
        _set_frame_text(slide.shapes.title.text_frame, title)
    if body is not None:
        target = next((p for p in slide.placeholders
                       if p.placeholder_format.type in _BODIES and p.has_text_frame), None)
        if target is None:
            raise ToolError(f"layout {slide.slide_layout.name!r} has no body placeholder; "
                            "choose another layout or add a text box")
        _set_frame_text(target.text_frame, body)


def _add_table(deck: PptxPresentation, slide: Slide, rows: list[list[str]],
               box: tuple[float, float, float, float] | None) -> Any:
    width_cols = max(len(r) for r in rows)
    slide_w = deck.slide_width or Inches(10)
    if box is None:
        left, top = Emu(Inches(0.5)), Emu(Inches(1.6))
        width, height = Emu(slide_w - 2 * Inches(0.5)), Emu(Inches(0.4) * len(rows))
    else:
        left, top, width, height = (Emu(Inches(v)) for v in box)
    frame = slide.shapes.add_table(len(rows), width_cols, left, top, width, height)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            frame.table.cell(r, c).text = text
    return frame


def _check_text(value: str, what: str, limit: int) -> str:
    if len(value) > limit:
        raise ToolError(f"{what} is {len(value)} characters long; at most {limit} are allowed")
    for ch in value:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF \
                or code in (0xFFFE, 0xFFFF):
            raise ToolError(f"{what} contains the control character U+{code:04X}, which a "
                            "deck cannot hold; remove it")
    return value


def _fold(text: str) -> str:
    """Lower case of ``text`` with every offset kept (see ``docs._fold``)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


# -- the app ----------------------------------------------------------------------------


class SlidesApp(App):
    """PowerPoint decks (.pptx) in the workspace. Slides are numbered from 1; shapes are
    named by the ids slides.read_slide lists; positions and sizes are in inches."""

    name = "slides"

    @tool(destructive=False)
    def create(self, path: str, title: str = "") -> str:
        """Create a new deck (4:3, the standard layouts), empty or with a title slide.

        Args:
            path: where to create the .pptx file, relative to the workspace root; must not
                exist.
            title: the title of a first "Title Slide"; empty for a deck without slides.
        """
        self._pptx_path(path)
        _check_text(title, "title", MAX_TEXT)
        if self.world.resolve(path).exists():
            raise ToolError(f"{path!r} already exists; edit it with the other slides tools")
        deck = Presentation()
        if title.strip():
            layout = _layout(deck, "Title Slide") or deck.slide_layouts[0]
            _fill_new_slide(deck.slides.add_slide(layout), title, None)
        self._save(path, deck)
        return f"created {path}"

    @tool(read_only=True)
    def list_slides(self, path: str) -> dict[str, Any]:
        """The slides of a deck: {"slide", "layout", "title" (null without a title
        placeholder), "shapes" (how many), "notes" (whether it has speaker notes)}.

        Args:
            path: a .pptx file, relative to the workspace root.
        """
        content = self._content(path)
        return {"path": path, "slides": [
            {"slide": n, "layout": s.layout, "title": s.title, "shapes": len(s.shapes),
             "notes": bool(s.notes.strip())} for n, s in enumerate(content.slides, 1)],
            "size_in": [content.width_in, content.height_in]}

    @tool(read_only=True)
    def list_layouts(self, path: str) -> list[str]:
        """The names of the slide layouts a deck offers for slides.add_slide.

        Args:
            path: a .pptx file, relative to the workspace root.
        """
        return list(self._content(path).layouts)

    @tool(read_only=True)
    def read_slide(self, path: str, slide: int) -> dict[str, Any]:
        """Read one slide: its layout, title, every shape and the speaker notes.

        Each shape is {"id", "name", "kind", ...}: kind is "title", "subtitle", "body"
        (placeholders), "text" (a text box), "table" (with "rows", "columns", "cells"),
        "picture", "chart", "group" (with its "shapes") or "shape"; shapes with text have
        "text" (paragraphs separated by "\\n").

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
        """
        content = self._content(path)
        number = self._number(slide, len(content.slides))
        found = content.slides[number - 1]
        return {"path": path, "slide": number, "layout": found.layout, "title": found.title,
                "shapes": [_shape_json(s) for s in found.shapes], "notes": found.notes}

    @tool(read_only=True)
    def find(self, path: str, text: str, match_case: bool = False,
             limit: int = 20) -> dict[str, Any]:
        """Find a piece of text in a deck's shapes, tables and notes.

        Each match gives {"slide", "shape" (its id; null for the notes), "context"}, and
        {"row", "column"} inside a table. "total" counts every match.

        Args:
            path: a .pptx file, relative to the workspace root.
            text: the text to look for (not a pattern).
            match_case: tell upper and lower case apart.
            limit: most matches to return (1-100).
        """
        if not text:
            raise ToolError("text must not be empty")
        _check_text(text, "text", 1_000)
        if not 1 <= limit <= MAX_MATCHES:
            raise ToolError(f"limit must be between 1 and {MAX_MATCHES}")
        fold = (lambda s: s) if match_case else _fold
        needle = fold(text)
        matches: list[dict[str, Any]] = []
        total = 0
        for number, found in enumerate(self._content(path).slides, 1):
            places: list[tuple[dict[str, Any], str]] = []
            for shape in _walk(found.shapes):
                places.append(({"slide": number, "shape": shape.id}, shape.text))
                for r, row in enumerate(shape.rows, 1):
                    for c, cell in enumerate(row, 1):
                        places.append(({"slide": number, "shape": shape.id, "row": r,
                                        "column": c}, cell))
            places.append(({"slide": number, "shape": None}, found.notes))
            for where, haystack in places:
                folded = fold(haystack)
                at = folded.find(needle)
                while at != -1:
                    total += 1
                    if len(matches) < limit:
                        left, right = max(0, at - _SNIPPET), at + len(text) + _SNIPPET
                        context = (("…" if left else "") + haystack[left:right]
                                   + ("…" if right < len(haystack) else ""))
                        matches.append({**where, "context": context})
                    at = folded.find(needle, at + len(needle))
        return {"path": path, "total": total, "matches": matches}

    @tool(destructive=False)
    def add_slide(self, path: str, layout: str = "Title and Content", title: str | None = None,
                  text: str | None = None, at: int | None = None) -> dict[str, Any]:
        """Add a slide made from one of the deck's layouts (slides.list_layouts names them).

        Args:
            path: a .pptx file, relative to the workspace root.
            layout: the layout's name, e.g. "Title Slide", "Title and Content", "Title Only"
                or "Blank".
            title: text for the slide's title placeholder.
            text: text for its first body (or subtitle) placeholder; "\\n" starts a new
                paragraph (bullet).
            at: the slide number the new slide takes; omit to add it at the end.
        """
        deck = self._open(path)
        chosen = _layout(deck, layout)
        if chosen is None:
            names = ", ".join(repr(layout.name) for layout in _layouts(deck))
            raise ToolError(f"the deck has no layout named {layout!r}; its layouts are: {names}")
        if title is not None:
            _check_text(title, "title", MAX_TEXT)
        if text is not None:
            _check_text(text, "text", MAX_TEXT)
        id_list = deck.slides._sldIdLst
        total = len(id_list)
        if total + 1 > MAX_SLIDES:
            raise ToolError(f"a deck holds at most {MAX_SLIDES} slides")
        position = total + 1 if at is None else at
        if not 1 <= position <= total + 1:
            raise ToolError(f"at must be between 1 and {total + 1} (omit it to add at the end)")
        slide = deck.slides.add_slide(chosen)
        _fill_new_slide(slide, title, text)
        if position <= total:
            new_id = id_list[-1]
            id_list.remove(new_id)
            id_list.insert(position - 1, new_id)
        self._save(path, deck)
        return {"path": path, "slide": position, "layout": chosen.name, "slides": total + 1,
                "shapes": [{"id": s.shape_id, "kind": _kind(s)} for s in slide.shapes]}

    @tool(idempotent=True)
    def set_title(self, path: str, slide: int, title: str) -> dict[str, Any]:
        """Set the text of a slide's title placeholder.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            title: the new title.
        """
        _check_text(title, "title", MAX_TEXT)
        deck = self._open(path)
        target = self._slide(deck, slide)
        if target.shapes.title is None:
            raise ToolError(f"slide {slide} has no title placeholder; use slides.set_text on "
                            "one of its shapes, or slides.add_text_box")
        _set_frame_text(target.shapes.title.text_frame, title)
        self._save(path, deck)
        return {"path": path, "slide": slide, "title": title}

    @tool(idempotent=True)
    def set_text(self, path: str, slide: int, shape: int, text: str) -> dict[str, Any]:
        """Replace the text of a shape (a placeholder, text box or shape with text); it
        keeps the look of its first paragraph.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            shape: the shape's id, as slides.read_slide lists it.
            text: the new text; "\\n" starts a new paragraph.
        """
        _check_text(text, "text", MAX_TEXT)
        deck = self._open(path)
        target = self._shape(self._slide(deck, slide), slide, shape)
        if not target.has_text_frame:
            hint = " (slides.fill_table writes table cells)" if _kind(target) == "table" else ""
            raise ToolError(f"shape {shape} on slide {slide} holds no text{hint}")
        _set_frame_text(target.text_frame, text)
        self._save(path, deck)
        return {"path": path, "slide": slide, "shape": shape, "text": target.text_frame.text}

    @tool(destructive=False)
    def add_text_box(self, path: str, slide: int, text: str, left: float = 0.5,
                     top: float = 1.6, width: float = 9.0, height: float = 1.0) -> dict[str, Any]:
        """Add a text box to a slide.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            text: its text; "\\n" starts a new paragraph.
            left: distance from the slide's left edge, in inches.
            top: distance from the slide's top edge, in inches.
            width: in inches.
            height: in inches.
        """
        _check_text(text, "text", MAX_TEXT)
        deck = self._open(path)
        target = self._slide(deck, slide)
        self._check_box(deck, left, top, width, height)
        self._check_room(target, slide)
        box = target.shapes.add_textbox(Inches(left), Inches(top), Inches(width),
                                        Inches(height))
        box.text_frame.word_wrap = True
        _set_frame_text(box.text_frame, text)
        self._save(path, deck)
        return {"path": path, "slide": slide, "shape": box.shape_id}

    @tool(destructive=False)
    def add_table(self, path: str, slide: int, rows: list[list[str]], left: float = 0.5,
                  top: float = 1.6, width: float | None = None,
                  height: float | None = None) -> dict[str, Any]:
        """Add a table to a slide.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            rows: the cell texts, row by row (the first row is the header); short rows are
                padded with empty cells.
            left: distance from the slide's left edge, in inches.
            top: distance from the slide's top edge, in inches.
            width: in inches; by default the slide's width less the margins.
            height: in inches; by default 0.4 per row.
        """
        columns = max((len(r) for r in rows), default=0)
        if not rows or columns == 0:
            raise ToolError("rows must hold at least one row with one cell")
        if len(rows) > MAX_TABLE_ROWS or columns > MAX_TABLE_COLUMNS:
            raise ToolError(f"a table has at most {MAX_TABLE_ROWS} rows and "
                            f"{MAX_TABLE_COLUMNS} columns")
        for r, row in enumerate(rows, 1):
            for c, text in enumerate(row, 1):
                _check_text(text, f"cell {r},{c}", MAX_CELL_TEXT)
        deck = self._open(path)
        target = self._slide(deck, slide)
        slide_w = _inches(deck.slide_width or Inches(10))
        box = (left, top, width if width is not None else round(slide_w - 2 * left, 3),
               height if height is not None else 0.4 * len(rows))
        self._check_box(deck, *box)
        self._check_room(target, slide)
        frame = _add_table(deck, target, [list(r) for r in rows], box)
        self._save(path, deck)
        return {"path": path, "slide": slide, "shape": frame.shape_id, "rows": len(rows),
                "columns": columns}

    @tool(idempotent=True)
    def fill_table(self, path: str, slide: int, shape: int, values: list[list[str | None]],
                   row: int = 1, column: int = 1) -> dict[str, Any]:
        """Write cell texts into a table on a slide, as a rectangle whose top-left cell is
        (row, column). Rows past the table's end are added, like its last row.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            shape: the table's shape id, as slides.read_slide lists it.
            values: the texts, row by row; null leaves a cell as it is.
            row: the row of the first value, from 1 (one past the last row appends rows).
            column: the column of the first value, from 1.
        """
        if not values or not any(values):
            raise ToolError("values must hold at least one row with one value")
        if len(values) > MAX_TABLE_ROWS:
            raise ToolError(f"give at most {MAX_TABLE_ROWS} rows at a time")
        for r, line in enumerate(values, row):
            for c, text in enumerate(line, column):
                if text is not None:
                    _check_text(text, f"cell {r},{c}", MAX_CELL_TEXT)
        deck = self._open(path)
        frame = self._shape(self._slide(deck, slide), slide, shape)
        if _kind(frame) != "table":
            raise ToolError(f"shape {shape} on slide {slide} is not a table")
        table = frame.table
        rows_now, columns = len(table.rows), len(table.columns)
        if row < 1 or column < 1:
            raise ToolError("row and column are numbered from 1")
        if row > rows_now + 1:
            raise ToolError(f"row {row} is past the end: the table has {rows_now} rows (give "
                            f"row {rows_now + 1} to append)")
        width = max(len(line) for line in values)
        if column + width - 1 > columns:
            raise ToolError(f"the values reach column {column + width - 1}, but the table has "
                            f"{columns} columns")
        needed = row + len(values) - 1 - rows_now
        if rows_now + max(needed, 0) > MAX_TABLE_ROWS:
            raise ToolError(f"a table has at most {MAX_TABLE_ROWS} rows")
        rows_xml = table._tbl.tr_lst
        for _ in range(max(needed, 0)):
            added = deepcopy(rows_xml[-1])
            table._tbl.append(added)
            for cell in added.iter(qn("a:tc")):
                _set_frame_text(_Cell(cell, table).text_frame, "")
            frame.height = Emu(frame.height + int(added.get("h", "0")))
        for r, line in enumerate(values, row - 1):
            for c, text in enumerate(line, column - 1):
                if text is not None:
                    _set_frame_text(table.cell(r, c).text_frame, text)
        self._save(path, deck)
        return {"path": path, "slide": slide, "shape": shape, "rows": len(table.rows),
                "columns": columns,
                "written": sum(v is not None for line in values for v in line)}

    @tool(idempotent=True)
    def set_notes(self, path: str, slide: int, text: str) -> dict[str, Any]:
        """Set a slide's speaker notes (replacing any).

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            text: the notes; "\\n" starts a new paragraph; empty clears them.
        """
        _check_text(text, "text", MAX_TEXT)
        deck = self._open(path)
        target = self._slide(deck, slide)
        if not text and not target.has_notes_slide:
            return {"path": path, "slide": slide, "notes": ""}
        frame = target.notes_slide.notes_text_frame
        if frame is None:
            raise ToolError(f"slide {slide}'s notes page has no text placeholder")
        _set_frame_text(frame, text)
        self._save(path, deck)
        return {"path": path, "slide": slide, "notes": frame.text}

    @tool
    def delete_shape(self, path: str, slide: int, shape: int) -> dict[str, Any]:
        """Delete a shape from a slide.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
            shape: the shape's id, as slides.read_slide lists it.
        """
        deck = self._open(path)
        target = self._shape(self._slide(deck, slide), slide, shape)
        element = target._element
        element.getparent().remove(element)
        self._save(path, deck)
        return {"path": path, "slide": slide, "deleted": shape}

    @tool
    def delete_slide(self, path: str, slide: int) -> dict[str, Any]:
        """Delete a slide; the slides after it move up by one.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide number, from 1.
        """
        deck = self._open(path)
        id_list = deck.slides._sldIdLst
        number = self._number(slide, len(id_list))
        doomed = id_list[number - 1]
        id_list.remove(doomed)
        deck.part.drop_rel(doomed.rId)
        self._save(path, deck)
        return {"path": path, "deleted": number, "slides": len(id_list)}

    @tool
    def move_slide(self, path: str, slide: int, to: int) -> dict[str, Any]:
        """Move a slide to another position; the slides between shift by one.

        Args:
            path: a .pptx file, relative to the workspace root.
            slide: the slide's current number, from 1.
            to: its new number, from 1.
        """
        deck = self._open(path)
        id_list = deck.slides._sldIdLst
        number = self._number(slide, len(id_list))
        if not 1 <= to <= len(id_list):
            raise ToolError(f"to must be between 1 and {len(id_list)}")
        moving = id_list[number - 1]
        id_list.remove(moving)
        id_list.insert(to - 1, moving)
        self._save(path, deck)
        return {"path": path, "slide": to, "titles": [
            s.shapes.title.text_frame.text if s.shapes.title is not None else None
            for s in deck.slides]}

    # -- helpers -------------------------------------------------------------------------

    def _pptx_path(self, path: str) -> None:
        if not path.strip().lower().endswith(".pptx"):
            raise ToolError(f"{path!r} is not a .pptx file; the slides tools read PowerPoint "
                            "decks (docs reads .docx and .md, sheets .xlsx, pdf .pdf)")

    def _bytes(self, path: str) -> bytes:
        self._pptx_path(path)
        return self.world.read_file(path)

    def _content(self, path: str) -> PptxContent:
        try:
            return parse_pptx(self._bytes(path))
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read: {exc}") from None

    def _open(self, path: str) -> PptxPresentation:
        """A deck of its own, for a tool that changes it."""
        try:
            return _open_deck(self._bytes(path))
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read: {exc}") from None

    def _save(self, path: str, deck: PptxPresentation) -> None:
        data = pptx_bytes(deck)
        try:
            check_package(data, ".pptx deck")
        except ValueError as exc:
            raise ToolError(f"not saved: {exc}") from None
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(f"the deck would be larger than {MAX_FILE_BYTES} bytes; not saved")
        self.world.write_file(path, data)

    def _number(self, slide: int, total: int) -> int:
        if not 1 <= slide <= total:
            raise ToolError(f"slide {slide} does not exist: the deck has {total} slides, "
                            "numbered from 1 (slides.list_slides lists them)")
        return slide

    def _slide(self, deck: PptxPresentation, slide: int) -> Slide:
        slides = deck.slides
        return slides[self._number(slide, len(slides)) - 1]

    def _shape(self, slide: Slide, number: int, shape_id: int) -> Any:
        def walk(shapes: Any) -> Iterator[Any]:
            for shape in shapes:
                yield shape
                if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
                    yield from walk(shape.shapes)

        found = next((s for s in walk(slide.shapes) if s.shape_id == shape_id), None)
        if found is None:
            ids = ", ".join(str(s.shape_id) for s in walk(slide.shapes)) or "none"
            raise ToolError(f"slide {number} has no shape with id {shape_id}; its shape ids "
                            f"are {ids} (slides.read_slide shows them)")
        return found

    def _check_box(self, deck: PptxPresentation, left: float, top: float, width: float,
                   height: float) -> None:
        slide_w = _inches(deck.slide_width or Inches(10))
        slide_h = _inches(deck.slide_height or Inches(7.5))
        if left < 0 or top < 0 or width <= 0 or height <= 0:
            raise ToolError("left and top must be 0 or more, width and height more than 0")
        if left + width > slide_w + 0.01 or top + height > slide_h + 0.01:
            raise ToolError(f"the box ({left}, {top}, {width} x {height} in) does not fit on "
                            f"the {slide_w} x {slide_h} in slide")

    def _check_room(self, slide: Slide, number: int) -> None:
        if len(slide.shapes) + 1 > MAX_SHAPES:
            raise ToolError(f"slide {number} already has {MAX_SHAPES} shapes")
