import pytest
from eval_synthetic import make_trace
from test_eval_process import call, with_calls

from workgym.core import CriterionResult, Grade
from workgym.eval import attribute, criterion_moves, criterion_stats, failure_class, first_failed


def graded(family, seed, results, calls=(), sample=0, closure=None, answer="Done."):
    """A trace whose grade holds ``results``: (name, group, passed, guard) tuples."""
    criteria = [CriterionResult(name=n, group=g, kind="state", weight=1.0, guard=guard,
                                passed=p, evidence=f"{n} evidence") for n, g, p, guard in results]
    trace = make_trace(family, seed, sample)
    trace = trace.model_copy(update={"grade": Grade(criteria=criteria)})
    return with_calls(trace, list(calls), answer=answer, closure=closure)


READ = call("files.read", {"path": "a"})


def test_first_failed_and_failure_classes():
    rows = [("line a", "line", True, False), ("line b", "line", False, False),
            ("total", "total", False, False), ("untouched", "untouched", True, True)]
    t = graded("office/a", 0, rows, [READ])
    assert first_failed(t).name == "line b"
    assert failure_class(t) == "wrong outcome"
    assert failure_class(graded("office/a", 0, rows)) == "no tool calls"
    gated = graded("office/a", 0, [*rows[:3], ("untouched", "untouched", False, True)], [READ])
    assert failure_class(gated) == "guard failed"
    cut = graded("office/a", 0, rows, [READ], answer=None)
    assert failure_class(cut) == "truncated"
    bad = call("files.write", {"x": 1}, ok=False, error="invalid_args", output="error: bad")
    assert failure_class(graded("office/a", 0, rows, [READ, bad])) == "parameter error"
    fixed = [READ, bad, call("files.write", {"path": "a", "content": "b"})]
    assert failure_class(graded("office/a", 0, rows, fixed)) == "wrong outcome"
    ghost = call("files.grep", ok=False, error="unknown_tool", output="error: unknown tool")
    assert failure_class(graded("office/a", 0, rows, [ghost])) == "unknown tool"
    assert failure_class(graded("office/a", 0, rows, [READ], closure=False)) == "no closure"
    assert first_failed(graded("office/a", 0, rows[:1], [READ])) is None


def test_attribution_ranks_criteria_and_families():
    ok = [("line a", "line", True, False), ("line b", "line", True, False),
          ("total", "total", True, False)]
    one_line = [("line a", "line", False, False), ("line b", "line", True, False),
                ("total", "total", True, False)]
    both = [("line a", "line", False, False), ("line b", "line", False, False),
            ("total", "total", False, False)]
    traces = [
        graded("office/a", 0, ok, [READ]),
        graded("office/a", 1, one_line, [READ]),
        graded("office/a", 2, both, [READ], closure=False),
        graded("office/a", 3, both),
        graded("finance/b", 0, [("sum", "sum", False, False)], [READ]),
        graded("finance/b", 1, [("sum", "sum", True, False)], [READ]),
        make_trace("finance/b", 2, 0, error="endpoint down"),
    ]
    a = attribute(traces)
    assert (a.graded, a.failed, a.errors) == (6, 4, 1)
    assert a.classes == {"no closure": 1, "no tool calls": 1, "wrong outcome": 2}
    assert [f.family for f in a.families] == ["office/a", "finance/b"]
    office = a.families[0]
    assert (office.traces, office.failed, office.failure_rate, office.top_criterion) == (
        4, 3, 0.75, "line")
    assert a.families[1].errors == 1
    top = a.criteria[0]
    assert (top.family, top.group, top.traces, top.failed_traces) == ("office/a", "line", 4, 3)
    assert (top.items, top.items_passed, top.pass_rate) == (8, 3, pytest.approx(3 / 8))
    assert top.first_failed == 3
    total = next(c for c in a.criteria if c.group == "total")
    assert (total.failed_traces, total.first_failed) == (2, 0)
    assert a.first_failed == {"office/a: line": 3, "finance/b: sum": 1}
    failed = {(f.family, f.seed): f for f in a.failed_traces}
    assert failed[("office/a", 1)].first_failed == "line a"
    assert failed[("office/a", 1)].evidence == "line a evidence"
    assert failed[("office/a", 3)].failure_class == "no tool calls"

    # at threshold 0.5 the trace with two of three criteria met succeeds
    loose = attribute(traces, threshold=0.5)
    assert loose.failed == 3 and ("office/a", 1) not in {(f.family, f.seed)
                                                          for f in loose.failed_traces}
    assert criterion_stats(traces, 0.5)[0].first_failed == 2
    with pytest.raises(ValueError, match="one ProcessStats per trace"):
        attribute(traces, stats=[])


def test_criterion_moves_rank_the_largest_change_first():
    def rows(a, b):
        return [("a", "a", a, False), ("b", "b", b, False)]

    before = [graded("office/a", i, rows(True, i % 2 == 0), [READ]) for i in range(4)]
    after = [graded("office/a", i, rows(i == 0, i % 2 == 0), [READ]) for i in range(4)]
    moves = criterion_moves(before, after)
    assert [(m.group, m.failure_rate_a, m.failure_rate_b) for m in moves] == [
        ("a", 0.0, 0.75), ("b", 0.5, 0.5)]
    assert moves[0].delta == pytest.approx(0.75)
