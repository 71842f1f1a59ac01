import functools
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps import _ooxml
from workgym.apps.docs import (
    MAX_BLOCKS,
    DocxBlock,
    DocxComment,
    build_docx,
    docx_bytes,
    markdown_outline,
    markdown_section,
    parse_docx,
    read_docx,
)
from workgym.core import Episode, GradeError

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)

NOTES = """# Project notes
Intro line.

## Budget
Old budget text.

### Detail
Nested detail.

## Risks
```
# not a heading
```
Risk one.

## Budget
Second budget.
"""


@functools.cache
def _contract() -> bytes:
    """A contract whose payment clause spans three runs (the middle one bold), with a
    comment on it and a table."""
    document = docx.Document()
    document.add_paragraph("Service Agreement", "Title")
    document.add_paragraph("Terms", "Heading 1")
    clause = document.add_paragraph("Payment is due within ")
    clause.add_run("30").bold = True
    clause.add_run(" days of the invoice.")
    document.add_comment(clause.runs, text="Legal asks for 45", author="Vera Jensen",
                         initials="VJ")._comment_elm.date = datetime(2026, 2, 27, 16, tzinfo=UTC)
    table = document.add_table(rows=3, cols=2, style="Table Grid")
    for r, row in enumerate([["Item", "Fee"], ["Setup", "EUR 500"], ["Support", "EUR 90"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(0, 0).paragraphs[0].runs[0].bold = True
    document.add_paragraph("Signed by both parties.")
    return docx_bytes(document)


@functools.cache
def _bomb() -> bytes:
    """A valid .docx with one extra part that inflates far past the per-part bound."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_contract())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/media/zeros.bin", b"\0" * (_ooxml.MAX_PART_BYTES + 1))
    return out.getvalue()


@pytest.fixture
def ep(start_episode):
    files = {
        "contract.docx": _contract(),
        "notes.md": NOTES.encode(),
        "broken.docx": b"PK\x03\x04 no zip at all",
        "bomb.docx": _bomb(),
        "latin.md": "caf\xe9".encode("latin-1"),
        "plain.txt": b"text",
        "folder.docx/inner.txt": b"x",
    }
    return start_episode(("docs", "files"), family="tests/docs", now=NOW, files=files)


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


def document(ep: Episode, path: str = "contract.docx"):
    return docx.Document(io.BytesIO((ep.world.workspace / path).read_bytes()))


def texts(ep: Episode, path: str = "contract.docx") -> list[str]:
    return [b.text if b.kind == "paragraph" else "<table>"
            for b in parse_docx((ep.world.workspace / path).read_bytes()).blocks]


# -- reading ----------------------------------------------------------------------------


def test_read_gives_numbered_blocks_and_changes_nothing(ep):
    before = ep.world.digest()
    got = ok(ep, "docs.read", path="contract.docx")
    assert got["blocks"] == 5 and got["next"] is None
    assert got["entries"][:3] == [
        {"block": 1, "type": "paragraph", "style": "Title", "text": "Service Agreement"},
        {"block": 2, "type": "paragraph", "style": "Heading 1", "text": "Terms"},
        {"block": 3, "type": "paragraph", "style": "Normal",
         "text": "Payment is due within 30 days of the invoice.", "comments": [0]}]
    assert got["entries"][3] == {
        "block": 4, "type": "table", "style": "Table Grid", "rows": 3, "columns": 2,
        "cells": [["Item", "Fee"], ["Setup", "EUR 500"], ["Support", "EUR 90"]]}
    page = ok(ep, "docs.read", path="contract.docx", start=2, limit=2)
    assert [e["block"] for e in page["entries"]] == [2, 3] and page["next"] == 4
    assert ok(ep, "docs.read", path="contract.docx", start=9)["entries"] == []
    ok(ep, "docs.outline", path="contract.docx")
    ok(ep, "docs.find", path="contract.docx", text="fee")
    ok(ep, "docs.list_comments", path="contract.docx")
    ok(ep, "docs.read_table", path="contract.docx", block=4)
    ok(ep, "docs.read", path="notes.md")
    assert ep.world.digest() == before


def test_read_table_pages_through_rows(ep):
    got = ok(ep, "docs.read_table", path="contract.docx", block=4, start_row=2, limit=1)
    assert got == {"path": "contract.docx", "block": 4, "rows": 3, "columns": 2,
                   "start_row": 2, "cells": [["Setup", "EUR 500"]], "next": 3}


def test_read_markdown_lines(ep):
    got = ok(ep, "docs.read", path="notes.md", start=4, limit=2)
    assert got["entries"] == [{"line": 4, "text": "## Budget"},
                              {"line": 5, "text": "Old budget text."}]
    assert got["lines"] == NOTES.count("\n") and got["next"] == 6


def test_read_stops_at_its_character_budget(start_episode):
    long = "word " * 3_999  # 19,995 characters
    data = build_docx([DocxBlock.paragraph(long) for _ in range(5)])
    ep = start_episode(("docs",), family="tests/docs", now=NOW, files={"long.docx": data})
    got = ok(ep, "docs.read", path="long.docx")
    assert [e["block"] for e in got["entries"]] == [1, 2, 3] and got["next"] == 4
    assert sum(len(e["text"]) for e in got["entries"]) <= 60_000


def test_outline_of_docx_and_markdown(ep):
    assert ok(ep, "docs.outline", path="contract.docx") == [
        {"block": 1, "level": 0, "text": "Service Agreement"},
        {"block": 2, "level": 1, "text": "Terms"}]
    assert ok(ep, "docs.outline", path="notes.md") == [
        {"line": 1, "level": 1, "text": "Project notes"},
        {"line": 4, "level": 2, "text": "Budget"},
        {"line": 7, "level": 3, "text": "Detail"},
        {"line": 10, "level": 2, "text": "Risks"},
        {"line": 16, "level": 2, "text": "Budget"}]  # the fenced "# not a heading" is code


def test_find_in_paragraphs_cells_and_lines(ep):
    got = ok(ep, "docs.find", path="contract.docx", text="eur")
    assert got["total"] == 2
    assert [(m["block"], m["row"], m["column"]) for m in got["matches"]] == [(4, 2, 2), (4, 3, 2)]
    assert ok(ep, "docs.find", path="contract.docx", text="eur", match_case=True)["total"] == 0
    clause = ok(ep, "docs.find", path="contract.docx", text="30 days")["matches"]
    assert clause == [{"block": 3, "context": "Payment is due within 30 days of the invoice."}]
    assert ok(ep, "docs.find", path="contract.docx", text="a", limit=1)["total"] > 1
    lines = ok(ep, "docs.find", path="notes.md", text="budget")["matches"]
    assert [m["line"] for m in lines] == [4, 5, 16, 17]


# -- editing .docx ----------------------------------------------------------------------


def test_insert_paragraphs_at_a_position_and_at_the_end(ep):
    got = ok(ep, "docs.insert_paragraphs", path="contract.docx",
             paragraphs=["Scope", "The supplier hosts the service."], at=3, style="heading 2")
    assert got == {"path": "contract.docx", "inserted": [3, 4], "blocks": 7}
    ok(ep, "docs.insert_paragraphs", path="contract.docx", paragraphs=["Annex A"])
    blocks = parse_docx((ep.world.workspace / "contract.docx").read_bytes()).blocks
    assert [(b.text, b.style) for b in blocks[2:4]] == [
        ("Scope", "Heading 2"), ("The supplier hosts the service.", "Heading 2")]
    assert blocks[4].text.startswith("Payment") and blocks[-1].text == "Annex A"
    assert blocks[-1].style == "Normal"


def test_replace_paragraph_keeps_style_formatting_and_comment(ep):
    ok(ep, "docs.replace_paragraph", path="contract.docx", block=3,
       text="Payment is due within 45 days.")
    paragraph = document(ep).paragraphs[2]
    assert paragraph.text == "Payment is due within 45 days."
    assert paragraph.style.name == "Normal"
    assert paragraph._p.xpath("./w:commentRangeStart/@w:id") == ["0"]
    assert paragraph._p.xpath("./w:r/w:commentReference/@w:id") == ["0"]
    comments = ok(ep, "docs.list_comments", path="contract.docx")
    assert [(c["id"], c["block"]) for c in comments] == [(0, 3)]
    got = ok(ep, "docs.replace_paragraph", path="contract.docx", block=2, text="Conditions",
             style="Heading 2")
    assert got["style"] == "Heading 2" and texts(ep)[1] == "Conditions"


def test_replace_paragraph_keeps_the_first_runs_look(ep):
    ok(ep, "docs.fill_table", path="contract.docx", block=4, values=[["Line"]])
    cell = document(ep).tables[0].cell(0, 0)
    assert cell.text == "Line" and cell.paragraphs[0].runs[0].bold is True


def test_replace_text_across_runs_keeps_formatting(ep):
    got = ok(ep, "docs.replace_text", path="contract.docx", old="30 days", new="45 days")
    assert got == {"path": "contract.docx", "replaced": 1, "blocks": [3]}
    runs = document(ep).paragraphs[2].runs
    assert [(r.text, r.bold) for r in runs if r.text] == [
        ("Payment is due within ", None), ("45 days", True), (" of the invoice.", None)]
    got = ok(ep, "docs.replace_text", path="contract.docx", old="eur", new="USD",
             match_case=False)
    assert got["replaced"] == 2 and got["blocks"] == [4]
    assert ok(ep, "docs.read_table", path="contract.docx", block=4)["cells"][1] == [
        "Setup", "USD 500"]


def test_replace_text_in_markdown(ep):
    got = ok(ep, "docs.replace_text", path="notes.md", old="budget", new="plan",
             match_case=False)
    assert got == {"path": "notes.md", "replaced": 4, "lines": [4, 5, 16, 17]}
    text = (ep.world.workspace / "notes.md").read_text()
    assert "## plan\nOld plan text." in text and "budget" not in text.lower()


def test_delete_blocks_drops_their_comments(ep):
    ok(ep, "docs.add_comment", path="contract.docx", block=1, text="Title ok")
    got = ok(ep, "docs.delete_blocks", path="contract.docx", block=3, count=2)
    assert got == {"path": "contract.docx", "deleted": [3, 4], "blocks": 3}
    assert texts(ep) == ["Service Agreement", "Terms", "Signed by both parties."]
    assert [c["id"] for c in ok(ep, "docs.list_comments", path="contract.docx")] == [1]


def test_insert_and_fill_a_table(ep):
    got = ok(ep, "docs.insert_table", path="contract.docx", rows=[["Date", "Change"], ["x"]],
             at=5)
    assert got == {"path": "contract.docx", "block": 5, "rows": 2, "columns": 2}
    filled = ok(ep, "docs.fill_table", path="contract.docx", block=5,
                values=[[None, "Payment term"], ["2026-03-02", "Notice period"]], row=2)
    assert filled == {"path": "contract.docx", "block": 5, "rows": 3, "columns": 2,
                      "written": 3}
    table = ok(ep, "docs.read_table", path="contract.docx", block=5)
    assert table["cells"] == [["Date", "Change"], ["x", "Payment term"],
                              ["2026-03-02", "Notice period"]]
    assert document(ep).tables[1].style.name == "Table Grid"
    assert texts(ep)[-1] == "Signed by both parties."


def test_add_comment_signed_and_dated_by_the_world_clock(ep):
    got = ok(ep, "docs.add_comment", path="contract.docx", block=2, text="Rename to Conditions",
             author="Lena Novak")
    assert got == {"path": "contract.docx", "comment": 1, "block": 2}
    comments = ok(ep, "docs.list_comments", path="contract.docx")
    assert comments == [
        {"id": 0, "author": "Vera Jensen", "date": "2026-02-27T16:00:00+00:00", "block": 3,
         "text": "Legal asks for 45"},
        {"id": 1, "author": "Lena Novak", "date": "2026-03-02T09:00:00+00:00", "block": 2,
         "text": "Rename to Conditions"}]
    comment = next(c for c in document(ep).comments if c.comment_id == 1)
    assert comment.initials == "LN"


# -- editing Markdown -------------------------------------------------------------------


def test_replace_section_up_to_the_next_heading_of_its_level(ep):
    got = ok(ep, "docs.replace_section", path="notes.md", heading="Budget",
             content="New budget: EUR 12,000.\n")
    assert got == {"path": "notes.md", "heading": "Budget", "line": 4, "lines": 2}
    text = (ep.world.workspace / "notes.md").read_text()
    assert "## Budget\nNew budget: EUR 12,000.\n\n## Risks" in text  # Detail went too
    assert text.endswith("## Budget\nSecond budget.\n")
    ok(ep, "docs.replace_section", path="notes.md", heading="## Budget", content="Last.",
       occurrence=2)
    assert (ep.world.workspace / "notes.md").read_text().endswith("## Budget\nLast.\n")
    assert markdown_section((ep.world.workspace / "notes.md").read_text(), "Risks") == \
        "```\n# not a heading\n```\nRisk one.\n"


def test_create_documents(ep):
    assert ok(ep, "docs.create", path="out/memo.docx", title="Memo") == "created out/memo.docx"
    assert texts(ep, "out/memo.docx") == ["Memo"]
    ok(ep, "docs.create", path="out/plan.md", title="Plan")
    assert (ep.world.workspace / "out/plan.md").read_text() == "# Plan\n"
    ok(ep, "docs.insert_paragraphs", path="out/memo.docx", paragraphs=["Hello"])
    assert texts(ep, "out/memo.docx") == ["Memo", "Hello"]


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("docs.read", {"path": "missing.docx"}, "no such file"),
    ("docs.read", {"path": "plain.txt"}, "neither a .docx nor a .md"),
    ("docs.read", {"path": "broken.docx"}, "not a .docx document (it is not a zip"),
    ("docs.read", {"path": "bomb.docx"}, "unpacks to"),
    ("docs.insert_paragraphs", {"path": "bomb.docx", "paragraphs": ["x"]}, "unpacks to"),
    ("docs.read", {"path": "folder.docx"}, "is a folder"),
    ("docs.read", {"path": "../x.docx"}, "leaves the workspace"),
    ("docs.read", {"path": "latin.md"}, "not UTF-8"),
    ("docs.read", {"path": "contract.docx", "limit": 0}, "limit must be between 1 and 200"),
    ("docs.read", {"path": "contract.docx", "start": 0}, "numbered from 1"),
    ("docs.read_table", {"path": "contract.docx", "block": 3}, "is a paragraph, not a table"),
    ("docs.read_table", {"path": "contract.docx", "block": 6}, "the document has 5 blocks"),
    ("docs.read_table", {"path": "notes.md", "block": 1}, "edits .docx documents"),
    ("docs.find", {"path": "contract.docx", "text": ""}, "must not be empty"),
    ("docs.find", {"path": "contract.docx", "text": "a", "limit": 101}, "limit must be"),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": []}, "between 1 and"),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": ["x"], "at": 7},
     "at must be between 1 and 6"),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": ["x"], "style": "Fancy"},
     "no paragraph style named 'Fancy'; its paragraph styles are: "),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": ["a\x00b"]},
     "control character U+0000"),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": ["x" * 20_001]},
     "at most 20000"),
    ("docs.insert_paragraphs", {"path": "contract.docx", "paragraphs": "x"},
     "invalid arguments"),
    ("docs.replace_paragraph", {"path": "contract.docx", "block": 4, "text": "x"},
     "is a table, not a paragraph (docs.fill_table edits"),
    ("docs.replace_paragraph", {"path": "contract.docx", "block": 0, "text": "x"},
     "block 0 does not exist"),
    ("docs.replace_text", {"path": "contract.docx", "old": "90 days", "new": "x"},
     "does not occur in contract.docx; docs.find"),
    ("docs.replace_text", {"path": "contract.docx", "old": "", "new": "x"}, "must not be empty"),
    ("docs.replace_text", {"path": "contract.docx", "old": "e", "new": "x" * 20_000},
     "would add more than"),
    ("docs.delete_blocks", {"path": "contract.docx", "block": 5, "count": 2},
     "blocks 5-6 do not all exist"),
    ("docs.delete_blocks", {"path": "contract.docx", "block": 1, "count": 0}, "count must be"),
    ("docs.insert_table", {"path": "contract.docx", "rows": []}, "at least one row"),
    ("docs.insert_table", {"path": "contract.docx", "rows": [["x"] * 51]}, "at most 500 rows"),
    ("docs.fill_table", {"path": "contract.docx", "block": 4, "values": [["a", "b", "c"]]},
     "reach column 3, but the table has 2 columns"),
    ("docs.fill_table", {"path": "contract.docx", "block": 4, "values": [["a"]], "row": 5},
     "give row 4 to append"),
    ("docs.fill_table", {"path": "contract.docx", "block": 4, "values": [[]]},
     "at least one row with one value"),
    ("docs.add_comment", {"path": "contract.docx", "block": 4, "text": "x"}, "is a table"),
    ("docs.add_comment", {"path": "contract.docx", "block": 1, "text": " "}, "must not be empty"),
    ("docs.replace_section", {"path": "notes.md", "heading": "Costs", "content": ""},
     "no heading titled 'Costs'"),
    ("docs.replace_section", {"path": "notes.md", "heading": "Budget", "content": "",
                              "occurrence": 3}, "2 heading(s) titled 'Budget'"),
    ("docs.replace_section", {"path": "contract.docx", "heading": "Terms", "content": ""},
     "edits Markdown files"),
    ("docs.create", {"path": "contract.docx"}, "already exists"),
    ("docs.create", {"path": "memo.odt"}, "neither a .docx nor a .md"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)
    assert ep.calls[-1].error in ("tool_error", "invalid_args")


def test_a_document_past_the_block_bound_is_refused(start_episode):
    document = docx.Document()
    paragraph = document.add_paragraph("x")._p
    for _ in range(MAX_BLOCKS):
        paragraph.addnext(deepcopy(paragraph))
    data = docx_bytes(document)
    ep = start_episode(("docs",), family="tests/docs", now=NOW, files={"big.docx": data})
    err(ep, "docs.read", f"at most {MAX_BLOCKS} are read", path="big.docx")
    with pytest.raises(GradeError, match="blocks"):
        read_docx(data)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_packages_with_other_compression_methods_are_refused(method):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("word/document.xml", b"<x/>")
    with pytest.raises(ValueError, match="unsupported zip compression"):
        _ooxml.check_package(out.getvalue(), ".docx document")


def test_too_many_parts_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(_ooxml.MAX_PARTS + 1):
            archive.writestr(f"p{n}.xml", b"")
    with pytest.raises(ValueError, match="parts"):
        _ooxml.check_package(out.getvalue(), ".docx document")


# -- state and determinism --------------------------------------------------------------


def test_writes_move_the_digest_and_equal_content_gives_equal_bytes(start_episode):
    files = {"contract.docx": _contract()}
    first = start_episode(("docs",), family="tests/docs", now=NOW, files=files)
    second = start_episode(("docs",), family="tests/docs", now=NOW, files=files)
    assert first.world.digest() == second.world.digest()
    before = first.world.digest()
    for ep in (first, second):
        ok(ep, "docs.replace_text", path="contract.docx", old="30", new="45")
        ok(ep, "docs.add_comment", path="contract.docx", block=1, text="ok", author="A B")
        ok(ep, "docs.insert_table", path="contract.docx", rows=[["a", "b"]])
    assert first.world.digest() != before
    assert first.world.digest() == second.world.digest()
    data = (first.world.workspace / "contract.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.namelist()[0] == "[Content_Types].xml"


def test_build_docx_round_trips_through_parse_docx():
    blocks = [DocxBlock.heading("Report", 0), DocxBlock.heading("Sales", 2),
              DocxBlock.paragraph("Up 4%.", "List Bullet"),
              DocxBlock.table([["Region", "Sales"], ["North", "12"]])]
    comment = DocxComment(id=0, author="Ann Lee", text="Source?", block=3,
                          date="2026-03-01T10:00:00+01:00")
    data = build_docx(blocks, [comment])
    assert build_docx(blocks, [comment]) == data
    content = read_docx(data)
    assert [b.level for b in content.blocks] == [0, 2, None, None]
    assert [(b.kind, b.text, b.style) for b in content.blocks[:3]] == [
        ("paragraph", "Report", "Title"), ("paragraph", "Sales", "Heading 2"),
        ("paragraph", "Up 4%.", "List Bullet")]
    assert content.tables()[0].rows == (("Region", "Sales"), ("North", "12"))
    assert content.comments == (DocxComment(id=0, author="Ann Lee", text="Source?",
                                            date="2026-03-01T09:00:00+00:00", block=3),)
    assert content.text().splitlines()[-1] == "North\t12"
    assert "List Bullet" in content.paragraph_styles
    with pytest.raises(ValueError, match="no paragraph style"):
        build_docx([DocxBlock.paragraph("x", "Nope")])
    with pytest.raises(ValueError, match="is not a paragraph"):
        build_docx(blocks, [DocxComment(id=0, author="a", text="t", block=4)])


def test_readers_for_graders_fail_closed():
    with pytest.raises(GradeError, match="not a .docx"):
        read_docx(b"not a zip")
    with pytest.raises(GradeError, match="unpacks to"):
        read_docx(_bomb())
    outline = markdown_outline("# A\n\n#B is no heading\n## B ##\n    # indented code\n")
    assert [(h.line, h.level, h.title) for h in outline] == [(1, 1, "A"), (4, 2, "B")]
    assert markdown_section("# A\nx\n", "Missing") is None


def test_tables_read_on_python_docx_grid_with_merged_cells(start_episode):
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"r{r}c{c}"
    table.cell(0, 0).merge(table.cell(0, 1))  # across
    table.cell(1, 2).merge(table.cell(2, 2))  # down
    line = document.add_paragraph("Tab\there")
    line.add_run().add_break()
    line.add_run("next line")
    data = docx_bytes(document)
    ep = start_episode(("docs",), family="tests/docs", now=NOW, files={"merged.docx": data})
    expected = [[cell.text for cell in row.cells] for row in table.rows]
    assert ok(ep, "docs.read_table", path="merged.docx", block=1)["cells"] == expected
    assert expected[0][0] == expected[0][1] and expected[1][2] == expected[2][2]
    assert ok(ep, "docs.read", path="merged.docx", start=2)["entries"][0]["text"] == \
        "Tab\there\nnext line" == document.paragraphs[-1].text



def sample() -> bytes:
    """What the other process builds too."""
    return build_docx([DocxBlock.heading("Report", 0), DocxBlock.paragraph("Body"),
                       DocxBlock.table([["a", "b"]])],
                      [DocxComment(id=0, author="A", text="c", block=2)])


def test_byte_identical_in_another_process_with_another_hash_seed():
    code = ("import hashlib, sys\n"
            f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "from test_docs import sample\n"
            "sys.stdout.write(hashlib.sha256(sample()).hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, timeout=120)
    assert done.stdout == hashlib.sha256(sample()).hexdigest()


def test_reads_are_marked_read_only_and_additions_not_destructive():
    from workgym.core import App

    specs = App.registry["docs"].tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == [
        "find", "list_comments", "outline", "read", "read_table"]
    assert all(s.concurrent == s.read_only for s in specs.values())
    assert sorted(n for n, s in specs.items() if s.destructive is False and not s.read_only) == [
        "add_comment", "create", "insert_paragraphs", "insert_table"]
