"""Readers of agent-written files and the well-formed checks: real txt, csv, xlsx, docx."""

import io

import docx
import openpyxl

from workgym.apps.sheets import workbook_bytes
from workgym.core import Criterion
from workgym.criteria import (
    MAX_LINE_CHARS,
    csv_rows,
    docx_paragraphs,
    sheets_unchanged,
    text_lines,
    well_formed_csv,
    well_formed_docx,
    well_formed_lines,
    well_formed_xlsx,
    xlsx_rows,
)


def book(*rows, far=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(list(row))
    if far:
        ws[far] = 1
    other = wb.create_sheet("Old")
    other.append(["kept", 1])
    return workbook_bytes(wb)


def document(*paragraphs) -> bytes:
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reads(reader, name="read"):
    """A criterion that passes and shows what ``reader`` read."""
    return Criterion(name, lambda ctx: (True, repr(reader(ctx))))


def test_text_lines_normalizes_and_bounds_lines(judge):
    long = "x" * (MAX_LINE_CHARS + 50)
    results = judge([reads(text_lines("a.txt"))],
                    files={"a.txt": f"  ADD   |  x \n\n\tB\n{long}\n".encode()})
    assert results["read"].evidence == repr(["ADD | x", "B", "x" * MAX_LINE_CHARS])


def test_well_formed_lines_needs_the_shape_and_more_right_lines_than_wrong(judge):
    check = [well_formed_lines("form", "a.txt", r"ADD \| [^|]+",
                               expected=["ADD | x", "ADD | w"])]
    assert judge(check, files={"a.txt": b"ADD | x\nADD | w\nADD | y\n"})["form"].passed
    junk = judge(check, files={"a.txt": b"ADD | y\nADD | z\n"})["form"]
    assert not junk.passed and "only 0 required" in junk.evidence
    shotgun = b"".join(f"ADD | {c}\n".encode() for c in "xwabcdefgh")
    spray = judge(check, files={"a.txt": shotgun})["form"]
    assert not spray.passed and "only 2 required one(s) against 8 wrong" in spray.evidence
    repeated = judge(check, files={"a.txt": b"ADD | x\nADD | x\n"})["form"]
    assert not repeated.passed
    bad = judge(check, files={"a.txt": b"ADD | x\nREMOVE x\n"})["form"]
    assert not bad.passed and "malformed" in bad.evidence
    assert not judge(check, files={"a.txt": b"\n\n"})["form"].passed
    assert "does not exist" in judge(check)["form"].evidence


def test_csv_rows_by_header_title_and_well_formed_csv(judge):
    data = b"Name,ID\nAda,7\n,\nBo,9\n"
    results = judge([reads(csv_rows("t.csv", ["id", "name"])),
                     well_formed_csv("csv ok", "t.csv", ["ID"], min_rows=2),
                     well_formed_csv("csv lacks", "t.csv", ["Email"])], files={"t.csv": data})
    assert results["read"].evidence == repr([("7", "Ada"), ("9", "Bo")])
    assert results["csv ok"].passed
    assert not results["csv lacks"].passed and "lacks columns ['Email']" in \
        results["csv lacks"].evidence


def test_xlsx_rows_map_cells_and_fail_closed_on_what_an_agent_can_write(judge):
    def amount(name, cents):
        return name, round(float(cents) * 100)

    rows = xlsx_rows("b.xlsx", "Data", ["Name", "Amount"], row=amount)
    results = judge([reads(rows), well_formed_xlsx("form", "b.xlsx", "Data", ["Amount"])],
                    files={"b.xlsx": book(["Name", "Amount"], ["Ada", 1.25], ["Bo", "2"])})
    assert results["read"].evidence == repr([("Ada", 125), ("Bo", 200)])
    assert results["form"].passed
    # an overflow in the row function fails the criterion (it never goes unscored)
    huge = judge([well_formed_xlsx("form", "b.xlsx", "Data", ["Amount"]),
                  Criterion("rows", lambda ctx: (bool(rows(ctx)), ""))],
                 files={"b.xlsx": book(["Name", "Amount"], ["Ada", 1e308])})
    assert huge["rows"].passed is False and "OverflowError" in huge["rows"].evidence
    # a cell far away is refused by the bounded reader, quickly
    far = judge([well_formed_xlsx("form", "b.xlsx", "Data", ["Amount"])],
                files={"b.xlsx": book(["Name", "Amount"], far="XFD1048576")})
    assert far["form"].passed is False and "beyond" in far["form"].evidence
    wrong = judge([well_formed_xlsx("form", "b.xlsx", "Nope", ["Amount"])],
                  files={"b.xlsx": b"not a zip"})
    assert wrong["form"].passed is False


def test_sheets_unchanged_guards_the_other_sheets(judge):
    template = book(["Name"], ["Ada"])
    guard = [sheets_unchanged("others", "b.xlsx", template, but=["Data"])]
    edit = ("sheets.write_cells", {"path": "b.xlsx", "sheet": "Data", "cells": {"A2": "Bo"}})
    assert judge(guard, [edit], files={"b.xlsx": template})["others"].passed
    tamper = ("sheets.write_cells", {"path": "b.xlsx", "sheet": "Old", "cells": {"B1": 2}})
    result = judge(guard, [tamper], files={"b.xlsx": template})["others"]
    assert not result.passed and result.guard and "['Old']" in result.evidence


def test_docx_paragraphs_and_well_formed_docx(judge):
    results = judge([reads(docx_paragraphs("r.docx")),
                     well_formed_docx("doc", "r.docx", min_paragraphs=2),
                     well_formed_docx("three", "r.docx", min_paragraphs=3)],
                    files={"r.docx": document("Summary", "  ", "All   good")})
    assert results["read"].evidence == repr(["Summary", "All good"])
    assert results["doc"].passed and not results["three"].passed
    broken = judge([well_formed_docx("doc", "r.docx")], files={"r.docx": b"PK\x03\x04junk"})
    assert broken["doc"].passed is False
