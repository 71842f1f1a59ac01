"""The runner: tasks x samples concurrently, traces appended to a resumable run folder.

A run folder holds ``config.json`` (the resolved RunConfig) and ``traces.jsonl`` (one
Trace per line, appended and fsynced as each rollout finishes). Running the same config
into the same folder again resumes it: finished (task id, sample) pairs are skipped, and
traces that ended in an error are dropped and run again.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field

from workgym.agent._gc import rollout_gc
from workgym.agent._loop import LoopConfig, run_episode
from workgym.agent._openai import EndpointConfig, OpenAIPolicy, SamplingConfig
from workgym.agent._policy import (
    AssistantTurn,
    NativeReferencePolicy,
    NoopPolicy,
    Policy,
    ReferencePolicy,
    ReplayPolicy,
)
from workgym.agent._suites import suite_specs
from workgym.core import TaskSpec, Trace, make_from_spec

TRACES = "traces.jsonl"
CONFIG = "config.json"
OPERATIONAL = frozenset({"concurrency", "workers", "base_url", "retries", "timeout_s"})
"""RunConfig fields that may change between a run and its resumption."""
MAX_ERROR_SHARE = 0.1
"""Default share of errored rollouts above which a run counts as failed (see
:func:`run_failure`)."""


class RunConfig(BaseModel):
    """Everything that determines a run; saved as ``config.json`` in the run folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str = "local"
    """``openai``, ``local``, ``reference``, ``native-reference``, ``noop``, ``replay``, or a
    custom policy's name."""
    model: str | None = None
    """Model name (as the server knows it, or the local model's)."""
    base_url: str | None = None
    """OpenAI-compatible endpoint of the ``openai`` policy."""
    adapter: str | None = None
    """A LoRA adapter folder (PEFT, as ``workgym train sft`` saves it) that the ``local``
    policy merges into its weights."""
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    """Temperature, top_p, max_tokens, seed, extra body."""
    loop: LoopConfig = Field(default_factory=LoopConfig)
    """Turn limit, token budget, tool-output limit, compaction, system prompt."""
    suite: str = "smoke"
    """The suite run (see ``suite_specs``)."""
    per_level: int | None = Field(default=None, ge=1)
    """Tasks per family and difficulty instead of the suite's default size."""
    tasks: list[TaskSpec] | None = None
    """Explicit tasks; when set, they replace the suite's."""
    limit: int | None = Field(default=None, ge=1)
    """Only the first this many tasks (of the suite, or of ``tasks``)."""
    k: int = Field(default=1, ge=1)
    """Samples per task."""
    replay_from: str | None = None
    """Run folder or traces.jsonl that the ``replay`` policy replays."""
    concurrency: int = Field(default=8, ge=1)
    """Rollouts in flight at once (over all workers)."""
    workers: int = Field(default=1, ge=1)
    """Processes that share the rollouts and the run folder (built-in policies only; the
    in-process ``local`` model always runs in one)."""
    retries: int = Field(default=5, ge=0)
    """Retries of one model request on 429, 5xx, timeouts and connection errors."""
    timeout_s: float = Field(default=600.0, gt=0)
    """Time limit of one model request."""

    def identity(self) -> dict[str, Any]:
        """The fields that must match for a run folder to be resumed."""
        data = self.model_dump(mode="json")
        return {key: value for key, value in data.items() if key not in OPERATIONAL}

    def specs(self) -> list[TaskSpec]:
        """The tasks of the run, in order.

        Raises:
            ValueError: an unknown suite, or one that selects no task.
        """
        specs = (list(self.tasks) if self.tasks is not None
                 else suite_specs(self.suite, self.per_level))
        return specs[:self.limit] if self.limit is not None else specs


class RunConfigMismatch(ValueError):
    """The run folder holds a run of another config."""


class RunLocked(RuntimeError):
    """Another process is writing to the run folder."""


def make_policy(config: RunConfig, api_key: str | None = None) -> Policy:
    """The built-in policy that ``config.policy`` names."""
    if config.policy == "openai":
        if not config.base_url or not config.model:
            raise ValueError("the openai policy needs base_url and model")
        endpoint = EndpointConfig(base_url=config.base_url, model=config.model,
                                  retries=config.retries, timeout_s=config.timeout_s)
        return OpenAIPolicy(endpoint, config.sampling, api_key=api_key)
    if config.policy == "local":
        from workgym.agent._local import LocalPolicy

        return LocalPolicy(config.sampling, adapter=config.adapter)
    if config.policy == "reference":
        return ReferencePolicy()
    if config.policy == "native-reference":
        return NativeReferencePolicy()
    if config.policy == "noop":
        return NoopPolicy()
    if config.policy == "replay":
        if not config.replay_from:
            raise ValueError("the replay policy needs replay_from (a run folder or traces.jsonl)")
        return ReplayPolicy(config.replay_from, model=config.model)
    raise ValueError(f"unknown policy {config.policy!r}; use openai, local, reference, "
                     "native-reference, noop or replay, or pass a Policy object")


class TraceWriter:
    """Appends traces to a JSONL file, one whole line at a time, flushed and fsynced.

    A thread lock and an exclusive ``flock`` keep concurrent writers (threads or
    processes) from interleaving lines.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, trace: Trace) -> None:
        line = (trace.model_dump_json() + "\n").encode()
        with self._lock, self.path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _finished_lines(path: Path) -> tuple[list[bytes], int]:
    """The lines of finished traces (first one per task and sample), and how many lines
    were dropped (errors, a cut-off last line, duplicates)."""
    if not path.exists():
        return [], 0
    kept: list[bytes] = []
    seen: set[tuple[str, int]] = set()
    dropped = 0
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.strip():
            continue
        if not line.endswith(b"\n"):
            dropped += 1  # the write of this line was cut off
            continue
        try:
            head = json.loads(line)
        except ValueError:
            dropped += 1
            continue
        key = (head["task_id"], int(head.get("sample", 0)))
        if head.get("error") is not None or key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(line)
    return kept, dropped


@contextmanager
def _run_lock(folder: Path) -> Iterator[None]:
    with (folder / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"another process is writing to {folder}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _differences(saved: dict[str, Any], wanted: dict[str, Any], prefix: str = "") -> list[str]:
    diffs = []
    for key in sorted(set(saved) | set(wanted)):
        a, b = saved.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            shown_a, shown_b = (json.dumps(v)[:80] for v in (a, b))
            diffs.append(f"{prefix}{key}: saved {shown_a}, now {shown_b}")
    return diffs


def prepare_run(folder: Path, config: RunConfig, *, overwrite: bool = False) -> list[bytes]:
    """Create or reopen a run folder; return the lines of the traces already finished.

    Raises:
        RunConfigMismatch: the folder holds a run of another config (and not ``overwrite``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    config_path, traces_path = folder / CONFIG, folder / TRACES
    if overwrite:
        traces_path.unlink(missing_ok=True)
    elif config_path.exists():
        saved = RunConfig.model_validate_json(config_path.read_text()).identity()
        diffs = _differences(saved, config.identity())
        if diffs:
            raise RunConfigMismatch(
                f"{folder} holds a run with another config:\n  " + "\n  ".join(diffs)
                + "\nUse another output folder, the same options, or --overwrite to start over."
            )
    elif traces_path.exists():
        raise RunConfigMismatch(f"{folder} has traces but no {CONFIG}; use --overwrite "
                                "or another folder")
    kept, dropped = _finished_lines(traces_path)
    if dropped:
        # Rewrite without the dropped lines so that the file never holds two traces of
        # one (task, sample); the replace is atomic, so an interrupt loses nothing.
        tmp = traces_path.with_suffix(".jsonl.tmp")
        with tmp.open("wb") as handle:
            handle.writelines(kept)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, traces_path)
    tmp_config = config_path.with_suffix(".json.tmp")
    tmp_config.write_text(config.model_dump_json(indent=2) + "\n")
    os.replace(tmp_config, config_path)
    return kept


@dataclass
class RunResult:
    """What a run left in its folder."""

    folder: Path
    traces: list[Trace]
    """Every finished trace of the run, resumed ones included, and this run's errors."""
    resumed: int = 0
    """Traces found finished from an earlier run."""
    new: int = 0
    """Traces written by this run (errors included)."""
    errors: list[str] = field(default_factory=list)
    """The errors of this run's traces, in the order they finished."""
    warnings: list[str] = field(default_factory=list)
    """What the reader of the run must know (no tool call anywhere, a server that
    dropped the tools): see :func:`run_warnings`."""

    def add(self, trace: Trace) -> None:
        """Count a trace this run wrote (an error too)."""
        self.traces.append(trace)
        self.new += 1
        if trace.error is not None:
            self.errors.append(trace.error)


@dataclass
class OpenRun:
    """A locked, prepared run folder: what is finished, what is left, and its writer."""

    result: RunResult
    """The traces finished earlier (``resumed``); add this run's with ``result.add``."""
    jobs: list[tuple[TaskSpec, int]]
    """The (spec, sample) pairs still to run."""
    writer: TraceWriter
    """Appends traces to the folder's ``traces.jsonl``."""


@contextmanager
def open_run(config: RunConfig, folder: str | Path, *,
             overwrite: bool = False) -> Iterator[OpenRun]:
    """Lock the run folder ``folder`` and prepare it for ``config``, for as long as the
    ``with`` block lasts: the one way runners (local, Ray) write a run folder.

    The folder gets ``config.json``; traces that ended in an error, or were cut off, are
    dropped so that they run again.

    Args:
        config: the run config (its tasks and ``k`` make the jobs).
        folder: the run folder; created if missing.
        overwrite: discard what the folder holds instead of resuming it.

    Raises:
        RunConfigMismatch: the folder holds a run of another config.
        RunLocked: another process is writing to the folder.

    Example:
        >>> with open_run(config, "runs/ref") as opened:
        ...     for spec, sample in opened.jobs:
        ...         trace = ...  # run the episode
        ...         opened.writer.write(trace)
        ...         opened.result.add(trace)
    """
    folder = Path(folder)
    specs = config.specs()
    folder.mkdir(parents=True, exist_ok=True)
    with _run_lock(folder):
        kept = prepare_run(folder, config, overwrite=overwrite)
        done = [Trace.model_validate_json(line) for line in kept]
        finished = {(t.task_id, t.sample) for t in done}
        jobs = [(spec, sample) for spec in specs for sample in range(config.k)
                if (spec.id, sample) not in finished]
        result = RunResult(folder=folder, traces=done, resumed=len(done))
        yield OpenRun(result=result, jobs=jobs, writer=TraceWriter(folder / TRACES))



async def run(
    config: RunConfig,
    folder: str | Path,
    *,
    policy: Policy | None = None,
    api_key: str | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> RunResult:
    """Run ``config`` into ``folder``, resuming what an earlier run there finished.

    Before any task starts, the policy is readied once when it has a ``load`` method
    (the local model loads, an endpoint is checked): one that cannot be readied fails
    the run here, not every task.

    Args:
        config: the resolved run config (saved as ``config.json``).
        folder: the run folder, e.g. ``runs/qwen3-8b-holdout``.
        policy: a Policy object to use instead of the built-in one ``config.policy`` names.
        api_key: key of the ``openai`` policy's server.
        overwrite: discard what the folder holds instead of resuming it.
        progress: show progress on stderr (loading, then a bar with turns and calls).

    Raises:
        RunConfigMismatch: the folder holds a run of another config.
        RunLocked: another process is writing to the folder.
        PolicyError: the policy could not be readied (model not loadable, nothing
            listening at the endpoint).
    """
    if config.workers > 1 and policy is None and config.policy != "local":
        from workgym.agent._workers import run_workers

        return await run_workers(config, folder, api_key=api_key, overwrite=overwrite,
                                 progress=progress)
    with open_run(config, folder, overwrite=overwrite) as opened:
        own_policy = policy is None
        active = policy if policy is not None else make_policy(config, api_key)
        try:
            if opened.jobs:
                await _ready(active, progress)
            bar = RunProgress(len(opened.jobs), active.name, enabled=progress)
            with bar:
                await run_jobs(config, active, opened.jobs, opened.writer,
                               opened.result.add, bar)
        finally:
            if own_policy and hasattr(active, "close"):
                await active.close()
    opened.result.warnings = run_warnings(opened.result.traces, active)
    return opened.result


async def _ready(policy: Policy, progress: bool) -> None:
    load = getattr(policy, "load", None)
    if not callable(load):
        return
    status: Any = None
    console: Any = None
    what = f"loading {policy.model}" if policy.name == "local" else (
        f"checking {getattr(getattr(policy, 'endpoint', None), 'base_url', policy.name)}")
    if progress:
        from rich.console import Console

        console = Console(stderr=True, highlight=False, soft_wrap=True)
        if console.is_terminal:
            status = console.status(what, spinner="dots")
            status.start()
        else:  # a log: plain lines
            console.print(f"{what} ...", markup=False)
    clock = time.monotonic()
    try:
        if inspect.iscoroutinefunction(load):
            await load()
        else:
            await asyncio.to_thread(load)
    finally:
        if status is not None:
            status.stop()
    if console is not None:
        console.print(f"{what}: done in {time.monotonic() - clock:.0f} s", markup=False)


@dataclass(frozen=True)
class Outcome:
    """What the progress display needs of a finished rollout (small enough to send
    between processes)."""

    family_id: str
    sample: int
    score: float | None
    error: str | None
    turns: int
    tool_calls: int

    @classmethod
    def of(cls, trace: Trace) -> Outcome:
        """The outcome of ``trace``."""
        return cls(trace.spec.family_id, trace.sample, trace.score, trace.error,
                   trace.stats.turns, trace.stats.tool_calls)


class ProgressSink(Protocol):
    """Where a runner reports turns and finished rollouts (a bar, or a worker's queue)."""

    def turn(self, turn: AssistantTurn) -> None:
        """One assistant turn of any rollout."""

    def advance(self, trace: Trace) -> None:
        """One rollout finished (written to the run)."""


async def run_jobs(config: RunConfig, policy: Policy, jobs: Sequence[tuple[TaskSpec, int]],
                   writer: TraceWriter, add: Callable[[Trace], None], sink: ProgressSink,
                   concurrency: int | None = None) -> None:
    """Run ``jobs`` (spec, sample), at most ``concurrency`` (default the config's) at
    once; each trace is written, then passed to ``add`` and ``sink``."""
    semaphore = asyncio.Semaphore(concurrency or config.concurrency)

    async def one(spec: TaskSpec, sample: int) -> None:
        async with semaphore:
            trace = await _rollout(config, policy, spec, sample, sink.turn)
            await asyncio.to_thread(writer.write, trace)
            add(trace)
            sink.advance(trace)

    with rollout_gc():
        await asyncio.gather(*(one(spec, sample) for spec, sample in jobs))


async def _rollout(config: RunConfig, policy: Policy, spec: TaskSpec, sample: int,
                   on_turn: Callable[[AssistantTurn], None] | None = None) -> Trace:
    try:
        task = await asyncio.to_thread(make_from_spec, spec)
    except Exception as exc:  # noqa: BLE001  (a family that cannot generate it: not a 0)
        return Trace(task_id=spec.id, spec=spec, sample=sample, policy=policy.name,
                     model=policy.model, stop_reason="error", suite=config.suite,
                     error=f"task generation failed: {type(exc).__name__}: {exc}",
                     started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return await run_episode(task, policy, config.loop, sample=sample, suite=config.suite,
                             on_turn=on_turn)


def run_warnings(traces: Sequence[Trace], policy: Policy | None = None) -> list[str]:
    """What the reader of a run must know before its numbers.

    No trace made a tool call (unless the policy is ``noop``, which never does), and
    whatever the policy itself warns of (an endpoint whose responses never carried a
    tool call although tools were sent: see ``OpenAIPolicy.warnings``).
    """
    more = getattr(policy, "warnings", None)
    return merge_warnings(traces, policy.name if policy is not None else None,
                          more() if callable(more) else [])


def merge_warnings(traces: Sequence[Trace], policy_name: str | None,
                   policy_warnings: Sequence[str]) -> list[str]:
    """:func:`run_warnings` from the policy's name and warnings (those of several
    worker processes' policies, say), each warning once."""
    out: list[str] = []
    ran = [t for t in traces if t.stats.turns]
    if ran and policy_name != "noop" and not any(t.stats.tool_calls for t in ran):
        out.append(f"no tool call in any of the {len(ran)} traces: the model never used the "
                   "tools, so no task could be solved")
    out += [w for w in dict.fromkeys(policy_warnings) if w not in out]
    return out


def run_failure(traces: Sequence[Trace], max_error_share: float = MAX_ERROR_SHARE) -> str | None:
    """Why a run failed as a whole, or None when it did not.

    A run fails when no rollout could be graded, or when more than ``max_error_share``
    of its rollouts are errors (failures outside the model, invalid grades).

    Args:
        traces: every trace of the run.
        max_error_share: the largest share of errors a run may have and still pass.
    """
    if not 0.0 <= max_error_share <= 1.0:
        raise ValueError(f"max_error_share must be in [0, 1], got {max_error_share}")
    errors = [t for t in traces if t.error is not None or t.grade is None]
    first = next((t.error for t in errors if t.error), "not graded")
    first_line = (first.strip().splitlines() or ["(empty)"])[0]
    if traces and len(errors) == len(traces):
        return f"no rollout could be graded ({len(errors)} errors); first error: {first_line}"
    if traces and len(errors) > max_error_share * len(traces):
        return (f"{len(errors)} of {len(traces)} rollouts failed, more than the "
                f"{max_error_share:.0%} allowed (--max-error-share); first error: {first_line}")
    return None


class RunProgress:
    """A rich progress bar on stderr: rollouts done, and the turns, tool calls and mean
    score so far (a turn of a slow model moves it long before a rollout ends)."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.enabled = enabled and total > 0
        self.scores: list[float] = []
        self.errors = 0
        self.turns = 0
        self.calls = 0
        self.total = total
        self.done = 0
        self.lines: Any = None
        self._started = time.monotonic()
        if self.enabled:
            from rich.console import Console

            console = Console(stderr=True, highlight=False, soft_wrap=True)
            if not console.is_terminal:  # a log, not a terminal: one line per rollout
                self.lines, self.enabled = console, False
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(bar_width=20),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(stderr=True))
            self._task = self._bar.add_task(label, total=total)
            self._label = label
            self._update(0)

    def __enter__(self) -> Self:
        if self.enabled:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.stop()

    def _update(self, advance: int) -> None:
        mean = f"{statistics.fmean(self.scores):.3f}" if self.scores else "-"
        text = f"{self._label}: {self.turns} turns, {self.calls} tool calls, score {mean}"
        if self.errors:
            text += f", errors {self.errors}"
        self._bar.update(self._task, advance=advance, description=text)

    def turn(self, turn: AssistantTurn) -> None:
        self.count_turns(1, len(turn.tool_calls))

    def count_turns(self, turns: int, calls: int) -> None:
        """``turns`` assistant turns made ``calls`` tool calls (of any rollouts)."""
        self.turns += turns
        self.calls += calls
        if self.enabled:
            self._update(0)

    def advance(self, trace: Trace) -> None:
        self.finish(Outcome.of(trace))

    def finish(self, done: Outcome) -> None:
        """One rollout finished."""
        if done.score is not None:
            self.scores.append(done.score)
        self.errors += done.error is not None
        self.done += 1
        if self.enabled:
            self._update(1)
        elif self.lines is not None:
            outcome = (f"error: {(done.error.splitlines() or [''])[0][:120]}" if done.error
                       else f"score {done.score:.3f}" if done.score is not None else "-")
            self.lines.print(f"[{self.done}/{self.total}] {done.family_id} sample "
                             f"{done.sample}: {outcome}, {done.turns} turns, "
                             f"{done.tool_calls} tool calls "
                             f"({time.monotonic() - self._started:.0f} s)", markup=False)


class QuickSummary(BaseModel):
    """A short summary of a run (full reports: ``workgym report``)."""

    traces: int
    """Rollouts counted (errors included)."""
    tasks: int
    """Distinct tasks."""
    errors: int
    """Rollouts that failed outside the model, or whose grade is invalid (not scored)."""
    mean_score: float | None
    """Mean dense score over the scored rollouts."""
    pass_rate: float | None
    """Share of scored rollouts that passed every criterion."""
    truncated: int
    """Rollouts cut off by the turn limit or token budget."""
    mean_turns: float | None
    """Mean assistant turns per scored rollout."""
    mean_tool_calls: float | None
    """Mean tool calls per scored rollout."""
    traces_with_tool_calls: int = 0
    """Rollouts that made at least one tool call."""
    invalid_tool_calls: int = 0
    """Tool calls with unreadable arguments, invalid arguments or an unknown tool name."""
    tool_errors: int = 0
    """Tool calls the tool answered with an error."""


def quick_summary(traces: Sequence[Trace]) -> QuickSummary:
    """Mean score, pass rate and a few behaviour numbers over ``traces``."""
    graded = [t for t in traces if t.grade is not None and t.grade.valid]

    def mean(values: list[float]) -> float | None:
        return round(statistics.fmean(values), 4) if values else None

    return QuickSummary(
        traces=len(traces), tasks=len({t.task_id for t in traces}),
        errors=sum(t.error is not None or t.grade is None for t in traces),
        mean_score=mean([t.grade.score for t in graded if t.grade is not None]),
        pass_rate=mean([float(t.grade.passed) for t in graded if t.grade is not None]),
        truncated=sum(t.truncated for t in traces),
        mean_turns=mean([float(t.stats.turns) for t in graded]),
        mean_tool_calls=mean([float(t.stats.tool_calls) for t in graded]),
        traces_with_tool_calls=sum(t.stats.tool_calls > 0 for t in traces),
        invalid_tool_calls=sum(t.stats.invalid_json + t.stats.invalid_args
                               + t.stats.unknown_tools for t in traces),
        tool_errors=sum(t.stats.tool_errors for t in traces),
    )
