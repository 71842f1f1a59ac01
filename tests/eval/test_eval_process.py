import math

import pytest
from eval_synthetic import make_trace

from workgym.core import CallRecord, TraceStats
from workgym.eval import (
    BUILTIN_PROCESS_CRITERIA,
    ProcessCriterion,
    evaluate_process,
    process_reward,
    process_stats,
    register_process_criterion,
    summarize_process,
)
from workgym.eval._process import _REGISTERED, call_key, find_loops, identical_runs


def call(name, args=None, ok=True, error=None, output="ok", duration=0.001):
    return CallRecord(name=name, args=args or {}, ok=ok, output=output, error=error,
                      duration_s=duration)


def with_calls(trace, calls, answer="Done.", closure=None, turns=None):
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "task"}]
    for i, c in enumerate(calls):
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{i}", "type": "function",
             "function": {"name": c.name.replace(".", "_"), "arguments": "{}"}}]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": c.output})
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    stats = TraceStats(turns=turns if turns is not None else len(calls) + (answer is not None),
                       tool_calls=len(calls), closure=closure)
    stop = "answer" if answer is not None else "max_turns"
    return trace.model_copy(update={"calls": calls, "messages": messages, "stats": stats,
                                    "stop_reason": stop, "truncated": answer is None,
                                    "duration_s": 2.0})


def test_identical_runs_and_loops():
    a, b, c = "a", "b", "c"
    assert identical_runs([]) == 0 and identical_runs([a, b, a]) == 1
    assert identical_runs([a, a, a, b, b]) == 3
    assert find_loops([a, b, a, b, a, b]) == (1, 4)  # the block A B, repeated twice more
    assert find_loops([a, b, c, a, b, c]) == (1, 3)
    assert find_loops([a, a, a, a]) == (0, 0)  # identical calls are not a loop
    assert find_loops([a, b, c, d := "d", a, b]) == (0, 0)
    assert find_loops([a, b, a, b, c, d, c, d]) == (2, 4)
    # the same call with the same arguments in another key order is identical
    assert call_key("x", {"p": 1, "q": 2}) == call_key("x", {"q": 2, "p": 1})
    assert call_key("x", {"p": 1}) != call_key("x", {"p": 2})


def test_process_stats_of_a_trace_with_every_problem():
    calls = [
        call("files.grep", ok=False, error="unknown_tool", output="error: unknown tool"),
        call("files.read", {"path": "a"}),
        call("files.read", {"path": "a"}),
        call("files.read", {"path": "a"}),
        call("calendar.update_event", {"event_id": "ev9"}, ok=False, error="tool_error",
             output="error: no event with id 'ev9'"),
        call("files.write", {"x": 1}, ok=False, error="invalid_args",
             output="error: invalid arguments for files.write: unknown argument 'x'"),
        call("files.write", {"path": "out.txt", "content": "x"}),
        call("mail.send", ok=False, error="tool_error", output="error: the mailbox is full"),
    ]
    trace = with_calls(make_trace("office/a", 0, 0, (True, False)), calls,
                       answer="All done, the report is written.", closure=False)
    s = process_stats(trace)
    assert (s.calls, s.repeated_calls, s.max_identical_run) == (8, 2, 3)
    assert (s.unknown_tools, s.invalid_arguments, s.unknown_ids, s.parameter_errors) == (1, 1, 1, 2)
    # recovered: the unknown tool (a call succeeded after it), files.write; not: the
    # update of an unknown event and the full mailbox (nothing of theirs succeeded later)
    assert (s.tool_errors, s.recovered_errors, s.unrecovered_errors) == (4, 2, 2)
    assert s.unrecovered_kinds == {"parameter": 1, "tool": 1}
    assert s.exploration_without_closure is True
    assert s.answered and s.claimed_unfinished is True
    assert s.seconds_per_turn == pytest.approx(2.0 / 9)
    assert set(s.flags()) >= {"identical run", "repeated calls", "unknown tool", "no closure",
                              "parameter error", "unrecovered error", "claimed unfinished"}


def test_claims_need_a_final_message_and_a_failure():
    failing = make_trace("office/a", 0, 0, (False,))
    assert process_stats(with_calls(failing, [call("files.read")], "I could not finish: the "
                                    "file is missing.")).claimed_unfinished is False
    assert process_stats(with_calls(failing, [call("files.read")], None)).claimed_unfinished is None
    passing = make_trace("office/a", 0, 0, (True,))
    assert process_stats(with_calls(passing, [call("files.read")])).claimed_unfinished is False
    no_turns = process_stats(make_trace("office/a", 0, 0))
    assert math.isnan(no_turns.tokens_per_turn) and no_turns.exploration_without_closure is None


def test_builtin_process_criteria_report_without_reward():
    trace = with_calls(make_trace("office/a", 0, 0, (True, True)),
                       [call("files.read", {"p": 1})] * 3)
    results = {r.name: r for r in evaluate_process(trace, BUILTIN_PROCESS_CRITERIA)}
    assert results["no three identical calls in a row"].passed is False
    assert results["no loops"].passed is True
    assert results["tool errors recovered"].passed is None  # no tool error: does not apply
    assert results["no unfinished claim"].passed is True
    # weight 0: the failed process criterion costs nothing
    assert process_reward(trace, "dense") == 1.0 == trace.grade.reward("dense")


def test_a_weighted_process_criterion_only_takes_reward_away():
    strict = ProcessCriterion("at most two calls", lambda t, s: (s.calls <= 2, f"{s.calls} calls"),
                              weight=0.25)
    good = with_calls(make_trace("office/a", 0, 0, (True, True)), [call("files.read")])
    busy = with_calls(make_trace("office/a", 0, 0, (True, True)),
                      [call("files.read", {"p": i}) for i in range(3)])
    nothing = with_calls(make_trace("office/a", 0, 0, (False, False)),
                         [call("files.read", {"p": i}) for i in range(3)])
    assert process_reward(good, "dense", evaluate_process(good, [strict])) == 1.0
    assert process_reward(busy, "dense", evaluate_process(busy, [strict])) == 0.75
    assert process_reward(busy, "binary", evaluate_process(busy, [strict])) == 0.75
    assert process_reward(nothing, "dense", evaluate_process(nothing, [strict])) == 0.0
    assert process_reward(make_trace("office/a", 0, 0, error="down")) is None
    with pytest.raises(ValueError, match="weight must be in"):
        ProcessCriterion("bad", strict.check, weight=1.5)


def test_registered_process_criteria_apply_to_every_trace():
    crit = ProcessCriterion("uses mail", lambda t, s: (any(c.name.startswith("mail.")
                                                           for c in t.calls), "mail calls"))
    register_process_criterion(crit)
    try:
        traces = [with_calls(make_trace("office/a", i, 0), [call(name)])
                  for i, name in enumerate(("mail.read", "files.read", "mail.send"))]
        summary = summarize_process(traces)
        row = next(c for c in summary.criteria if c.name == "uses mail")
        assert (row.passed, row.failed, row.pass_rate) == (2, 1, pytest.approx(2 / 3))
        with pytest.raises(ValueError, match="built-in"):
            register_process_criterion(ProcessCriterion("no loops", crit.check))
    finally:
        _REGISTERED.pop("uses mail")


def test_summary_counts_graded_traces_only():
    ok = with_calls(make_trace("office/a", 0, 0, (True,)),
                    [call("files.read", ok=False, error="tool_error", output="error: x"),
                     call("files.read")])
    broken = make_trace("office/a", 1, 0, error="endpoint down")
    s = summarize_process([ok, broken])
    assert s.traces == 1 and s.tool_errors == 1 and s.recovery_rate == 1.0
    assert s.tool_time_share == pytest.approx(0.002 / 2.0)
