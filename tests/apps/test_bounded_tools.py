"""Bounded tools: the tool holes of issue 10 (hang, stall, quota, FIFO), each proven closed."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

import workgym  # noqa: F401  (registers the apps)
from workgym.apps import mail as mail_app
from workgym.apps.mail import MailStore
from workgym.apps.sheets import WRITE_LIMITS, workbook_bytes
from workgym.core import MAX_WORKSPACE_BYTES, MAX_WORKSPACE_FILES, Episode


@pytest.fixture
def ep(start_episode) -> Episode:
    wb = Workbook()
    wb.active.title = "Expenses"
    wb.active.append(["Date", "Amount"])
    wb.active.append(["2026-03-01", 12.5])
    files = {"notes/a.txt": b"a" * 40 + b"\n", "book.xlsx": workbook_bytes(wb)}
    return start_episode(("files", "sheets", "mail"), family="tests/bounded",
                         now=datetime(2026, 3, 2, 9, tzinfo=UTC), files=files,
                         stores={"mail": MailStore(address="me@example.org")})


def _far_book() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Expenses"
    ws["A1"] = "Date"
    ws["XFD1048576"] = 1
    return workbook_bytes(wb)


def test_hole3_sheets_reads_of_a_far_cell_finish_fast(ep):
    (ep.world.workspace / "far.xlsx").write_bytes(_far_book())  # as a terminal could write it
    started = time.perf_counter()
    listed = ep.call("sheets.list_sheets", {"path": "far.xlsx"})
    assert listed.ok and listed.value[0]["range"] == "A1:XFD1048576"
    whole = ep.call("sheets.read_range", {"path": "far.xlsx"})
    assert not whole.ok and "read at most" in whole.text  # never walks 1.7e10 cells
    corner = ep.call("sheets.read_range", {"path": "far.xlsx", "range": "XFD1048576"})
    assert corner.ok and corner.value["rows"][0]["values"] == [1]
    edited = ep.call("sheets.write_cells", {"path": "far.xlsx", "sheet": "Expenses",
                                            "cells": {"B2": 3}})
    assert edited.ok, edited.text
    assert time.perf_counter() - started < 5  # was 18-120 s


def test_hole3_sheets_refuse_writes_past_their_limits(ep):
    far = ep.call("sheets.write_cells", {"path": "book.xlsx", "sheet": "Expenses",
                                         "cells": {"XFD1048576": 1}})
    assert not far.ok and WRITE_LIMITS.last_cell in far.text
    nan = ep.call("sheets.write_cells", {"path": "book.xlsx", "sheet": "Expenses",
                                         "cells": {"B3": float("nan")}})
    assert not nan.ok and "finite" in nan.text
    wide = ep.call("sheets.append_rows", {"path": "book.xlsx", "sheet": "Expenses",
                                          "rows": [[1] * (WRITE_LIMITS.max_columns + 1)]})
    assert not wide.ok and "values" in wide.text
    assert ep.call("sheets.write_cells", {"path": "book.xlsx", "sheet": "Expenses",
                                          "cells": {"IV10000": 1}}).ok
    control = ep.call("sheets.add_sheet", {"path": "book.xlsx", "name": "\x1b"})
    assert not control.ok and ep.calls[-1].error == "tool_error"  # found by the deep fuzz


def test_hole3_mail_bodies_are_bounded(ep):
    long = ep.call("mail.send", {"to": ["a@example.org"], "subject": "s",
                                 "body": "\n" * (mail_app.MAX_BODY_CHARS + 1)})
    assert not long.ok and "longer than" in long.text
    subject = ep.call("mail.send", {"to": ["a@example.org"], "subject": "x" * 10_000,
                                    "body": "hi"})
    assert not subject.ok
    sent = ep.call("mail.send", {"to": ["a@example.org"], "subject": "s",
                                 "body": "\n" * mail_app.MAX_BODY_CHARS})
    assert sent.ok
    for _ in range(4):  # forwards of forwards cannot grow a body without bound
        result = ep.call("mail.forward", {"message_id": sent.value["sent"],
                                          "to": ["b@example.org"], "body": "x" * 40_000})
        if not result.ok:
            break
        sent = result
    assert not result.ok and "longer than" in result.text


def test_hole4_backtracking_regex_runs_in_linear_time(ep):
    ep.call("files.write", {"path": "notes/long.txt", "content": "a" * 5000 + "b\n"})
    started = time.perf_counter()
    result = ep.call("files.search", {"pattern": "(a+)+$", "regex": True})
    assert result.ok and [h["path"] for h in result.value] == ["notes/a.txt"]
    assert time.perf_counter() - started < 2  # 26 a's took 8.7 s, 40 over 60 s
    upper = ep.call("files.search", {"pattern": "A{40}", "regex": True})
    assert upper.ok and len(upper.value) == 2  # case-insensitive
    backref = ep.call("files.search", {"pattern": r"(a)\1", "regex": True})
    assert not backref.ok and "RE2" in backref.text


def test_hole4_workspace_quota_is_enforced_by_every_write(ep):
    chunk = "x" * 1_900_000
    result = None
    for n in range(MAX_WORKSPACE_BYTES // 1_900_000 + 2):
        result = ep.call("files.write", {"path": f"big/{n}.txt", "content": chunk})
        if not result.ok:
            break
    assert result is not None and not result.ok and "quota" in result.text
    assert ep.world.usage()[0] <= MAX_WORKSPACE_BYTES
    # the other apps' writes hit the same quota
    book = ep.call("sheets.create_workbook", {"path": "more/new.xlsx"})
    attach = ep.call("mail.send", {"to": ["a@example.org"], "subject": "s", "body": "b",
                                   "attachments": ["big/0.txt"]})
    assert attach.ok
    saved = ep.call("mail.save_attachment", {"message_id": attach.value["sent"],
                                             "filename": "0.txt", "path": "copy.txt"})
    assert not saved.ok and "quota" in saved.text
    assert book.ok or "quota" in book.text
    assert ep.call("files.delete", {"path": "big/0.txt"}).ok
    assert ep.call("files.write", {"path": "small.txt", "content": "ok"}).ok


def test_hole4_workspace_file_count_quota(ep):
    many = ep.world.workspace / "many"
    many.mkdir()
    for n in range(MAX_WORKSPACE_FILES - 10):  # as a terminal command could leave them
        (many / f"{n}.txt").touch()
    results = [ep.call("files.write", {"path": f"many/new-{n}.txt", "content": ""})
               for n in range(10)]
    assert results[0].ok and not results[-1].ok and "files and folders" in results[-1].text


def test_hole4_reads_never_block_on_a_fifo(ep):
    os.mkfifo(ep.world.workspace / "notes" / "pipe.txt")
    started = time.perf_counter()
    read = ep.call("files.read", {"path": "notes/pipe.txt"})
    assert not read.ok and "not a regular file" in read.text
    found = ep.call("files.search", {"pattern": "a"})
    assert found.ok and {h["path"] for h in found.value} == {"notes/a.txt"}
    attach = ep.call("mail.send", {"to": ["a@example.org"], "subject": "s", "body": "b",
                                   "attachments": ["notes/pipe.txt"]})
    assert not attach.ok
    listed = ep.call("files.list", {"path": "notes"})
    assert {"path": "notes/pipe.txt", "type": "special", "size": 0} in listed.value
    assert time.perf_counter() - started < 5


def test_no_host_path_in_tool_errors(ep):
    host = str(ep.world.workspace)
    (ep.world.workspace / "afile").write_text("x")
    for name, args in (("files.write", {"path": "afile/x.txt", "content": "x"}),
                       ("files.move", {"source": "afile", "destination": "afile/y"}),
                       ("files.read", {"path": "afile/x"}),
                       ("sheets.create_workbook", {"path": "afile/new.xlsx"}),
                       ("files.write", {"path": "x" * 300, "content": "x"})):
        result = ep.call(name, args)
        assert not result.ok and ep.calls[-1].error == "tool_error", result.text
        assert host not in result.text
