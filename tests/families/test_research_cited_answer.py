"""research/cited-answer: the contract, and the wrong answers the grader must refuse."""

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
from workgym.core import Grade, Task, ToolCall, run_plan
from workgym.families.research.cited_answer import HEADER, CitedAnswer

FAMILY = "research/cited-answer-v1"


def _rows(task: Task) -> list[list[str]]:
    table = next(c for c in task.reference if c.name == "docs.insert_table")
    return [list(r) for r in table.args["rows"][1:]]


def _answers(task: Task) -> list[str]:
    return list(next(c for c in task.reference if c.name == "docs.insert_paragraphs")
                .args["paragraphs"])


def _plan(task: Task, rows: list[list[str]], answers: list[str] | None = None,
          ) -> list[ToolCall]:
    """The reference with the answer file's rows (and answer lines) replaced."""
    lines = _answers(task) if answers is None else answers
    plan = []
    for call in task.reference:
        if call.name == "docs.insert_table":
            call = replace(call, args={**call.args, "rows": [list(HEADER), *rows]})
        elif call.name == "docs.insert_paragraphs":
            call = replace(call, args={**call.args, "paragraphs": lines})
        plan.append(call)
    return plan


def _corpus(task: Task):
    return task.template.stores["search"].corpus


@pytest.mark.slow
def test_research_cited_answer_meets_the_contract() -> None:
    report = assert_meets_contract(CitedAnswer(), seeds=6)
    assert min(report.reference_calls["hard"]) >= 25


@pytest.mark.parametrize("variant", ["default", "markdown"])
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_reference_solves_every_level_and_variant(difficulty: str, variant: str) -> None:
    for seed in range(2):
        task = make_task(FAMILY, seed, difficulty, 1.0, variant)
        assert_reference_solves(task)
        assert len(task.reference) >= CitedAnswer.levels[difficulty].calls


def test_richness_adds_documents_but_keeps_questions_and_supports() -> None:
    plain, rich = make_task(FAMILY, 4, "hard", 0.0), make_task(FAMILY, 4, "hard", 1.0)
    assert plain.prompt == rich.prompt and _rows(plain) == _rows(rich)
    assert [c.name for c in plain.criteria] == [c.name for c in rich.criteria]
    small, large = _corpus(plain), _corpus(rich)
    assert len(large) > 1.5 * len(small)
    # the core's documents keep their ids and text; the extras only add
    assert all(large.get(d.id) == d for d in small.documents)
    assert len(rich.template.files) > len(plain.template.files)


def test_a_missing_fact_costs_its_fact_and_its_citation() -> None:
    task = make_task(FAMILY, 1)
    rows = _rows(task)
    grade = grade_plan(task, _plan(task, rows[:-1]))
    assert 0 < grade.score < 1 and not grade.passed and not grade.gated
    missing = {n for n in unmet_criteria(grade) if n.startswith(("fact ", "citation "))}
    assert len(missing) == 2 and all(n.endswith(rows[-1][1] + " " + n.rsplit(" ", 1)[1])
                                     for n in missing)


def _draw(task: Task):
    return CitedAnswer().draw(task.spec)


def _seed_with(difficulty: str, test) -> Task:
    return next(t for t in (make_task(FAMILY, s, difficulty) for s in range(30)) if test(t))


def test_citing_an_outdated_document_fails_that_citation_only() -> None:
    task = make_task(FAMILY, 2, "hard")
    facts = _draw(task).facts
    target = next(n for n, f in enumerate(facts) if f.hop.outdated)
    rows = _rows(task)
    rows[target][3] += f", {facts[target].hop.outdated[0]}"
    grade = grade_plan(task, _plan(task, rows))
    _only_citations_fail(grade, facts[target].label)
    assert 0.8 < grade.score < 1


def _only_citations_fail(grade: Grade, label: str) -> None:
    """The citation of ``label`` fails, and (precision-aware) its wrong row cancels the
    credit of one more citation; every fact and answer stands."""
    failed = unmet_criteria(grade)
    cited = {n for n in failed if n.startswith("citation ")}
    assert f"citation {label}" in cited and len(cited) <= 2
    assert failed - cited == {"every row supported"}


def test_the_outdated_value_fails_its_fact_and_what_follows() -> None:
    task = make_task(FAMILY, 3, "medium")
    draw = _draw(task)
    target = next(n for n, f in enumerate(draw.facts) if f.hop.outdated)
    fact = draw.facts[target]
    old = draw.corpus.history(fact.hop.subject_id, fact.hop.relation)[0]
    rows = _rows(task)
    rows[target][2:] = [draw.corpus.display(old.value), fact.hop.outdated[-1]]
    grade = grade_plan(task, _plan(task, rows))
    assert {f"fact {fact.label}", f"citation {fact.label}"} <= unmet_criteria(grade)
    assert not grade.passed


def test_a_barred_source_is_no_support() -> None:
    def barred_support(t: Task) -> bool:
        d = _draw(t)
        return any(set(f.hop.documents) - f.allowed for f in d.facts)

    task = _seed_with("medium", barred_support)
    draw = _draw(task)
    target = next(n for n, f in enumerate(draw.facts) if set(f.hop.documents) - f.allowed)
    fact = draw.facts[target]
    barred = min(set(fact.hop.documents) - fact.allowed)
    assert _corpus(task).get(barred).source == draw.barred
    for cell in (barred, f"{_rows(task)[target][3]}, {barred}"):
        rows = _rows(task)
        rows[target][3] = cell
        _only_citations_fail(grade_plan(task, _plan(task, rows)), fact.label)


def test_citing_everything_found_earns_no_citation() -> None:
    task = make_task(FAMILY, 5, "hard")
    corpus = _corpus(task)
    rows = _rows(task)
    with task.start() as episode:
        for row in rows:
            found = episode.call("search.search", {"query": row[1], "limit": 50}).value
            row[3] = ", ".join(r["id"] for r in found["results"])
    grade = grade_plan(task, _plan(task, rows))
    assert not any(c.passed for c in grade.criteria if c.name.startswith("citation "))
    assert all(c.passed for c in grade.criteria if c.name.startswith(("fact ", "answer ")))
    assert grade.score < 0.7 and len(corpus) > 500


def test_extra_and_repeated_rows_cost_credit() -> None:
    task = make_task(FAMILY, 6)
    rows = _rows(task)
    base = grade_plan(task, _plan(task, rows[:-1]))
    junk = [rows[0][0], "Nobody In Particular", rows[0][2], rows[0][3]]
    one = grade_plan(task, _plan(task, [*rows[:-1], junk]))
    facts = [c for c in one.criteria if c.name.startswith("fact ")]
    assert sum(c.passed for c in facts) == sum(
        c.passed for c in base.criteria if c.name.startswith("fact ")) - 1
    doubled = grade_plan(task, _plan(task, [*rows, rows[0]]))
    assert not doubled.passed and 0 < doubled.score < 1
    # a row per candidate for every subject never pays
    many = [[r[0], r[1], v, r[3]] for r in rows for v in {x[2] for x in rows}]
    assert grade_plan(task, _plan(task, many)).score < 0.5


def test_answer_lines_are_checked_each_once() -> None:
    task = make_task(FAMILY, 7)
    lines = _answers(task)
    repeated = grade_plan(task, _plan(task, _rows(task), [*lines, lines[0]]))
    assert unmet_criteria(repeated) == {"answer 1"}
    wrong = grade_plan(task, _plan(task, _rows(task), [lines[0] + "x", *lines[1:]]))
    assert unmet_criteria(wrong) == {"answer 1", "answer 2"}  # one wrong line cancels one more
    # answers without the table still earn their own credit
    plan = [c for c in task.reference if c.name != "docs.insert_table"]
    alone = grade_plan(task, plan)
    assert not unmet_criteria(alone) & {"answer 1", "answer 2"} and 0 < alone.score < 0.5
    assert "no table headed" in next(c.evidence for c in alone.criteria
                                     if c.name.startswith("fact "))


def test_cells_are_compared_leniently_but_ids_exactly() -> None:
    task = make_task(FAMILY, 8, "hard")
    rows = _rows(task)
    loose = [[f" {r[0]} ", r[1].upper(), f"{int(r[2]):,}" if r[2].isdigit() else r[2],
              f"[{r[3]}]"] for r in rows]
    assert grade_plan(task, _plan(task, loose)).passed
    unknown = [list(r) for r in rows]
    unknown[0][3] = unknown[0][3][:-1] + ("0" if unknown[0][3][-1] != "0" else "1")
    assert not grade_plan(task, _plan(task, unknown)).passed
    empty = [list(r) for r in rows]
    empty[0][3] = ""
    assert not grade_plan(task, _plan(task, empty)).passed


def test_markdown_tables_are_read_after_their_header_only() -> None:
    task = make_task(FAMILY, 9, "medium", variant="markdown")
    write = next(c for c in task.reference if c.name == "docs.replace_section")
    text = write.args["content"]
    assert grade_plan(task, list(task.reference)).passed
    stray = text.replace("| Question |", "| 1 | Nobody | x | art-000000 |\n\n| Question |", 1)
    plan = [replace(c, args={**c.args, "content": stray}) if c is write else c
            for c in task.reference]
    assert grade_plan(task, plan).passed
    bad = text.replace("| Question |", "| Query |", 1)
    plan = [replace(c, args={**c.args, "content": bad}) if c is write else c
            for c in task.reference]
    grade = grade_plan(task, plan)
    assert all(not c.passed for c in grade.criteria if c.name.startswith(("fact", "citation")))


def test_inputs_are_guarded_and_bad_files_fail_closed() -> None:
    task = make_task(FAMILY, 10)
    with run_plan(task) as episode:
        assert episode.grade().passed
        episode.call("files.write", {"path": "research/source-policy.txt", "content": "x"})
        assert episode.grade().gated
    for content in (b"not a zip", b"PK\x03\x04" + b"\0" * 100):
        with run_plan(task) as episode:
            (episode.world.workspace / "research/answer.docx").write_bytes(content)
            grade = episode.grade()
        assert grade.valid and grade.score == 0


@pytest.mark.parametrize("variant", ["default", "markdown"])
def test_the_shipped_attacks_earn_nothing(variant: str) -> None:
    for level in ("easy", "hard"):
        task = make_task(FAMILY, 11, level, variant=variant)
        for name, attack in ADVERSARIES.items():
            grade = attack(task, 0)
            assert grade.valid and grade.score == 0, (name, level, unmet_criteria(grade))
