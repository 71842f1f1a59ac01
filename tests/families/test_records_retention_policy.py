"""records/retention-policy: the contract, then the family's own wrong-answer tests."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    grade_plan,
    make_task,
    unmet_criteria,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.sheets import load_workbook_bytes
from workgym.core import Grade, Task, TaskSpec, ToolCall, make
from workgym.families.records.retention_policy import (
    MANIFEST,
    MANIFEST_LINES,
    MANIFEST_SHEET,
    MEMO,
    REGISTER,
    REGISTER_SHEET,
    Record,
    RetentionPolicy,
    Review,
    Rule,
)

FAMILY = "records/retention-policy-v1"
ACTS = ("files.move", "files.delete")


def _review(task: Task) -> Review:
    return RetentionPolicy().review(task.spec)


def _writes(task: Task) -> list[ToolCall]:
    """The reference's calls that change the world (the reads change nothing)."""
    return [c for c in task.reference if c.name in (*ACTS, "sheets.append_rows")
            or c.args.get("path") in (MEMO, MANIFEST_LINES)]


def _manifest(rows: list[tuple[str, str, str]]) -> ToolCall:
    return ToolCall("sheets.append_rows", {"path": MANIFEST, "sheet": MANIFEST_SHEET,
                                           "rows": [list(row) for row in rows]})


def _acts(records: list[Record]) -> list[ToolCall]:
    plan = []
    for r in records:
        if r.hold or r.action == "keep":
            continue
        plan.append(ToolCall("files.move", {"source": r.path, "destination": r.archived})
                    if r.action == "archive" else ToolCall("files.delete", {"path": r.path}))
    return plan


def _everyone(task: Task, act: Callable[[Record], ToolCall | None], action: str) -> Grade:
    """Every record given one action (with the reason right where that action is)."""
    records = _review(task).records
    plan = list(filter(None, (act(r) for r in records)))
    rows = [r.row if r.row[1] == action else (r.id, action, "retain until 2030-01-01")
            for r in records]
    return grade_plan(task, [*plan, _manifest(rows)])


@pytest.mark.slow
def test_records_retention_policy_meets_the_contract() -> None:
    assert_meets_contract(RetentionPolicy())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_reference_scores_one(difficulty: str) -> None:
    assert_reference_solves(make_task(FAMILY, 1, difficulty))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_keeping_archiving_or_deleting_everything_scores_zero(seed: int) -> None:
    task = make_task(FAMILY, seed, "medium")
    kept = _everyone(task, lambda r: None, "keep")
    assert kept.score == 0.0
    archived = _everyone(task, lambda r: ToolCall("files.move", {
        "source": r.path, "destination": r.archived}), "archive")
    assert archived.score == 0.0
    assert unmet_criteria(archived, "records under an active legal hold")
    deleted = _everyone(task, lambda r: ToolCall("files.delete", {"path": r.path}), "delete")
    assert deleted.score == 0.0
    assert unmet_criteria(deleted, "records under an active legal hold")


def test_a_held_record_archived_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 2, "hard")
    held = next(r for r in _review(task).records if r.hold)
    plan = [*_writes(task), ToolCall("files.move", {"source": held.path,
                                                     "destination": held.archived})]
    grade = grade_plan(task, plan)
    assert grade.score == 0.0
    assert unmet_criteria(grade, "records under an active legal hold")


def _by_the_schedule_alone(review: Review) -> list[Record]:
    """The records as a review that missed every amendment would see them."""
    records = []
    for r in review.records:
        action, reason, _ = review.base[r.kind.name].act(r.trigger, review.now)
        records.append(replace(r, action=action, reason=reason))
    return records


def _plan(task: Task, records: list[Record]) -> list[ToolCall]:
    memo = [c for c in task.reference if c.args.get("path") == MEMO]
    return [*_acts(records), _manifest([r.row for r in records]), *memo]


def test_ignoring_the_amendments_loses_credit() -> None:
    task = make_task(FAMILY, 3, "hard")
    review = _review(task)
    stale = _by_the_schedule_alone(review)
    wrong = [r.id for r, s in zip(review.records, stale, strict=True)
             if (r.action, r.reason) != (s.action, s.reason) and not r.hold]
    assert wrong
    grade = grade_plan(task, _plan(task, stale))
    assert not grade.passed and grade.score < 0.95
    assert {f"manifest {i}" for i in wrong} <= set(unmet_criteria(grade, "manifest"))


def test_a_released_hold_still_applied_loses_credit() -> None:
    task = make_task(FAMILY, 4, "hard")
    review = _review(task)
    released = {code for code, _, _, end in review.holds if end is not None}
    records = [replace(r, hold=r.matter) if r.matter in released else r
               for r in review.records]
    assert any(r.hold in released for r in records)
    grade = grade_plan(task, _plan(task, records))
    assert not grade.passed
    assert unmet_criteria(grade, "disposition") and unmet_criteria(grade, "manifest")


def test_an_archive_under_the_wrong_path_is_not_an_archive() -> None:
    task = make_task(FAMILY, 5, "hard")
    plan = [ToolCall(c.name, {**c.args, "destination": "archive/records/" +
                              c.args["source"].removeprefix("records/")})
            if c.name == "files.move" else c for c in _writes(task)]
    grade = grade_plan(task, plan)
    assert unmet_criteria(grade, "disposition") and not grade.passed


def test_manifest_case_and_spacing_do_not_matter() -> None:
    task = make_task(FAMILY, 6, "medium")
    rows = [(f" {i.lower()} ", f"{action.upper()} ", reason.upper().replace(" ", "  "))
            for i, action, reason in (r.row for r in _review(task).records)]
    plan = [c if c.name != "sheets.append_rows" else _manifest(rows) for c in _writes(task)]
    assert grade_plan(task, plan).score == 1.0


def test_a_memo_count_given_twice_earns_nothing() -> None:
    task = make_task(FAMILY, 7, "medium")
    plan = [*_writes(task), ToolCall("docs.insert_paragraphs", {
        "path": MEMO, "paragraphs": ["Kept: 0"]})]
    grade = grade_plan(task, plan)
    assert unmet_criteria(grade, "memo") and not grade.passed


def test_no_date_or_file_kind_parts_the_actions() -> None:
    family, kinds = RetentionPolicy(), dict[str, set[str]]()
    for seed in range(10):
        review = family.review(TaskSpec(family=family.name, version=family.version, seed=seed,
                                        difficulty="hard"))
        action = {r.id: "keep" if r.hold else r.action for r in review.records}
        for when in (lambda r: r.registered, lambda r: r.trigger):
            spans: dict[str, list[date]] = {}
            for r in review.records:
                spans.setdefault(action[r.id], []).append(when(r))
            groups = list(spans.values())
            assert len(groups) == 3
            assert all(min(a) < max(b) for a in groups for b in groups if a is not b), seed
        for r in review.records:
            kinds.setdefault(r.path.rpartition(".")[2], set()).add(action[r.id])
    assert all(len(acts) == 3 for acts in kinds.values()), kinds


def test_the_register_is_sorted_by_record_id() -> None:
    task = make_task(FAMILY, 9, "medium")
    book = load_workbook_bytes(task.template.files[REGISTER])
    ids = [row[0] for row in book[REGISTER_SHEET].iter_rows(min_row=2, values_only=True)]
    assert ids == sorted(ids) and len(ids) == 11


def test_richness_leaves_the_answer() -> None:
    plain, rich = make_task(FAMILY, 8, "hard", 0.0), make_task(FAMILY, 8, "hard", 1.0)
    assert [r.row for r in _review(plain).records] == [r.row for r in _review(rich).records]
    assert len(rich.template.files) > len(plain.template.files)


def test_the_lines_variant_takes_the_manifest_as_text_lines() -> None:
    from workgym.agent.adversarial import ADVERSARIES

    task = make(FAMILY, seed=2, difficulty="medium", variant="lines")
    assert MANIFEST_LINES in task.artifacts and MANIFEST not in task.template.files
    assert grade_plan(task, list(task.reference)).score == 1.0
    written = next(c for c in task.reference if c.args.get("path") == MANIFEST_LINES)
    lines = written.args["content"].splitlines()
    plan = [c if c is not written else ToolCall("files.write", {
        "path": MANIFEST_LINES, "content": "\n".join([*lines, lines[0]]) + "\n"})
        for c in _writes(task)]
    assert not grade_plan(task, plan).passed  # a line written twice
    for name in ("shotgun", "grader-crasher", "enumerator"):
        assert ADVERSARIES[name](task, 0).score == 0.0, name


def test_missing_the_counterparty_hold_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 3, "medium")
    review = _review(task)
    party = next(r for r in review.records if r.hold and not r.matter)
    action, reason, _ = review.base[party.kind.name].act(party.trigger, review.now)
    records = [replace(r, hold="", action=action, reason=reason) if r is party else r
               for r in review.records]
    grade = grade_plan(task, _plan(task, records))
    assert grade.score == 0.0
    assert unmet_criteria(grade, "records under an active legal hold")


def test_trusting_the_register_class_loses_credit() -> None:
    differed = 0
    for seed in range(3):
        task = make_task(FAMILY, seed, "hard")
        review = _review(task)
        rules = _rules(review)
        records = []
        for r in review.records:
            if r.filed_as and not r.hold:
                action, reason, _ = rules[r.filed_as].act(r.trigger, review.now)
                differed += (action, reason) != (r.action, r.reason)
                r = replace(r, action=action, reason=reason)
            records.append(r)
        if any(a.row != b.row for a, b in zip(records, review.records, strict=True)):
            assert not grade_plan(task, _plan(task, records)).passed
    assert differed


def _rules(review: Review) -> dict[str, Rule]:
    rules = dict(review.base)
    for _, rows in review.amendments:
        rules.update(rows)
    return rules
