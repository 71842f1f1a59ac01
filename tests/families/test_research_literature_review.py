"""research/literature-review: the contract, and the wrong answers the grader must refuse."""

from dataclasses import replace

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    grade_plan,
    make_task,
    unmet_criteria,
)

from workgym.agent.adversarial import ADVERSARIES
from workgym.core import Task, ToolCall, run_plan
from workgym.families.research.literature_review import BOOK, SHEET, LiteratureReview

FAMILY = "research/literature-review-v1"


def _rows(task: Task) -> list[list]:
    return [list(r) for r in next(c for c in task.reference
                                  if c.name == "sheets.append_rows").args["rows"]]


def _entries(task: Task) -> list[str]:
    return list(next(c for c in task.reference
                     if c.name == "docs.insert_paragraphs").args["paragraphs"])


def _plan(task: Task, rows: list[list] | None = None, entries: list[str] | None = None,
          ) -> list[ToolCall]:
    plan = []
    for call in task.reference:
        if call.name == "sheets.append_rows" and rows is not None:
            call = replace(call, args={**call.args, "rows": rows})
        elif call.name == "docs.insert_paragraphs" and entries is not None:
            call = replace(call, args={**call.args, "paragraphs": entries})
        plan.append(call)
    return plan


@pytest.mark.slow
def test_research_literature_review_meets_the_contract() -> None:
    report = assert_meets_contract(LiteratureReview(), seeds=6)
    assert min(report.reference_calls["hard"]) >= 25


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_reference_solves_every_level(difficulty: str) -> None:
    for seed in range(3):
        for richness in (0.0, 1.0):
            assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))


def test_richness_adds_pdfs_and_a_log_but_keeps_the_review() -> None:
    plain, rich = make_task(FAMILY, 4, "hard", 0.0), make_task(FAMILY, 4, "hard", 1.0)
    assert plain.prompt == rich.prompt
    assert _rows(plain) == _rows(rich) and _entries(plain) == _entries(rich)
    pdfs = [p for p in rich.template.files if p.endswith(".pdf")]
    assert {p for p in plain.template.files if p.endswith(".pdf")} < set(pdfs)
    with rich.start() as episode:
        sheets = episode.call("sheets.list_sheets", {"path": BOOK}).value
    assert [s["name"] for s in sheets] == [SHEET, "Reading log"]


def test_both_styles_are_posed() -> None:
    prompts = [make_task(FAMILY, seed).prompt for seed in range(12)]
    assert any("APA style" in p for p in prompts) and any("IEEE style" in p for p in prompts)


def test_a_missing_paper_costs_its_row_and_its_entry() -> None:
    task = make_task(FAMILY, 1)
    grade = grade_plan(task, _plan(task, _rows(task)[1:], _entries(task)))
    assert 0 < grade.score < 1 and not grade.passed and not grade.gated
    assert unmet_criteria(grade) == {f"row: {_rows(task)[0][0]}", "sheet lists exactly the papers"}


def test_papers_outside_the_years_or_topic_cost_credit() -> None:
    task = make_task(FAMILY, 2, "medium")
    title = _rows(task)[0][0]
    with task.start() as episode:
        search = next(c for c in task.reference if c.name == "search.search")
        found = episode.call(search.name, dict(search.args)).value["results"]
    listed = {r[0] for r in _rows(task)}
    older = [r for r in found if r["title"] not in listed]
    assert older, "the year bound leaves some paper on the topic out"
    extra = [[r["title"], "; ".join(r["authors"]), r["source"], int(r["date"][:4]), "x"]
             for r in older]
    grade = grade_plan(task, _plan(task, [*_rows(task), *extra]))
    rows = [c for c in grade.criteria if c.name.startswith("row: ")]
    assert sum(not c.passed for c in rows) == min(len(extra), len(rows))
    assert "sheet lists exactly the papers" in unmet_criteria(grade) and title


def test_each_field_of_a_row_is_checked() -> None:
    task = make_task(FAMILY, 3, "hard")
    for column, value in ((1, lambda v: "; ".join(reversed(v.split("; "))) if ";" in v
                           else v + "; Someone Else"),
                          (2, lambda v: v + " Letters"), (3, lambda v: v + 1),
                          (4, lambda v: "difference-in-differences" if v != (
                              "difference-in-differences") else "remote sensing")):
        rows = _rows(task)
        rows[0][column] = value(rows[0][column])
        grade = grade_plan(task, _plan(task, rows))
        assert not grade.passed, column
        assert "sheet lists exactly the papers" in unmet_criteria(grade), column
    loose = [[f"  {r[0].upper()} ", r[1].replace("; ", ";"), r[2], str(r[3]), r[4].title()]
             for r in _rows(task)]
    assert grade_plan(task, _plan(task, loose)).passed


def test_entries_are_exact_and_ordered() -> None:
    task = make_task(FAMILY, 5, "hard")
    entries = _entries(task)
    swapped = [entries[1], entries[0], *entries[2:]]
    assert unmet_criteria(grade_plan(task, _plan(task, entries=swapped))) == {"entries in order"}
    dashes = [e.replace("-", "–", 1) for e in entries]
    assert grade_plan(task, _plan(task, entries=dashes)).passed
    wrong_doi = [*entries[:-1], entries[-1].rstrip(".")[:-1] + "0."]
    assert not grade_plan(task, _plan(task, entries=wrong_doi)).passed
    doubled = grade_plan(task, _plan(task, entries=[*entries, entries[0]]))
    assert not doubled.passed and 0 < doubled.score < 1


def test_a_doi_from_the_reference_list_is_wrong() -> None:
    task = make_task(FAMILY, 6)
    pdf = next(c for c in task.reference if c.name == "pdf.read_pages")
    with task.start() as episode:
        text = episode.call(pdf.name, dict(pdf.args)).value["entries"][0]["text"]
    cited = text.split("References", 1)[1]
    other = cited.split("doi:", 1)[1].split()[0]
    entries = _entries(task)
    hit = next(n for n, e in enumerate(entries) if pdf.args["path"] and "doi" in e.lower())
    own = entries[hit].split("10.", 1)[1].rstrip(".")
    entries[hit] = entries[hit].replace("10." + own, other)
    assert not grade_plan(task, _plan(task, entries=entries)).passed


def test_inputs_are_guarded_and_bad_cells_fail_closed() -> None:
    task = make_task(FAMILY, 7, "easy", 1.0)
    pdf = next(p for p in task.template.files if p.endswith(".pdf"))
    with run_plan(task) as episode:
        assert episode.grade().passed
        episode.call("files.delete", {"path": pdf})
        assert episode.grade().gated
    with run_plan(task) as episode:
        episode.call("sheets.write_cells", {"path": BOOK, "sheet": "Reading log",
                                            "cells": {"B2": "done"}})
        assert episode.grade().gated
    rows = _rows(task)
    for bad in (1e308, "9" * 5000, "NaN", -1):
        rows[0][3] = bad
        grade = grade_plan(task, _plan(task, rows))
        assert grade.valid and not grade.passed, bad


def test_the_shipped_attacks_earn_nothing() -> None:
    for level in ("easy", "hard"):
        task = make_task(FAMILY, 11, level)
        for name, attack in ADVERSARIES.items():
            grade = attack(task, 0)
            assert grade.valid and grade.score == 0, (name, level, unmet_criteria(grade))
