import functools
import io
from datetime import UTC, datetime

import pypdf
import pytest
from pypdf.generic import DecodedStreamObject, NameObject
from reportlab.pdfgen import canvas

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.pdf import MAX_PAGES, read_pdf
from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf
from workgym.core import Episode, GradeError

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINES = [["Item", "Qty", "Unit price"], ["Desk lamp", "2", "EUR 39.00"],
         ["Monitor arm", "1", "EUR 120.00"]]
CLAUSE = ("Payment terms: the buyer pays every invoice within forty-five calendar days of "
          "its date, by bank transfer to the account named on the invoice, without "
          "deduction or set-off of any kind whatsoever.")


@functools.cache
def _invoice() -> bytes:
    return write_pdf("Invoice INV-0042", [
        PdfHeading("Bill to"), "Vera Jensen\nExample Ltd.", PdfHeading("Lines", 2),
        PdfTable(LINES), CLAUSE,
        *[f"Note {n}: deliveries are made on weekdays." for n in range(60)],
        PdfTable([["Total", "EUR 198.00"]], header=False),
    ], author="Northwind Supplies", subject="Invoice")


def _pages(count: int, content: bytes | None = None) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(count):
        writer.add_blank_page(595, 842)
    if content is not None:
        stream = DecodedStreamObject()
        stream.set_data(content)
        writer.pages[0][NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def _encrypted() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def _ruled(rects: int) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 800, "Ruled page")
    for n in range(rects):
        page.rect(72 + (n % 40) * 10, 100 + (n // 40) * 10, 8, 8)
    page.save()
    return out.getvalue()


@pytest.fixture
def ep(start_episode):
    files = {"invoice.pdf": _invoice(), "broken.pdf": b"%PDF-1.7 nothing else",
             "locked.pdf": _encrypted(), "ruled.pdf": _ruled(10), "notes.txt": b"x"}
    return start_episode(("pdf", "files"), family="tests/pdf", now=NOW, files=files)


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    return result.text


def test_info_gives_pages_and_metadata(ep):
    assert ok(ep, "pdf.info", path="invoice.pdf") == {
        "path": "invoice.pdf", "pages": 2, "title": "Invoice INV-0042",
        "author": "Northwind Supplies", "subject": "Invoice", "creator": "workgym",
        "producer": "ReportLab PDF Library - (opensource)"}


def test_read_pages_keeps_table_rows_on_one_line(ep):
    got = ok(ep, "pdf.read_pages", path="invoice.pdf", start_page=1, end_page=1)
    assert got["pages"] == 2 and got["next"] is None and len(got["entries"]) == 1
    lines = got["entries"][0]["text"].split("\n")
    assert lines[:4] == ["Invoice INV-0042", "Bill to", "", "Vera Jensen"]
    assert "Desk lamp  2  EUR 39.00" in lines
    assert "Item  Qty  Unit price" in lines
    both = ok(ep, "pdf.read_pages", path="invoice.pdf")
    assert [e["page"] for e in both["entries"]] == [1, 2]
    assert "Total  EUR 198.00" in both["entries"][1]["text"]


def test_read_pages_pages_through_long_files(start_episode):
    data = write_pdf("Long", [f"Section {n}: " + "filler words " * 400 for n in range(30)])
    ep = start_episode(("pdf",), family="tests/pdf", now=NOW,
                       files={"long.pdf": data, "blank.pdf": _pages(12)})
    blank = ok(ep, "pdf.read_pages", path="blank.pdf")
    assert [e["page"] for e in blank["entries"]] == list(range(1, 11)) and blank["next"] == 11
    assert blank["entries"][0]["text"] == ""
    got = ok(ep, "pdf.read_pages", path="long.pdf")  # stops at its character budget
    shown = sum(len(e["text"]) for e in got["entries"])
    assert shown <= 60_000 < shown + len(ok(ep, "pdf.read_pages", path="long.pdf",
                                            start_page=got["next"])["entries"][0]["text"])
    assert got["next"] == len(got["entries"]) + 1


def test_search_finds_phrases_across_line_breaks(ep):
    got = ok(ep, "pdf.search", path="invoice.pdf", query="forty-five  CALENDAR days")
    assert got["total"] == 1
    assert got["matches"][0]["page"] == 1
    assert "forty-five calendar days" in got["matches"][0]["context"]
    assert ok(ep, "pdf.search", path="invoice.pdf", query="Forty-five",
              match_case=True)["total"] == 0
    assert ok(ep, "pdf.search", path="invoice.pdf", query="weekdays")["total"] == 60
    assert len(ok(ep, "pdf.search", path="invoice.pdf", query="weekdays", limit=5)[
        "matches"]) == 5
    assert ok(ep, "pdf.search", path="invoice.pdf", query="EUR 198.00")["matches"][0][
        "page"] == 2


def test_read_tables_finds_ruled_tables(ep):
    got = ok(ep, "pdf.read_tables", path="invoice.pdf", start_page=1, end_page=2)
    assert got["tables"] == [
        {"page": 1, "table": 1, "rows": LINES},
        {"page": 2, "table": 1, "rows": [["Total", "EUR 198.00"]]}]
    assert ok(ep, "pdf.read_tables", path="invoice.pdf", start_page=2)["tables"][0]["page"] == 2


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "pdf.info", path="invoice.pdf")
    ok(ep, "pdf.read_pages", path="invoice.pdf")
    ok(ep, "pdf.search", path="invoice.pdf", query="lamp")
    ok(ep, "pdf.read_tables", path="invoice.pdf")
    assert ep.world.digest() == before
    assert all(s.read_only and s.concurrent for s in ep.apps["pdf"].tool_specs().values())


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("pdf.info", {"path": "missing.pdf"}, "no such file"),
    ("pdf.info", {"path": "notes.txt"}, "is not a .pdf file"),
    ("pdf.info", {"path": "broken.pdf"}, "not a readable PDF"),
    ("pdf.info", {"path": "locked.pdf"}, "encrypted with a password"),
    ("pdf.info", {"path": "/etc/passwd.pdf"}, "absolute"),
    ("pdf.read_pages", {"path": "invoice.pdf", "start_page": 3}, "the PDF has 2 pages"),
    ("pdf.read_pages", {"path": "invoice.pdf", "start_page": 0}, "start_page 0 does not exist"),
    ("pdf.read_pages", {"path": "invoice.pdf", "start_page": 2, "end_page": 1},
     "comes before start_page"),
    ("pdf.read_pages", {"path": "invoice.pdf", "end_page": 9}, "end_page 9 does not exist"),
    ("pdf.search", {"path": "invoice.pdf", "query": "  "}, "must not be empty"),
    ("pdf.search", {"path": "invoice.pdf", "query": "x", "limit": 0}, "limit must be"),
    ("pdf.search", {"path": "invoice.pdf", "query": "x" * 1_001}, "longer than 1000"),
    ("pdf.read_tables", {"path": "invoice.pdf", "start_page": 1, "end_page": 9},
     "does not exist"),
    ("pdf.read_tables", {"path": "invoice.pdf", "start": 1}, "unknown argument"),
])
def test_errors_are_tool_errors(ep, tool, args, match):
    err(ep, tool, match, **args)
    assert ep.calls[-1].error in ("tool_error", "invalid_args")


def test_tables_need_ruling_lines_and_few_enough_of_them(start_episode):
    ep = start_episode(("pdf",), family="tests/pdf", now=NOW,
                       files={"plain.pdf": write_pdf("Plain", ["No table here."]),
                              "ruled.pdf": _ruled(1_001), "six.pdf": _pages(6)})
    assert ok(ep, "pdf.read_tables", path="plain.pdf")["tables"] == []
    err(ep, "pdf.read_tables", "too many to search for tables; read its text", path="ruled.pdf")
    assert "Ruled page" in ok(ep, "pdf.read_pages", path="ruled.pdf")["entries"][0]["text"]
    err(ep, "pdf.read_tables", "at most 5 pages at once", path="six.pdf", start_page=1,
        end_page=6)


def test_bombs_and_oversized_files_are_refused(start_episode):
    files = {
        "many.pdf": _pages(MAX_PAGES + 1),
        "bomb.pdf": _pages(1, b" " * 9_000_000),  # inflates past pypdf's 8 MB output limit
        "heavy.pdf": _pages(1, b"%" + b" " * 3_000_000 + b"\n"),
    }
    ep = start_episode(("pdf",), family="tests/pdf", now=NOW, files=files)
    err(ep, "pdf.info", f"at most {MAX_PAGES} are read", path="many.pdf")
    err(ep, "pdf.info", "cannot be read within the limits", path="bomb.pdf")
    assert ok(ep, "pdf.info", path="heavy.pdf")["pages"] == 1
    err(ep, "pdf.read_pages", "page 1's content is 3000002 bytes", path="heavy.pdf")
    err(ep, "pdf.read_tables", "page 1's content is", path="heavy.pdf")
    with pytest.raises(GradeError, match="within the limits"):
        read_pdf(files["bomb.pdf"])


def test_same_file_same_answers_across_episodes(start_episode):
    answers = []
    for _ in range(2):
        ep = start_episode(("pdf",), family="tests/pdf", now=NOW,
                           files={"invoice.pdf": _invoice()})
        answers.append([ep.call(name, args).text for name, args in [
            ("pdf.read_pages", {"path": "invoice.pdf"}),
            ("pdf.search", {"path": "invoice.pdf", "query": "note"}),
            ("pdf.read_tables", {"path": "invoice.pdf", "end_page": 2})]])
    assert answers[0] == answers[1]
    assert read_pdf(_invoice())[0].startswith("Invoice INV-0042\n")
