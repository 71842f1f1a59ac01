import functools
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches, Pt

import workgym  # noqa: F401  (registers the apps)
from workgym.apps import _ooxml
from workgym.apps.slides import (
    MAX_SLIDES,
    SlideSpec,
    build_pptx,
    parse_pptx,
    pptx_bytes,
    read_pptx,
)
from workgym.core import Episode, GradeError

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SLIDES = (
    SlideSpec(title="Q1 Business Review", layout="Title Slide", body="March 2026"),
    SlideSpec(title="Revenue", body="Up 12% on Q4\nChurn down to 2.1%", notes="Thank the team"),
    SlideSpec(title="KPIs", layout="Title Only", table=(("KPI", "Target", "Actual"),
                                                        ("NPS", "40", "41"))),
)


@functools.cache
def _deck() -> bytes:
    return build_pptx(SLIDES)


@functools.cache
def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_deck())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("ppt/media/zeros.bin", b"\0" * (_ooxml.MAX_PART_BYTES + 1))
    return out.getvalue()


@pytest.fixture
def ep(start_episode):
    files = {"deck.pptx": _deck(), "bomb.pptx": _bomb(), "broken.pptx": b"PK\x03\x04 nope",
             "notes.docx": b"x"}
    return start_episode(("slides", "files"), family="tests/slides", now=NOW, files=files)


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


def deck(ep: Episode, path: str = "deck.pptx"):
    return Presentation(io.BytesIO((ep.world.workspace / path).read_bytes()))


def titles(ep: Episode, path: str = "deck.pptx") -> list[str | None]:
    return parse_pptx((ep.world.workspace / path).read_bytes()).titles()


def test_list_slides_and_layouts_change_nothing(ep):
    before = ep.world.digest()
    assert ok(ep, "slides.list_slides", path="deck.pptx") == {"path": "deck.pptx", "slides": [
        {"slide": 1, "layout": "Title Slide", "title": "Q1 Business Review", "shapes": 2,
         "notes": False},
        {"slide": 2, "layout": "Title and Content", "title": "Revenue", "shapes": 2,
         "notes": True},
        {"slide": 3, "layout": "Title Only", "title": "KPIs", "shapes": 2, "notes": False}],
        "size_in": [10.0, 7.5]}
    layouts = ok(ep, "slides.list_layouts", path="deck.pptx")
    assert layouts[:2] == ["Title Slide", "Title and Content"] and "Blank" in layouts
    ok(ep, "slides.read_slide", path="deck.pptx", slide=2)
    ok(ep, "slides.find", path="deck.pptx", text="nps")
    assert ep.world.digest() == before


def test_read_slide_shows_shapes_tables_and_notes(ep):
    assert ok(ep, "slides.read_slide", path="deck.pptx", slide=2) == {
        "path": "deck.pptx", "slide": 2, "layout": "Title and Content", "title": "Revenue",
        "shapes": [{"id": 2, "name": "Title 1", "kind": "title", "text": "Revenue"},
                   {"id": 3, "name": "Content Placeholder 2", "kind": "body",
                    "text": "Up 12% on Q4\nChurn down to 2.1%"}],
        "notes": "Thank the team"}
    first = ok(ep, "slides.read_slide", path="deck.pptx", slide=1)["shapes"]
    assert [s["kind"] for s in first] == ["title", "subtitle"]
    table = ok(ep, "slides.read_slide", path="deck.pptx", slide=3)["shapes"][1]
    assert table == {"id": 3, "name": "Table 2", "kind": "table", "rows": 2, "columns": 3,
                     "cells": [["KPI", "Target", "Actual"], ["NPS", "40", "41"]]}


def test_find_in_shapes_cells_and_notes(ep):
    got = ok(ep, "slides.find", path="deck.pptx", text="the")
    assert got["matches"] == [{"slide": 2, "shape": None, "context": "Thank the team"}]
    cell = ok(ep, "slides.find", path="deck.pptx", text="41")["matches"]
    assert cell == [{"slide": 3, "shape": 3, "row": 2, "column": 3, "context": "41"}]
    assert ok(ep, "slides.find", path="deck.pptx", text="q4", match_case=True)["total"] == 0
    assert ok(ep, "slides.find", path="deck.pptx", text="q4")["total"] == 1
    assert ok(ep, "slides.find", path="deck.pptx", text="Q")["total"] == 2


def test_add_slide_from_a_layout_at_a_position(ep):
    got = ok(ep, "slides.add_slide", path="deck.pptx", layout="title and content",
             title="Next steps", text="Hire two engineers\nShip v2", at=2)
    assert got == {"path": "deck.pptx", "slide": 2, "layout": "Title and Content",
                   "slides": 4, "shapes": [{"id": 2, "kind": "title"}, {"id": 3, "kind": "body"}]}
    assert titles(ep) == ["Q1 Business Review", "Next steps", "Revenue", "KPIs"]
    body = deck(ep).slides[1].placeholders[1].text_frame
    assert [p.text for p in body.paragraphs] == ["Hire two engineers", "Ship v2"]
    ok(ep, "slides.add_slide", path="deck.pptx", layout="Blank")
    assert titles(ep)[-1] is None


def test_set_title_text_and_notes(ep):
    ok(ep, "slides.set_title", path="deck.pptx", slide=3, title="KPIs, March")
    ok(ep, "slides.set_text", path="deck.pptx", slide=2, shape=3, text="Up 14%")
    ok(ep, "slides.set_notes", path="deck.pptx", slide=3, text="Mention NPS\nthen CSAT")
    ok(ep, "slides.set_notes", path="deck.pptx", slide=2, text="")
    content = parse_pptx((ep.world.workspace / "deck.pptx").read_bytes())
    assert content.slides[2].title == "KPIs, March"
    assert content.slides[1].shapes[1].text == "Up 14%"
    assert content.slides[2].notes == "Mention NPS\nthen CSAT"
    assert content.slides[1].notes == ""


def test_set_text_keeps_the_first_runs_look(ep):
    got = ok(ep, "slides.add_text_box", path="deck.pptx", slide=3, text="Source: finance",
             top=6.0, height=0.5)
    presentation = deck(ep)
    box = next(s for s in presentation.slides[2].shapes if s.shape_id == got["shape"])
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(28)
    (ep.world.workspace / "deck.pptx").write_bytes(pptx_bytes(presentation))
    ok(ep, "slides.set_text", path="deck.pptx", slide=3, shape=got["shape"],
       text="Source: finance team\nQ1 close")
    box = next(s for s in deck(ep).slides[2].shapes if s.shape_id == got["shape"])
    assert [p.text for p in box.text_frame.paragraphs] == ["Source: finance team", "Q1 close"]
    assert {r.font.size for p in box.text_frame.paragraphs for r in p.runs} == {Pt(28)}


def test_add_and_fill_tables(ep):
    got = ok(ep, "slides.add_table", path="deck.pptx", slide=2,
             rows=[["Region", "Revenue"], ["North"]], top=4.0)
    assert got == {"path": "deck.pptx", "slide": 2, "shape": 4, "rows": 2, "columns": 2}
    filled = ok(ep, "slides.fill_table", path="deck.pptx", slide=2, shape=4,
                values=[[None, "1.2M"], ["South", "0.9M"], ["West", "0.4M"]], row=2)
    assert filled == {"path": "deck.pptx", "slide": 2, "shape": 4, "rows": 4, "columns": 2,
                      "written": 5}
    shape = ok(ep, "slides.read_slide", path="deck.pptx", slide=2)["shapes"][2]
    assert shape["cells"] == [["Region", "Revenue"], ["North", "1.2M"], ["South", "0.9M"],
                              ["West", "0.4M"]]
    frame = next(s for s in deck(ep).slides[1].shapes if s.shape_id == 4)
    assert frame.height == sum(row.height for row in frame.table.rows)


def test_delete_shape_and_move_and_delete_slides(ep):
    ok(ep, "slides.delete_shape", path="deck.pptx", slide=3, shape=3)
    assert [s.kind for s in parse_pptx((ep.world.workspace / "deck.pptx").read_bytes())
            .slides[2].shapes] == ["title"]
    got = ok(ep, "slides.move_slide", path="deck.pptx", slide=1, to=3)
    assert got["titles"] == ["Revenue", "KPIs", "Q1 Business Review"]
    assert ok(ep, "slides.delete_slide", path="deck.pptx", slide=1) == {
        "path": "deck.pptx", "deleted": 1, "slides": 2}
    assert titles(ep) == ["KPIs", "Q1 Business Review"]
    with zipfile.ZipFile(io.BytesIO((ep.world.workspace / "deck.pptx").read_bytes())) as z:
        slide_parts = [n for n in z.namelist() if n.startswith("ppt/slides/slide")]
        notes_parts = [n for n in z.namelist() if n.startswith("ppt/notesSlides/notesSlide")]
    assert len(slide_parts) == 2 and notes_parts == []  # the deleted slide's parts went too
    assert ok(ep, "slides.list_slides", path="deck.pptx")["slides"][0]["notes"] is False


def test_create_a_deck(ep):
    assert ok(ep, "slides.create", path="out/review.pptx", title="Review") == \
        "created out/review.pptx"
    assert titles(ep, "out/review.pptx") == ["Review"]
    ok(ep, "slides.create", path="empty.pptx")
    assert titles(ep, "empty.pptx") == []


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("slides.list_slides", {"path": "missing.pptx"}, "no such file"),
    ("slides.list_slides", {"path": "notes.docx"}, "is not a .pptx file"),
    ("slides.list_slides", {"path": "broken.pptx"}, "not a .pptx deck (it is not a zip"),
    ("slides.list_slides", {"path": "bomb.pptx"}, "unpacks to"),
    ("slides.set_title", {"path": "bomb.pptx", "slide": 1, "title": "x"}, "unpacks to"),
    ("slides.read_slide", {"path": "deck.pptx", "slide": 4}, "the deck has 3 slides"),
    ("slides.read_slide", {"path": "deck.pptx", "slide": 0}, "slide 0 does not exist"),
    ("slides.find", {"path": "deck.pptx", "text": ""}, "must not be empty"),
    ("slides.add_slide", {"path": "deck.pptx", "layout": "Fancy"},
     "no layout named 'Fancy'; its layouts are: 'Title Slide'"),
    ("slides.add_slide", {"path": "deck.pptx", "layout": "Blank", "title": "x"},
     "has no title placeholder"),
    ("slides.add_slide", {"path": "deck.pptx", "layout": "Title Only", "text": "x"},
     "has no body placeholder"),
    ("slides.add_slide", {"path": "deck.pptx", "at": 5}, "at must be between 1 and 4"),
    ("slides.set_text", {"path": "deck.pptx", "slide": 1, "shape": 9, "text": "x"},
     "no shape with id 9; its shape ids are 2, 3"),
    ("slides.set_text", {"path": "deck.pptx", "slide": 3, "shape": 3, "text": "x"},
     "holds no text (slides.fill_table"),
    ("slides.set_text", {"path": "deck.pptx", "slide": 1, "shape": 2, "text": "a\x07"},
     "control character U+0007"),
    ("slides.set_title", {"path": "deck.pptx", "slide": 1, "title": "x" * 10_001},
     "at most 10000"),
    ("slides.add_text_box", {"path": "deck.pptx", "slide": 1, "text": "x", "left": 9.5},
     "does not fit on the 10.0 x 7.5 in slide"),
    ("slides.add_text_box", {"path": "deck.pptx", "slide": 1, "text": "x", "width": 0},
     "more than 0"),
    ("slides.add_table", {"path": "deck.pptx", "slide": 1, "rows": [[]]}, "at least one row"),
    ("slides.add_table", {"path": "deck.pptx", "slide": 1, "rows": [["x"] * 21]},
     "at most 100 rows and 20 columns"),
    ("slides.fill_table", {"path": "deck.pptx", "slide": 3, "shape": 2, "values": [["x"]]},
     "is not a table"),
    ("slides.fill_table", {"path": "deck.pptx", "slide": 3, "shape": 3,
                           "values": [["a", "b", "c", "d"]]}, "but the table has 3 columns"),
    ("slides.fill_table", {"path": "deck.pptx", "slide": 3, "shape": 3, "values": [["a"]],
                           "row": 4}, "give row 3 to append"),
    ("slides.move_slide", {"path": "deck.pptx", "slide": 1, "to": 4}, "to must be between"),
    ("slides.delete_slide", {"path": "deck.pptx", "slide": 7}, "slide 7 does not exist"),
    ("slides.delete_shape", {"path": "deck.pptx", "slide": 1, "shape": 42}, "no shape with id"),
    ("slides.create", {"path": "deck.pptx"}, "already exists"),
    ("slides.create", {"path": "deck.key"}, "is not a .pptx file"),
    ("slides.add_slide", {"path": "deck.pptx", "colour": "red"}, "unknown argument"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)
    assert ep.calls[-1].error in ("tool_error", "invalid_args")


def test_a_deck_past_the_slide_bound_is_refused(start_episode):
    presentation = Presentation()
    for _ in range(MAX_SLIDES + 1):
        presentation.slides.add_slide(presentation.slide_layouts[6])
    data = pptx_bytes(presentation)
    ep = start_episode(("slides",), family="tests/slides", now=NOW, files={"big.pptx": data})
    err(ep, "slides.list_slides", f"at most {MAX_SLIDES} are read", path="big.pptx")
    with pytest.raises(GradeError, match="slides"):
        read_pptx(data)


def test_writes_move_the_digest_and_equal_content_gives_equal_bytes(start_episode):
    files = {"deck.pptx": _deck()}
    first = start_episode(("slides",), family="tests/slides", now=NOW, files=files)
    second = start_episode(("slides",), family="tests/slides", now=NOW, files=files)
    assert first.world.digest() == second.world.digest()
    before = first.world.digest()
    for ep in (first, second):
        ok(ep, "slides.add_slide", path="deck.pptx", title="Appendix")
        ok(ep, "slides.set_notes", path="deck.pptx", slide=4, text="Only if asked")
        ok(ep, "slides.delete_slide", path="deck.pptx", slide=1)
    assert first.world.digest() != before
    assert first.world.digest() == second.world.digest()
    with zipfile.ZipFile(io.BytesIO((first.world.workspace / "deck.pptx").read_bytes())) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_build_pptx_is_deterministic_and_reads_back():
    assert build_pptx(SLIDES) == _deck()
    content = read_pptx(_deck())
    assert content.titles() == ["Q1 Business Review", "Revenue", "KPIs"]
    assert content.slides[1].notes == "Thank the team"
    assert content.slides[2].shapes[1].rows[1] == ("NPS", "40", "41")
    assert "Title Only" in content.layouts
    with pytest.raises(ValueError, match="no layout named"):
        build_pptx([SlideSpec(layout="Fancy")])
    with pytest.raises(ValueError, match="has no body placeholder"):
        build_pptx([SlideSpec(layout="Title Only", body="x")])
    with pytest.raises(GradeError, match="not a .pptx"):
        read_pptx(b"garbage")


def test_groups_pictures_and_charts_are_read(start_episode):
    from PIL import Image
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # Title Only
    slide.shapes.title.text_frame.text = "Mixed"
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(2), Inches(3), Inches(1)).text_frame.text = "In A"
    group.shapes.add_textbox(Inches(1), Inches(3), Inches(3), Inches(1)).text_frame.text = "In B"
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, format="PNG")
    slide.shapes.add_picture(io.BytesIO(png.getvalue()), Inches(5), Inches(2))
    chart = CategoryChartData()
    chart.categories = ["Q1", "Q2"]
    chart.add_series("Sales", (1.0, 2.0))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(5), Inches(4), Inches(3),
                           Inches(2), chart)
    ep = start_episode(("slides",), family="tests/slides", now=NOW,
                       files={"mixed.pptx": pptx_bytes(presentation)})
    shapes = ok(ep, "slides.read_slide", path="mixed.pptx", slide=1)["shapes"]
    assert [s["kind"] for s in shapes] == ["title", "group", "picture", "chart"]
    assert [(c["kind"], c["text"]) for c in shapes[1]["shapes"]] == [("text", "In A"),
                                                                     ("text", "In B")]
    assert "text" not in shapes[2] and "text" not in shapes[3]
    inner = shapes[1]["shapes"][1]["id"]
    ok(ep, "slides.set_text", path="mixed.pptx", slide=1, shape=inner, text="In C")
    assert ok(ep, "slides.find", path="mixed.pptx", text="in c")["matches"][0]["shape"] == inner
    err(ep, "slides.set_text", "holds no text", path="mixed.pptx", slide=1,
        shape=shapes[2]["id"], text="x")



def sample() -> bytes:
    """What the other process builds too."""
    return build_pptx([SlideSpec(title="Plan", body="One\nTwo", notes="n"),
                       SlideSpec(layout="Title Only", table=(("a", "b"),))])


def test_byte_identical_in_another_process_with_another_hash_seed():
    code = ("import hashlib, sys\n"
            f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "from test_slides import sample\n"
            "sys.stdout.write(hashlib.sha256(sample()).hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, timeout=120)
    assert done.stdout == hashlib.sha256(sample()).hexdigest()


def test_reads_are_marked_read_only_and_additions_not_destructive():
    from workgym.core import App

    specs = App.registry["slides"].tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == [
        "find", "list_layouts", "list_slides", "read_slide"]
    assert all(s.concurrent == s.read_only for s in specs.values())
    assert sorted(n for n, s in specs.items() if s.destructive is False and not s.read_only) == [
        "add_slide", "add_table", "add_text_box", "create"]
