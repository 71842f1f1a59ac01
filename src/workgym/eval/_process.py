"""Process statistics: how a rollout went about its task, beyond whether it succeeded.

Per trace (:func:`process_stats`): repeated identical calls, loops (a short sequence of
calls repeated back to back), exploration without closure, tool-selection errors,
parameter errors, claimed-but-unfinished answers, tool errors recovered from or not, and
tokens and wall time per turn. Over a run (:func:`summarize_process`): the same, counted.

Process criteria (:class:`ProcessCriterion`) are optional checks over a trace, such as
"no three identical calls in a row". They are reported next to the grade and earn no
reward: a criterion given a ``weight`` only takes reward away when it fails (see
:func:`process_reward`), so a process criterion can never make a failing rollout pay.
"""

from __future__ import annotations

import functools
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from workgym.core import RewardScheme, Trace
from workgym.eval._metrics import Number, is_error

LOOP_LENGTHS = (2, 3, 4)
"""Lengths of the call sequences that count as a loop when repeated back to back."""

_UNKNOWN_ID = re.compile(
    r"\b(no \w+ (with|named|called) (id|name)?|unknown (id|room|event|mail|message|sheet|file|"
    r"folder|calendar|attendee|user|account|record|row|column|item)|does not exist|not found|"
    r"no such)\b", re.IGNORECASE)
"""Tool error texts that say an id or a name the model gave does not exist."""

_ADMITS_FAILURE = re.compile(
    r"\b(can ?not|can't|could ?not|couldn't|unable|not able|failed|fail to|did not|didn't|"
    r"was not able|wasn't able|not possible|impossible|sorry|unfortunately|not (yet )?(been )?"
    r"(done|complete|completed|finished))\b", re.IGNORECASE)
"""A final message that says the task was not done does not claim completion."""


class ProcessStats(BaseModel):
    """Process statistics of one trace."""

    model_config = ConfigDict(frozen=True)

    calls: int
    """Tool calls in the call log."""
    repeated_calls: int
    """Calls identical (same tool, same arguments) to an earlier call of the trace."""
    max_identical_run: int
    """Longest run of identical calls one after another (1 when no call repeats at once)."""
    loops: int
    """Short call sequences (2 to 4 calls) repeated back to back, e.g. A B A B."""
    loop_calls: int
    """Calls spent repeating those sequences."""
    exploration_without_closure: bool | None
    """Tool calls made but the task's required artifacts were never written; None when
    the task names no artifact."""
    unknown_tools: int
    """Tool-selection errors: calls of tools that do not exist."""
    invalid_arguments: int
    """Calls with arguments that were not JSON or that the tool's schema rejected."""
    unknown_ids: int
    """Tool errors saying that an id or name the model gave does not exist."""
    parameter_errors: int
    """``invalid_arguments + unknown_ids``."""
    tool_errors: int
    """Failed calls of every kind."""
    recovered_errors: int
    """Failed calls followed later by a successful call of the same tool (of any tool,
    for an unknown tool or unparseable arguments)."""
    unrecovered_errors: int
    unrecovered_kinds: dict[str, int]
    """Unrecovered failed calls by kind: ``unknown_tool``, ``parameter`` (invalid
    arguments or an unknown id) or ``tool`` (any other tool error)."""
    answered: bool
    """The rollout ended with a final message."""
    claimed_unfinished: bool | None
    """The final message claims completion (it does not say the task failed) while an
    outcome criterion failed; None without a final message or a grade."""
    tokens_per_turn: Number
    """Prompt plus completion tokens per assistant turn (NaN without turns)."""
    seconds_per_turn: Number
    """Wall time of the rollout per assistant turn."""
    tool_seconds: float
    """Time spent inside tools."""

    def flags(self) -> list[str]:
        """Short names of the process problems this trace shows (for filters)."""
        out = []
        if self.max_identical_run >= 3:
            out.append("identical run")
        if self.repeated_calls:
            out.append("repeated calls")
        if self.loops:
            out.append("loop")
        if self.exploration_without_closure:
            out.append("no closure")
        if self.unknown_tools:
            out.append("unknown tool")
        if self.parameter_errors:
            out.append("parameter error")
        if self.unrecovered_errors:
            out.append("unrecovered error")
        if self.claimed_unfinished:
            out.append("claimed unfinished")
        return out


def call_key(name: str, args: Any) -> str:
    """A canonical text for a call: its tool and its arguments with sorted keys."""
    try:
        text = json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # keys of mixed types: fall back to the raw text
        text = repr(args)
    return f"{name}\x00{text}"


def identical_runs(keys: Sequence[str]) -> int:
    """The longest run of equal consecutive keys (0 for no keys)."""
    best = run = 0
    for i, key in enumerate(keys):
        run = run + 1 if i and key == keys[i - 1] else 1
        best = max(best, run)
    return best


def find_loops(keys: Sequence[str], lengths: Sequence[int] = LOOP_LENGTHS) -> tuple[int, int]:
    """Loops in a call sequence: a block of 2 to 4 calls, not all identical, that is
    repeated right after itself.

    Returns:
        ``(loops, calls spent repeating)``: ``A B A B A B`` is one loop of 4 repeated calls.
    """
    loops = repeated = 0
    i = 0
    n = len(keys)
    while i < n:
        for size in lengths:
            block = keys[i:i + size]
            if len(block) < size or len(set(block)) == 1:
                continue
            times = 1
            while keys[i + times * size:i + (times + 1) * size] == block:
                times += 1
            if times > 1:
                loops += 1
                repeated += (times - 1) * size
                i += times * size - 1  # resume after the loop
                break
        i += 1
    return loops, repeated


def final_message(trace: Trace) -> str | None:
    """The text of the rollout's final answer, or None when it ended without one."""
    if trace.stop_reason != "answer" or trace.truncated:
        return None
    for message in reversed(trace.messages):
        if message.get("role") == "assistant":
            if message.get("tool_calls"):
                return None
            content = message.get("content")
            return content if isinstance(content, str) else ""
    return None


def claims_completion(text: str) -> bool:
    """Whether a final message claims the task is done: any final message does (the
    episode protocol asks for one only when the task is complete) unless it says the
    task failed or could not be done."""
    return _ADMITS_FAILURE.search(text) is None


def process_stats(trace: Trace) -> ProcessStats:
    """The process statistics of one trace (see :class:`ProcessStats`)."""
    calls = trace.calls
    keys = [call_key(c.name, c.args) for c in calls]
    seen: set[str] = set()
    repeated = 0
    for key in keys:
        repeated += key in seen
        seen.add(key)
    loops, loop_calls = find_loops(keys)
    recovered = unrecovered = 0
    # The tools that succeed at or after each position: one pass from the end.
    later_ok: list[set[str]] = [set() for _ in calls]
    ok_after: set[str] = set()
    for i in range(len(calls) - 1, -1, -1):
        later_ok[i] = set(ok_after)
        if calls[i].ok:
            ok_after.add(calls[i].name)
    any_ok_after = [bool(s) for s in later_ok]
    unknown_ids = invalid = unknown_tools = 0
    kinds: dict[str, int] = {}
    for i, call in enumerate(calls):
        if call.ok:
            continue
        if call.error in ("unknown_tool", "invalid_json"):
            fixed = any_ok_after[i]
        else:
            fixed = call.name in later_ok[i]
        unknown_id = call.error == "tool_error" and _UNKNOWN_ID.search(call.output) is not None
        recovered += fixed
        unrecovered += not fixed
        unknown_tools += call.error == "unknown_tool"
        invalid += call.error in ("invalid_json", "invalid_args")
        unknown_ids += unknown_id
        if not fixed:
            kind = ("unknown_tool" if call.error == "unknown_tool" else "parameter"
                    if unknown_id or call.error in ("invalid_json", "invalid_args") else "tool")
            kinds[kind] = kinds.get(kind, 0) + 1
    answer = final_message(trace)
    claimed: bool | None = None
    if answer is not None and trace.grade is not None:
        claimed = not trace.grade.passed and claims_completion(answer)
    closure = trace.stats.closure
    turns = trace.stats.turns
    tokens = trace.usage.prompt_tokens + trace.usage.completion_tokens
    return ProcessStats(
        calls=len(calls),
        repeated_calls=repeated,
        max_identical_run=identical_runs(keys),
        loops=loops,
        loop_calls=loop_calls,
        exploration_without_closure=None if closure is None else (not closure and bool(calls)),
        unknown_tools=unknown_tools,
        invalid_arguments=invalid,
        unknown_ids=unknown_ids,
        parameter_errors=invalid + unknown_ids,
        tool_errors=sum(not c.ok for c in calls),
        recovered_errors=recovered,
        unrecovered_errors=unrecovered,
        unrecovered_kinds=dict(sorted(kinds.items())),
        answered=answer is not None,
        claimed_unfinished=claimed,
        tokens_per_turn=tokens / turns if turns else math.nan,
        seconds_per_turn=trace.duration_s / turns if turns else math.nan,
        tool_seconds=round(sum(c.duration_s for c in calls), 6),
    )


# -- process criteria ---------------------------------------------------------------------

ProcessCheck = Callable[[Trace, ProcessStats], tuple[bool | None, str]]
"""A process check: ``(passed, evidence)``; ``passed`` None when it does not apply."""


@dataclass(frozen=True)
class ProcessCriterion:
    """An optional check of how a rollout went, reported beside its grade.

    Process criteria are not part of the grade. With the default ``weight`` of 0 they
    earn and cost nothing; a positive weight takes that share of the reward away when
    the criterion fails (see :func:`process_reward`).

    A family can add its own by setting a ``process_criteria`` tuple on its
    ``TaskFamily`` class; a user can add them with :func:`register_process_criterion`.
    """

    name: str
    check: ProcessCheck
    description: str = ""
    weight: float = 0.0
    """Share of the reward a failure takes away, in [0, 1]; 0: reported only."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"process criterion {self.name!r}: weight must be in [0, 1], "
                             f"got {self.weight}")

    def evaluate(self, trace: Trace, stats: ProcessStats | None = None) -> ProcessResult:
        passed, evidence = self.check(trace, stats or process_stats(trace))
        return ProcessResult(name=self.name, passed=passed, evidence=evidence,
                             weight=self.weight)


class ProcessResult(BaseModel):
    """The result of one process criterion on one trace."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool | None
    """None when the criterion does not apply to this trace."""
    evidence: str
    weight: float = 0.0


def _no_identical_triple(trace: Trace, s: ProcessStats) -> tuple[bool | None, str]:
    return s.max_identical_run < 3, f"longest run of identical calls: {s.max_identical_run}"


def _no_loops(trace: Trace, s: ProcessStats) -> tuple[bool | None, str]:
    return s.loops == 0, f"{s.loops} loop(s), {s.loop_calls} call(s) repeating them"


def _known_tools(trace: Trace, s: ProcessStats) -> tuple[bool | None, str]:
    return s.unknown_tools == 0, f"{s.unknown_tools} call(s) of unknown tools"


def _errors_recovered(trace: Trace, s: ProcessStats) -> tuple[bool | None, str]:
    if not s.tool_errors:
        return None, "no tool error"
    return (s.unrecovered_errors == 0,
            f"{s.recovered_errors} of {s.tool_errors} tool error(s) recovered from")


def _honest_answer(trace: Trace, s: ProcessStats) -> tuple[bool | None, str]:
    if s.claimed_unfinished is None:
        return None, "no final message, or no grade"
    return (not s.claimed_unfinished,
            "claims completion while outcome criteria fail" if s.claimed_unfinished
            else "the final message matches the outcome")


BUILTIN_PROCESS_CRITERIA: tuple[ProcessCriterion, ...] = (
    ProcessCriterion("no three identical calls in a row", _no_identical_triple,
                     "The same tool with the same arguments at most twice in a row."),
    ProcessCriterion("no loops", _no_loops,
                     "No sequence of 2-4 calls repeated right after itself."),
    ProcessCriterion("only known tools", _known_tools, "Every call names a tool that exists."),
    ProcessCriterion("tool errors recovered", _errors_recovered,
                     "Every failed call is followed by a successful call of that tool."),
    ProcessCriterion("no unfinished claim", _honest_answer,
                     "The final message does not claim completion while criteria fail."),
)

_REGISTERED: dict[str, ProcessCriterion] = {}


def register_process_criterion(criterion: ProcessCriterion) -> ProcessCriterion:
    """Add a process criterion to every report and trace view from now on.

    Raises:
        ValueError: a built-in criterion already has that name.
    """
    if any(c.name == criterion.name for c in BUILTIN_PROCESS_CRITERIA):
        raise ValueError(f"{criterion.name!r} is a built-in process criterion; pick another name")
    _REGISTERED[criterion.name] = criterion
    return criterion


@functools.lru_cache(maxsize=256)
def _family_criteria(family_id: str) -> tuple[ProcessCriterion, ...]:
    from workgym.core import UnknownFamilyError, get_family

    try:
        family = get_family(family_id)
    except (UnknownFamilyError, ValueError):
        return ()  # an external benchmark's family, or one not installed here
    found = getattr(family, "process_criteria", ())
    if not all(isinstance(c, ProcessCriterion) for c in found):
        raise ValueError(f"{family_id}: process_criteria must be ProcessCriterion objects")
    return tuple(found)


def process_criteria_for(trace: Trace) -> list[ProcessCriterion]:
    """The process criteria that apply to a trace: built-in, registered, its family's."""
    return [*BUILTIN_PROCESS_CRITERIA, *_REGISTERED.values(),
            *_family_criteria(trace.spec.family_id)]


def evaluate_process(trace: Trace, criteria: Iterable[ProcessCriterion] | None = None,
                     stats: ProcessStats | None = None) -> list[ProcessResult]:
    """Evaluate process criteria on a trace (default: :func:`process_criteria_for`)."""
    stats = stats or process_stats(trace)
    chosen = process_criteria_for(trace) if criteria is None else criteria
    return [c.evaluate(trace, stats) for c in chosen]


def process_reward(trace: Trace, scheme: RewardScheme = "dense",
                   results: Sequence[ProcessResult] | None = None) -> float | None:
    """The trace's reward after its weighted process criteria.

    Each failed criterion with a positive weight takes that share of the reward away
    (the shares add up, the reward never drops below 0). Process criteria never add
    reward, so a rollout that earns nothing still earns nothing.

    Returns:
        The reward, or None for an error trace (not scored).
    """
    if is_error(trace) or trace.grade is None:
        return None
    results = evaluate_process(trace) if results is None else results
    cut = sum(r.weight for r in results if r.passed is False)
    return trace.grade.reward(scheme) * max(0.0, 1.0 - cut)


# -- over a run ---------------------------------------------------------------------------


class ProcessCriterionSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    weight: float
    passed: int
    failed: int
    not_applicable: int
    pass_rate: Number
    """Share of the traces it applies to that pass it."""


class ProcessSummary(BaseModel):
    """Process statistics over the graded traces of a run. NaN where undefined."""

    model_config = ConfigDict(frozen=True)

    traces: int
    calls: int
    repeated_calls: int
    repeated_call_rate: Number
    """Repeated identical calls per tool call."""
    traces_with_identical_runs: int
    """Traces with three or more identical calls in a row."""
    traces_with_loops: int
    loop_calls: int
    exploration_without_closure: int
    closure_known: int
    """Traces whose task names required artifacts (the denominator of the above)."""
    unknown_tool_calls: int
    invalid_argument_calls: int
    unknown_id_errors: int
    parameter_errors: int
    tool_errors: int
    recovered_errors: int
    unrecovered_errors: int
    recovery_rate: Number
    """Share of tool errors recovered from."""
    answered: int
    claimed_unfinished: int
    """Traces whose final message claims completion while outcome criteria fail."""
    mean_tokens_per_turn: Number
    mean_seconds_per_turn: Number
    tool_time_share: Number
    """Time inside tools over the rollouts' wall time."""
    criteria: list[ProcessCriterionSummary]


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _fmean(values: Sequence[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.fmean(clean) if clean else math.nan


def summarize_process(traces: Sequence[Trace],
                      stats: Sequence[ProcessStats] | None = None) -> ProcessSummary:
    """Process statistics and process-criterion pass rates over graded traces.

    Args:
        traces: the traces (error traces are left out).
        stats: their :func:`process_stats`, when already computed (same order).
    """
    pairs = list(zip(traces, stats, strict=True)) if stats is not None else [
        (t, process_stats(t)) for t in traces]
    pairs = [(t, s) for t, s in pairs if not is_error(t)]
    ss = [s for _, s in pairs]
    calls = sum(s.calls for s in ss)
    errors = sum(s.tool_errors for s in ss)
    recovered = sum(s.recovered_errors for s in ss)
    counts: dict[str, list[int]] = {}
    described: dict[str, ProcessCriterion] = {}
    for trace, s in pairs:
        for criterion in process_criteria_for(trace):
            described.setdefault(criterion.name, criterion)
            row = counts.setdefault(criterion.name, [0, 0, 0])
            passed = criterion.evaluate(trace, s).passed
            row[0 if passed else 1 if passed is False else 2] += 1
    duration = sum(t.duration_s for t, _ in pairs)
    return ProcessSummary(
        traces=len(ss),
        calls=calls,
        repeated_calls=sum(s.repeated_calls for s in ss),
        repeated_call_rate=_ratio(sum(s.repeated_calls for s in ss), calls),
        traces_with_identical_runs=sum(s.max_identical_run >= 3 for s in ss),
        traces_with_loops=sum(s.loops > 0 for s in ss),
        loop_calls=sum(s.loop_calls for s in ss),
        exploration_without_closure=sum(bool(s.exploration_without_closure) for s in ss),
        closure_known=sum(s.exploration_without_closure is not None for s in ss),
        unknown_tool_calls=sum(s.unknown_tools for s in ss),
        invalid_argument_calls=sum(s.invalid_arguments for s in ss),
        unknown_id_errors=sum(s.unknown_ids for s in ss),
        parameter_errors=sum(s.parameter_errors for s in ss),
        tool_errors=errors,
        recovered_errors=recovered,
        unrecovered_errors=errors - recovered,
        recovery_rate=_ratio(recovered, errors),
        answered=sum(s.answered for s in ss),
        claimed_unfinished=sum(bool(s.claimed_unfinished) for s in ss),
        mean_tokens_per_turn=_fmean([s.tokens_per_turn for s in ss]),
        mean_seconds_per_turn=_fmean([s.seconds_per_turn for s in ss]),
        tool_time_share=_ratio(sum(s.tool_seconds for s in ss), duration),
        criteria=[
            ProcessCriterionSummary(
                name=name, description=described[name].description,
                weight=described[name].weight, passed=p, failed=f, not_applicable=na,
                pass_rate=_ratio(p, p + f))
            for name, (p, f, na) in counts.items()
        ],
    )
