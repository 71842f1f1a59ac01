"""Rollouts spread over worker processes on one machine, sharing one run folder.

The parent locks and prepares the run folder exactly as a one-process run does
(:func:`open_run`), checks the policy once, then forks ``workers`` processes that each
run an interleaved share of the jobs with their own policy and append to the same
``traces.jsonl`` (every line written whole under ``flock``). The workers report turns and
finished rollouts to the parent, which draws the one progress bar and, at the end, reads
back the lines they wrote. The workers inherit the run lock and die with the parent, so
a second run on the folder is refused for as long as any of them lives, and a rerun
after a crash resumes it like any other interrupted run.
"""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import multiprocessing
import os
import queue as queues
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from workgym.agent._policy import AssistantTurn, PolicyError
from workgym.agent._runner import (
    TRACES,
    Outcome,
    RunConfig,
    RunProgress,
    RunResult,
    TraceWriter,
    _ready,
    make_policy,
    merge_warnings,
    open_run,
    run_jobs,
)
from workgym.core import TaskSpec, Trace

_FLUSH_S = 0.1
"""How often a worker sends its turn counts to the parent."""
_PR_SET_PDEATHSIG = 1


class WorkerFailed(RuntimeError):
    """A worker process died or failed; what the others finished is saved in the run."""


@dataclass
class _Reports:
    """What the parent gathered from its workers."""

    warnings: list[str] = field(default_factory=list)
    """The warnings of the workers' policies that count nothing (see ``tool_use``)."""
    tool_use: list[Any] = field(default_factory=list)
    """Each worker policy's ``tool_use`` counts (``OpenAIPolicy``), summed for warnings."""
    failures: list[str] = field(default_factory=list)
    policy_failures: list[str] = field(default_factory=list)

    def policy_warnings(self) -> list[str]:
        """The warnings one policy would give over the whole run: the workers' counts
        of tool use summed, then asked for their warnings."""
        if not self.tool_use:
            return self.warnings
        first = self.tool_use[0]
        total = type(first)(**{f.name: sum(getattr(u, f.name) for u in self.tool_use)
                               for f in dataclasses.fields(first)})
        return list(total.warnings())


async def run_workers(config: RunConfig, folder: str | Path, *, api_key: str | None = None,
                      overwrite: bool = False, progress: bool = False) -> RunResult:
    """Run ``config`` into ``folder`` over ``config.workers`` processes (see
    :func:`workgym.agent.run`, which calls this when ``workers`` is over 1).

    Raises:
        RunConfigMismatch: the folder holds a run of another config.
        RunLocked: another process is writing to the folder.
        PolicyError: the policy could not be readied, or a worker could not make it.
        WorkerFailed: a worker died (killed, out of memory) or failed otherwise.
    """
    with open_run(config, folder, overwrite=overwrite) as opened:
        result, jobs = opened.result, opened.jobs
        reports = _Reports()
        if jobs:
            await _check_policy(config, api_key, progress)
            traces_path = Path(folder) / TRACES
            start = traces_path.stat().st_size if traces_path.exists() else 0
            reports = await _run_processes(config, jobs, traces_path, api_key, progress)
            for trace in _traces_after(traces_path, start):
                result.add(trace)
    result.warnings = merge_warnings(result.traces, config.policy, reports.policy_warnings())
    if reports.policy_failures:
        raise PolicyError(reports.policy_failures[0])
    if reports.failures:
        raise WorkerFailed("; ".join(reports.failures) + f". The finished traces are saved in "
                           f"{folder}: rerun the same command to resume.")
    return result


async def _check_policy(config: RunConfig, api_key: str | None, progress: bool) -> None:
    """Ready the policy once here (an endpoint not listening fails the run before any
    worker starts); the workers make their own."""
    policy = make_policy(config, api_key)
    try:
        await _ready(policy, progress)
    finally:
        close = getattr(policy, "close", None)
        if callable(close):
            await close()


def _shares(jobs: Sequence[tuple[TaskSpec, int]], config: RunConfig,
            ) -> list[tuple[list[tuple[TaskSpec, int]], int]]:
    """Each worker's jobs and concurrency (the config's, divided among them).

    The samples of one task stay in one worker, which generates the task once; the tasks
    are dealt out in turn, so that each worker gets every family. With fewer tasks than
    workers the samples themselves are dealt out.
    """
    count = max(1, min(config.workers, len(jobs), config.concurrency))
    base, extra = divmod(config.concurrency, count)
    by_task: dict[str, list[tuple[TaskSpec, int]]] = {}
    for job in jobs:
        by_task.setdefault(job[0].id, []).append(job)
    if len(by_task) < count:
        shares = [list(jobs[i::count]) for i in range(count)]
    else:
        shares = [[] for _ in range(count)]
        for i, task_jobs in enumerate(by_task.values()):
            shares[i % count].extend(task_jobs)
    return [(share, base + (i < extra)) for i, share in enumerate(shares)]


async def _run_processes(config: RunConfig, jobs: Sequence[tuple[TaskSpec, int]],
                         traces_path: Path, api_key: str | None, progress: bool) -> _Reports:
    # fork: the workers inherit the registered families (--import ones included) and the
    # run lock's open file, so the folder stays locked while any of them lives.
    context = multiprocessing.get_context("fork")
    messages: Any = context.Queue()
    processes = [context.Process(target=_worker, name=f"workgym-worker-{i}",
                                 args=(config, share, traces_path, api_key, concurrency,
                                       messages, os.getpid()))
                 for i, (share, concurrency) in enumerate(_shares(jobs, config))]
    for process in processes:
        process.start()
    stop = threading.Event()
    bar = RunProgress(len(jobs), config.policy, enabled=progress)
    try:
        with bar:
            return await asyncio.to_thread(_supervise, processes, messages, bar, stop)
    finally:
        stop.set()
        _end(processes)


def _supervise(processes: Sequence[BaseProcess], messages: Any, bar: RunProgress,
               stop: threading.Event) -> _Reports:
    """Relay the workers' reports to the bar until every worker has exited."""
    reports = _Reports()
    while not stop.is_set():
        alive = any(p.is_alive() for p in processes)
        try:
            _handle(messages.get(timeout=_FLUSH_S), bar, reports)
        except queues.Empty:
            if not alive:
                break
    for index, process in enumerate(processes):
        process.join()
        if process.exitcode and not stop.is_set():
            reports.failures.append(f"worker {index} of {len(processes)} exited with code "
                                    f"{process.exitcode}")
    return reports


def _handle(message: tuple[Any, ...], bar: RunProgress, reports: _Reports) -> None:
    kind = message[0]
    if kind == "turns":
        bar.count_turns(message[1], message[2])
    elif kind == "done":
        bar.finish(message[1])
    elif kind == "warnings":
        reports.warnings += message[1]
    elif kind == "tool_use":
        reports.tool_use.append(message[1])
    elif kind == "policy":
        reports.policy_failures.append(message[1])
    elif kind == "failed":
        reports.failures.append(message[1])


def _end(processes: Sequence[BaseProcess]) -> None:
    """Stop the workers still running (the run was interrupted), SIGKILL after 5 s."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 5.0
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _traces_after(path: Path, offset: int) -> list[Trace]:
    """The whole trace lines appended to ``path`` after byte ``offset``."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    traces = []
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n") or not line.strip():
            continue  # a worker killed mid-write: a resumed run drops it too
        try:
            traces.append(Trace.model_validate_json(line))
        except ValueError:
            continue
    return traces


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this worker when the parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


class _QueueSink:
    """A worker's progress sink: finished rollouts at once, turn counts every 0.1 s."""

    def __init__(self, messages: Any) -> None:
        self.messages = messages
        self.turns = 0
        self.calls = 0
        self._sent = time.monotonic()

    def turn(self, turn: AssistantTurn) -> None:
        self.turns += 1
        self.calls += len(turn.tool_calls)
        if time.monotonic() - self._sent >= _FLUSH_S:
            self.flush()

    def advance(self, trace: Trace) -> None:
        self.messages.put(("done", Outcome.of(trace)))

    def flush(self) -> None:
        if self.turns:
            self.messages.put(("turns", self.turns, self.calls))
        self.turns = self.calls = 0
        self._sent = time.monotonic()


def _worker(config: RunConfig, jobs: list[tuple[TaskSpec, int]], traces_path: Path,
            api_key: str | None, concurrency: int, messages: Any, parent: int) -> None:
    """A worker process: run ``jobs``, appending to ``traces_path``, reporting to
    ``messages``. Exits 0 unless it failed (a message says why) or was interrupted."""
    _die_with_parent(parent)
    sink = _QueueSink(messages)
    try:
        asyncio.run(_work(config, jobs, traces_path, api_key, concurrency, sink))
    except KeyboardInterrupt:
        sys.exit(130)
    except PolicyError as exc:
        messages.put(("policy", str(exc)))
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001  (reported to the parent, which raises)
        messages.put(("failed", f"a worker failed: {type(exc).__name__}: {exc}"))
        sys.exit(1)
    finally:
        sink.flush()


async def _work(config: RunConfig, jobs: list[tuple[TaskSpec, int]], traces_path: Path,
                api_key: str | None, concurrency: int, sink: _QueueSink) -> None:
    policy = make_policy(config, api_key)
    try:
        await run_jobs(config, policy, jobs, TraceWriter(traces_path), _drop, sink,
                       concurrency=concurrency)
    finally:
        tool_use = getattr(policy, "tool_use", None)
        more = getattr(policy, "warnings", None)
        if dataclasses.is_dataclass(tool_use):
            sink.messages.put(("tool_use", tool_use))
        elif callable(more):
            sink.messages.put(("warnings", list(more())))
        close = getattr(policy, "close", None)
        if callable(close):
            await close()


def _drop(trace: Trace) -> None:
    """A worker keeps no traces (the parent reads them back from the run)."""
