"""privacy/pii-audit: the contract, then the family's own wrong-answer tests."""

import re

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    grade_plan,
    make_task,
    passed_criteria,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.db import read_rows
from workgym.apps.docs import parse_docx
from workgym.apps.sheets import load_workbook_bytes
from workgym.core import Task, ToolCall
from workgym.families.privacy.pii_audit import (
    BANK,
    CONTACTS,
    CONTACTS_SHEET,
    DB,
    DB_COLUMNS,
    LOG,
    LOG_SHEET,
    POLICY,
    PiiAudit,
)

FAMILY = "privacy/pii-audit-v1"
FORMATS = {
    "[EMAIL]": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "[PHONE]": re.compile(r"\+\d{2} \d{2} \d{4} \d{3,4}"),
    "[DOB]": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "[IBAN]": re.compile(r"\bDE\d{20}\b"),
}


def _mask_all(text: str) -> str:
    """Every value that looks like personal data, masked by its format alone."""
    for token, pattern in FORMATS.items():
        text = pattern.sub(token, text)
    return text


def _format_masker(task: Task) -> list[ToolCall]:
    """Mask everything that looks like personal data, and log it all, ignoring the policy."""
    files = task.template.files
    plan: list[ToolCall] = []
    rows: list[list[str]] = []
    for path in sorted(task.artifacts):
        data = files[path]
        if path.endswith((".txt", ".csv")):
            text = data.decode()
            plan.append(ToolCall("files.write", {"path": path, "content": _mask_all(text)}))
            rows += [[path, f"line {n}", "email"] for n, line in
                     enumerate(text.splitlines(), 1) if _mask_all(line) != line]
        elif path == CONTACTS:
            ws = load_workbook_bytes(data)[CONTACTS_SHEET]
            cells = {c.coordinate: _mask_all(str(c.value)) for row in ws.iter_rows()
                     for c in row if c.value is not None and _mask_all(str(c.value)) != c.value}
            plan.append(ToolCall("sheets.write_cells", {"path": path, "sheet": CONTACTS_SHEET,
                                                        "cells": cells}))
            rows += [[path, f"{CONTACTS_SHEET}!{ref}", "phone"] for ref in cells]
        elif path.endswith(".docx"):
            text = "\n".join(b.text for b in parse_docx(data).blocks)
            for token, pattern in FORMATS.items():
                for value in sorted(set(pattern.findall(text))):
                    plan.append(ToolCall("docs.replace_text", {"path": path, "old": value,
                                                               "new": token}))
        elif path == DB:
            for table, columns in DB_COLUMNS.items():
                for column in columns:
                    for (value,) in read_rows(data, f"SELECT DISTINCT {column} FROM {table}",
                                              now=task.template.now):
                        masked = _mask_all(str(value))
                        if value is not None and masked != str(value):
                            plan.append(ToolCall("db.execute", {
                                "sql": f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                                "params": [masked, value]}))
    plan.append(ToolCall("sheets.append_rows", {"path": LOG, "sheet": LOG_SHEET,
                                                "rows": rows}))
    return plan


@pytest.mark.slow
def test_privacy_pii_audit_meets_the_contract() -> None:
    assert_meets_contract(PiiAudit())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    assert_reference_solves(make_task(FAMILY, 1, difficulty, 1.0))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_the_database_left_alone_earns_partial_credit() -> None:
    task = make_task(FAMILY, 3)
    plan = [c for c in task.reference if c.name != "db.execute"]
    grade = grade_plan(task, plan)
    assert 0.0 < grade.score < 1.0
    masked = [c for c in grade.criteria if c.group == "value masked"]
    assert all(c.passed is False for c in masked if f"{DB} " in c.name)
    assert any(c.passed for c in masked if f"{DB} " not in c.name)


def test_masking_every_look_alike_earns_nothing() -> None:
    for seed, difficulty in ((0, "easy"), (4, "medium"), (5, "hard")):
        task = make_task(FAMILY, seed, difficulty)
        grade = grade_plan(task, _format_masker(task))
        assert len(passed_criteria(grade, group="value masked")) == 0
        assert len(passed_criteria(grade, group="mask logged")) == 0
        assert grade.score < 0.05


def test_format_alone_does_not_tell_personal_data() -> None:
    """Every format has values that are personal and values that only look it."""
    task = make_task(FAMILY, 6, "hard")
    reference = {c.args["path"]: c.args["content"] for c in task.reference
                 if c.name == "files.write"}
    kept: dict[str, int] = dict.fromkeys(FORMATS, 0)
    masked: dict[str, int] = dict.fromkeys(FORMATS, 0)
    for content in reference.values():
        for token, pattern in FORMATS.items():
            masked[token] += content.count(token)
            kept[token] += len(pattern.findall(content))
    assert all(masked.values()) and all(kept.values()), (masked, kept)
    assert sum(kept.values()) >= sum(masked.values())


def test_touching_the_policy_or_a_clean_file_zeroes_the_score() -> None:
    task = make_task(FAMILY, 7)
    bank = task.template.files[BANK].decode()
    for extra in (ToolCall("docs.replace_text", {"path": POLICY, "old": "person",
                                                 "new": "customer"}),
                  ToolCall("files.write", {"path": BANK, "content": _mask_all(bank)})):
        grade = grade_plan(task, [*task.reference, extra])
        assert grade.score == 0.0


def test_rewritten_line_endings_fail_the_byte_check() -> None:
    task = make_task(FAMILY, 8)
    write = next(c for c in task.reference if c.name == "files.write")
    crlf = ToolCall("files.write", {"path": write.args["path"],
                                    "content": write.args["content"].replace("\n", "\r\n")})
    grade = grade_plan(task, [crlf if c is write else c for c in task.reference])
    failed = {c.name for c in grade.criteria if c.passed is False}
    assert f"{write.args['path']} byte-identical apart from the masks" in failed
    assert grade.score < 1.0


def test_richness_keeps_the_answer() -> None:
    lean, rich = make_task(FAMILY, 9, "hard", 0.0), make_task(FAMILY, 9, "hard", 1.0)
    assert lean.reference == rich.reference
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
    assert set(rich.template.files) > set(lean.template.files)


def test_the_amendment_changes_what_is_personal() -> None:
    """At hard the amendment's staff domain and number stay as they are."""
    task = make_task(FAMILY, 10, "hard")
    amendment = "\n".join(b.text for b in parse_docx(
        task.template.files["privacy/policy-amendment-1.docx"]).blocks)
    domain = re.search(r"@([\w.-]+) are business", amendment)
    assert domain is not None
    texts = [c.args["content"] for c in task.reference if c.name == "files.write"]
    original = [task.template.files[c.args["path"]].decode() for c in task.reference
                if c.name == "files.write"]
    for before, after in zip(original, texts, strict=True):
        for value in re.findall(rf"[\w.]+@{re.escape(domain.group(1))}", before):
            assert value in after
