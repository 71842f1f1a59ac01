import hashlib
import io
import os
import re
import subprocess
import sys

import pdfplumber
import pypdf
import pytest

from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf

BLOCKS = [
    PdfHeading("Bill to"), "Vera Jensen\nExample Ltd. — Zürich",
    PdfHeading("Lines", 2),
    PdfTable([["Item", "Qty", "Price"], ["Café table", "2", "€ 120.00"],
              ["“Nordic” chair <oak> & ash", "4", "€ 85.50"]]),
    "Total due: € 462.00",
]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_same_data_gives_byte_identical_files():
    first = write_pdf("Invoice INV-0042", BLOCKS, author="Northwind", subject="Invoice")
    again = write_pdf("Invoice INV-0042", list(BLOCKS), author="Northwind", subject="Invoice")
    assert first == again and first.startswith(b"%PDF-")
    assert write_pdf("Invoice INV-0043", BLOCKS, author="Northwind") != first
    changed = [*BLOCKS[:-1], "Total due: € 462.01"]
    assert write_pdf("Invoice INV-0042", changed, author="Northwind", subject="Invoice") != first


def test_text_metadata_and_tables_read_back():
    data = write_pdf("Invoice INV-0042", BLOCKS, author="Northwind", subject="Invoice")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    assert (reader.metadata.title, reader.metadata.author, reader.metadata.subject) == (
        "Invoice INV-0042", "Northwind", "Invoice")
    assert reader.metadata["/CreationDate"] == "D:20000101000000+00'00'"  # invariant
    text = _text(data)
    for expected in ("Invoice INV-0042", "Example Ltd. — Zürich", "Total due: € 462.00"):
        assert expected in text
    with pdfplumber.open(io.BytesIO(data)) as document:
        tables = document.pages[0].extract_tables()
    assert tables == [[["Item", "Qty", "Price"], ["Café table", "2", "€ 120.00"],
                       ["“Nordic” chair <oak> & ash", "4", "€ 85.50"]]]


def test_long_tables_continue_on_new_pages_under_their_header():
    rows = [["Line", "Amount"]] + [[f"Entry {n}", f"{n}.00"] for n in range(120)]
    data = write_pdf("Ledger", [PdfTable(rows)], page_size="letter")
    with pdfplumber.open(io.BytesIO(data)) as document:
        assert document.pages[0].width == 612  # US letter
        pages = [page.extract_tables()[0] for page in document.pages]
    assert len(pages) > 1 and all(page[0] == ["Line", "Amount"] for page in pages)
    assert [row for page in pages for row in page[1:]] == rows[1:]


@pytest.mark.parametrize(("title", "blocks", "match"), [
    ("Title", ["Tokyo 東京"], "block 1: the character '東'"),
    ("Ω", [], "title: the character 'Ω'"),
    ("Title", [PdfTable([])], "at least one row"),
    ("Title", [PdfTable([["a", "b"], ["c"]])], "every table row needs 2 cells"),
    ("Title", [PdfTable([["x"] * 21])], "at most 2000 rows and 20 columns"),
    ("Title", [PdfHeading("Deep", 7)], "heading level must be 1-6"),
    ("Title", ["bell\x07"], "control character U+0007"),
    ("Title", ["x" * 20_001], "at most 20000 characters"),
])
def test_bad_content_is_refused(title, blocks, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        write_pdf(title, blocks)


def test_wrong_kinds_and_page_sizes_are_refused():
    with pytest.raises(TypeError, match="expected a string, PdfHeading or PdfTable"):
        write_pdf("Title", [42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="page_size"):
        write_pdf("Title", [], page_size="A5")  # type: ignore[arg-type]


def test_byte_identical_in_another_process_with_another_hash_seed():
    code = ("import hashlib, sys\n"
            "from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf\n"
            "data = write_pdf('T', ['a € b', PdfHeading('H'), PdfTable([['x', 'y'], ['1', '2']])],"
            " author='A')\n"
            "sys.stdout.write(hashlib.sha256(data).hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, timeout=120)
    here = write_pdf("T", ["a € b", PdfHeading("H"), PdfTable([["x", "y"], ["1", "2"]])],
                     author="A")
    assert done.stdout == hashlib.sha256(here).hexdigest()
