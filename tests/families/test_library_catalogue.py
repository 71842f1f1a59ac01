import workgym
from workgym.core import run_plan

FAMILY = "office/library-catalogue-v1"


def _required(task):
    return [c.name.removeprefix("line: ") for c in task.criteria if c.name.startswith("line: ")]


def _write(task, lines):
    ep = task.start()
    ep.call("files.write", {"path": "updates.txt", "content": "\n".join(lines) + "\n"})
    return ep


def test_partial_answer_earns_partial_dense_credit():
    task = workgym.make(FAMILY, seed=4, difficulty="medium")
    required = _required(task)
    with _write(task, required[: len(required) // 2]) as ep:
        grade = ep.grade()
    assert 0 < grade.score < 1 and grade.reward("binary") == 0.0
    assert grade.reward("dense") == grade.score


def test_listing_every_candidate_earns_nothing_for_lines():
    task = workgym.make(FAMILY, seed=5, difficulty="hard")
    required = _required(task)
    # Every title that appears anywhere, as ADD, plus every catalogue id, as DELETE.
    with task.start() as ep:
        catalogue = ep.call("sheets.read_range", {"path": "catalogue.xlsx", "sheet": "Catalogue"}).value
    deletes = [f"DELETE | {r['values'][0]} | {r['values'][1]}" for r in catalogue["rows"][1:]]
    with _write(task, required + deletes) as ep:
        grade = ep.grade()
    lines = [c for c in grade.criteria if c.group == "required line"]
    assert sum(c.passed for c in lines) == 0
    assert grade.score < 0.2


def test_wrong_order_fails_only_the_order_criterion():
    task = workgym.make(FAMILY, seed=6, difficulty="medium")
    with _write(task, list(reversed(_required(task)))) as ep:
        grade = ep.grade()
    failed = [c.name for c in grade.criteria if not c.passed]
    assert failed == ["order"]


def test_touching_the_catalogue_zeroes_the_score():
    task = workgym.make(FAMILY, seed=7, difficulty="easy")
    with run_plan(task) as ep:
        assert ep.grade().score == 1.0
        ep.call("sheets.write_cells", {"path": "catalogue.xlsx", "sheet": "Catalogue",
                                       "cells": {"F2": 9}})
        grade = ep.grade()
    assert grade.gated and grade.score == 0.0


def test_richness_adds_distractors_without_changing_the_answer():
    plain = workgym.make(FAMILY, seed=8, difficulty="hard", richness=0.0)
    rich = workgym.make(FAMILY, seed=8, difficulty="hard", richness=1.0)
    assert _required(plain) == _required(rich)
    assert len(rich.template.files) > len(plain.template.files)
    assert len(rich.template.stores["mail"].messages) > len(plain.template.stores["mail"].messages)


def test_junk_lines_in_the_right_shape_earn_neither_form_nor_order():
    """Issue 10, lenient case: "well-formed" and "order" passed on made-up lines."""
    task = workgym.make(FAMILY, seed=9, difficulty="medium")
    junk = ["ADD | A Made Up Title | Nobody | 1999", "ADD | Another One | Someone | 2001",
            "DELETE | B-0001 | Nothing"]
    with _write(task, junk) as ep:
        grade = ep.grade()
    results = {c.name: c.passed for c in grade.criteria}
    assert results["updates.txt well-formed"] is False and results["order"] is False
    assert grade.score == 0.0


def test_a_line_written_twice_fails_binary_and_costs_one_item():
    task = workgym.make(FAMILY, seed=10, difficulty="medium")
    required = _required(task)
    with _write(task, [*required, required[0]]) as ep:
        grade = ep.grade()
    failed = [c.name for c in grade.criteria if not c.passed]
    assert not grade.passed and f"line: {required[0]}" in failed
    assert "no wrong lines" in failed and "order" in failed
    assert sum(c.passed for c in grade.criteria if c.group == "required line") == len(required) - 1


def test_a_file_added_under_reports_gates():
    task = workgym.make(FAMILY, seed=11, difficulty="easy")
    with run_plan(task) as ep:
        ep.call("files.write", {"path": "reports/damage/extra.csv", "content": "x\n"})
        grade = ep.grade()
    assert grade.gated and grade.score == 0.0
