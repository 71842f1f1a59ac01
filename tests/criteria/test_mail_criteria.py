"""Mail-sent checks: recipient, subject, required lines, values, no one else, and when."""

from workgym.criteria import (
    calls_to,
    mail_fields,
    mail_sent,
    mail_values,
    only_recipients,
    sent_after,
)

BOSS = "boss@example.org"
SUMMARY = "Hi,\n\nTotal: EUR 12.50\nCorrected: 2\n\nBest"


def send(to=BOSS, body=SUMMARY, subject="March summary", cc=None):
    args = {"to": [to], "subject": subject, "body": body}
    if cc:
        args["cc"] = cc
    return ("mail.send", args)


def test_mail_sent_needs_recipient_subject_and_lines(judge):
    check = [mail_sent("sent", BOSS, subject="summary", lines=["Total: EUR 12.50"],
                       keys=["Corrected"])]
    assert judge(check, [send()])["sent"].passed
    assert judge(check, [send(to="Boss <BOSS@example.org>")])["sent"].passed
    assert "no mail sent to" in judge(check, [send(to="x@example.org")])["sent"].evidence
    assert "lacks 'summary'" in judge(check, [send(subject="hello")])["sent"].evidence
    lacking = judge(check, [send(body="Total: EUR 12.50")])["sent"]
    assert not lacking.passed and "Corrected: ..." in lacking.evidence
    # a copy counts only when asked
    assert not judge(check, [send(to="x@example.org", cc=[BOSS])])["sent"].passed


def test_an_empty_mail_is_no_summary(judge):
    """The lenient case of issue 10: an empty body passed 'summary mailed'."""
    check = [mail_sent("sent", BOSS, keys=["Total"])]
    assert not judge(check, [send(body=" ")])["sent"].passed
    assert not judge([mail_sent("any", BOSS)], [send(body=" ")])["any"].passed


def test_mail_values_checks_the_value_once_per_mail(judge):
    def check():
        return [mail_values("total", BOSS, "total", lambda v: v == "EUR 12.50",
                            expected="EUR 12.50")]
    assert judge(check(), [send()])["total"].passed
    assert not judge(check(), [send(body="Total: EUR 99.00")])["total"].passed
    twice = judge(check(), [send(body=SUMMARY + "\nTotal: EUR 13.00")])["total"]
    assert not twice.passed and "expected EUR 12.50" in twice.evidence
    # a flood of blank lines and a huge number fail in linear time, never unscored
    flood = judge(check(), [send(body="\n" * 40_000 + "Total: " + "9" * 5000)])["total"]
    assert flood.passed is False
    assert "no mail" in judge(check(), [])["total"].evidence


def test_mail_fields_checks_several_lines(judge):
    check = [mail_fields("counts", BOSS, {"Corrected": "2", "Added": "0"})]
    assert judge(check, [send(body=SUMMARY + "\nAdded: 0")])["counts"].passed
    assert not judge(check, [send()])["counts"].passed
    assert not judge(check, [send(body=SUMMARY + "\nAdded: 1")])["counts"].passed


def test_only_recipients_guard(judge):
    guard = [only_recipients("only boss", [BOSS])]
    assert judge(guard, [send()])["only boss"].passed
    stray = judge(guard, [send(cc=["x@example.org"])])["only boss"]
    assert not stray.passed and stray.guard and "x@example.org" in stray.evidence


def test_sent_after_counts_only_the_calls_asked_for(judge):
    """The lenient case of issue 10: a write to any workbook counted as 'the sheet edits'."""
    make = [("sheets.create_workbook", {"path": p, "sheet": "S"}) for p in ("a.xlsx", "b.xlsx")]
    edit = ("sheets.write_cells", {"path": "./a.xlsx", "sheet": "S", "cells": {"A1": 1}})
    other = ("sheets.write_cells", {"path": "b.xlsx", "sheet": "S", "cells": {"A1": 1}})
    check = [sent_after("after", BOSS, calls_to(["sheets.write_cells"], path="a.xlsx"),
                        what="edits of a.xlsx")]
    assert judge(check, [*make, edit, send()])["after"].passed
    before = judge(check, [*make, send(), edit])["after"]
    assert not before.passed and before.kind == "trajectory"
    assert not judge(check, [*make, other, send()])["after"].passed
    assert not judge(check, [*make, edit, send(to="x@example.org")])["after"].passed
