"""documents/contract-review: the contract, and the family's own wrong-answer tests."""

import re

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.docs import parse_docx
from workgym.core import Task, ToolCall
from workgym.families.documents.contract_review import ContractReview

FAMILY = "documents/contract-review-v1"
_CORRECTION = re.compile(r"correction on clause (\d+\.\d+) \(([^)]+)\): please make it (.+?), "
                         r"not (.+?)\.")


def _edits(task: Task) -> list[ToolCall]:
    return [c for c in task.reference if c.name == "docs.replace_paragraph"]


def _contract(task: Task) -> str:
    return next(p for p in task.template.files if p.endswith("services-agreement.docx"))


def _before_log(task: Task, *extra: ToolCall) -> list[ToolCall]:
    plan = list(task.reference)
    at = next(n for n, c in enumerate(plan) if c.name == "docs.create")
    return plan[:at] + list(extra) + plan[at:]


@pytest.mark.slow
def test_contract_review_meets_the_contract() -> None:
    assert_meets_contract(ContractReview())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_changing_a_clause_no_comment_allows_costs_an_item() -> None:
    task = make_task(FAMILY, 3)
    blocks = parse_docx(task.template.files[_contract(task)]).blocks
    edited = {c.args["block"] for c in _edits(task)}
    block = next(n for n, b in enumerate(blocks, 1)
                 if n not in edited and re.search(r"\d+ days", b.text))
    text = re.sub(r"(\d+) days", lambda m: f"{int(m.group(1)) + 1} days", blocks[block - 1].text)
    step = ToolCall("docs.replace_paragraph", {"path": _contract(task), "block": block,
                                               "text": text})
    grade = grade_plan(task, _before_log(task, step))
    assert not grade.passed and not grade.gated and 0 < grade.score < 1
    assert "only allowed clauses changed" in failed_criteria(grade)
    amended = [c for c in grade.criteria if c.group == "clause amended"]
    assert sum(not c.passed for c in amended) == 1


def test_applying_a_corrected_comment_s_first_value_fails() -> None:
    task = next(t for t in (make_task(FAMILY, s, "hard") for s in range(10))
                if any(_CORRECTION.search(m.body) for m in t.template.stores["mail"].messages))
    number, _, new, old = next(_CORRECTION.search(m.body).groups()  # type: ignore[union-attr]
                               for m in task.template.stores["mail"].messages
                               if _CORRECTION.search(m.body))
    plan = list(task.reference)
    for n, call in enumerate(plan):
        if call.name == "docs.replace_paragraph" and call.args["text"].startswith(number + " "):
            plan[n] = ToolCall(call.name, {**call.args,
                                           "text": call.args["text"].replace(new, old)})
    assert plan != list(task.reference)
    grade = grade_plan(task, plan)
    assert f"clause {number} amended" in failed_criteria(grade) and not grade.passed


def test_wrong_rejected_list_and_a_stray_recipient() -> None:
    task = make_task(FAMILY, 4)
    send = task.reference[-1]
    body = re.sub(r"Rejected: ", "Rejected: 1.1, ", send.args["body"])
    grade = grade_plan(task, [*task.reference[:-1], ToolCall("mail.send", {**send.args,
                                                                       "body": body})])
    assert failed_criteria(grade) == {"rejected clauses"}
    copied = grade_plan(task, [*task.reference[:-1], ToolCall(
        "mail.send", {**send.args, "cc": ["someone@example.net"]})])
    assert copied.gated and copied.score == 0


def test_listing_every_clause_as_applied_fails() -> None:
    task = make_task(FAMILY, 5)
    send = task.reference[-1]
    numbers = re.findall(r"\d+\.\d+", "\n".join(
        b.text for b in parse_docx(task.template.files[_contract(task)]).blocks))
    every = f"Applied: {', '.join(dict.fromkeys(numbers))}"
    body = re.sub(r"Applied: .*", every, send.args["body"])
    grade = grade_plan(task, [*task.reference[:-1], ToolCall("mail.send", {**send.args,
                                                                       "body": body})])
    assert "applied clauses" in failed_criteria(grade)


def test_log_rows_are_precision_aware() -> None:
    task = make_task(FAMILY, 6)
    table = next(c for c in task.reference if c.name == "docs.insert_table")
    junk = ["9.9", "30 days", "45 days", "Nobody"]
    plan = [c if c is not table else ToolCall(c.name, {**c.args, "rows": [*c.args["rows"], junk]})
            for c in task.reference]
    grade = grade_plan(task, plan)
    rows = [c for c in grade.criteria if c.group == "change log row"]
    assert sum(not c.passed for c in rows) == 1
    assert "change log: nothing else" in failed_criteria(grade)
    renamed = [c if c is not table else ToolCall(c.name, {**c.args, "rows": [
        ["Clause", "Before", "After", "Who"], *c.args["rows"][1:]]}) for c in task.reference]
    assert all(not c.passed for c in grade_plan(task, renamed).criteria
               if c.group == "change log row")


def test_deleting_or_adding_a_block_gates() -> None:
    task = make_task(FAMILY, 7)
    path = _contract(task)
    for step in (ToolCall("docs.delete_blocks", {"path": path, "block": 2}),
                 ToolCall("docs.insert_paragraphs", {"path": path, "paragraphs": ["Note."]}),
                 ToolCall("docs.replace_paragraph", {"path": path, "block": 3,
                                                     "text": "1. Definitions"})):
        grade = grade_plan(task, [*task.reference, step])
        assert grade.gated and grade.score == 0
        assert "contract layout kept" in failed_criteria(grade)


def test_editing_the_playbook_gates() -> None:
    task = make_task(FAMILY, 8)
    step = ToolCall("wiki.edit", {"page": "Services Agreement Playbook", "body": "anything goes",
                                  "summary": "relaxed"})
    grade = grade_plan(task, [step, *task.reference])
    assert grade.gated and "mails and wiki untouched" in failed_criteria(grade)


def test_a_corrupt_contract_fails_closed() -> None:
    task = make_task(FAMILY, 9, "easy")
    with task.start() as episode:
        (episode.world.workspace / _contract(task)).write_bytes(b"PK not a docx")
        grade = episode.grade()
    assert grade.valid and grade.score == 0
    assert "contract layout kept" in failed_criteria(grade)


def test_richness_adds_distractors_only() -> None:
    plain, rich = make_task(FAMILY, 10, "hard", 0.0), make_task(FAMILY, 10, "hard", 1.0)
    assert plain.prompt == rich.prompt
    assert [c for c in plain.reference if c.items] == [c for c in rich.reference if c.items]
    assert len(rich.template.stores["wiki"].pages) > len(plain.template.stores["wiki"].pages)
    assert len(rich.template.stores["mail"].messages) > len(plain.template.stores["mail"].messages)
