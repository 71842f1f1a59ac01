"""The soak: thousands of concurrent episodes for minutes, watching what must stay flat.

Runs of ``workgym.agent.run`` (the real runner, over worker processes by default) against
the instant mock on loopback follow one another until the time is up, each with the
configured number of episodes in flight. A sampler reads ``/proc`` meanwhile: the RSS,
open file descriptors, threads and Python memory blocks of this process (blocks flat
under a growing RSS: the allocator keeps pages; blocks growing: objects leak), the RSS
and descriptors of its workers, its child processes (the mock aside), and the
``workgym-*`` folders that episodes leave in the temporary folder (a private one for the
soak, so that other processes' folders are not counted). Every run's traces are counted against the jobs it
was given and the answers the mock gave: none may be lost or written twice.

The first run warms up (imports, caches, the allocator's high-water mark); the figures
before are taken once it ends, the figures after once the last one ends, both with no
run in flight, and each may grow by no more than its tolerance.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from workgym.bench._mock import InstantMock
    from workgym.core import TaskSpec

# The runner, the families and the mock are imported when a soak runs: importing
# workgym.bench stays light, and ``python -m workgym.bench._mock`` finds its module
# not yet imported.

Progress = Callable[[str], None]
TEMP_PREFIX = "workgym-"
"""What an episode's workspace folder is named after, under the temporary folder."""


class SoakConfig(BaseModel):
    """What a soak runs and how much its figures may grow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(default=2000, ge=1)
    """Episodes in flight at once (over all workers)."""
    seconds: float = Field(default=600.0, gt=0.0)
    """How long runs keep being started; the run under way at the end finishes. Two
    runs at least: the warm-up and one measured."""
    episodes_per_run: int | None = Field(default=None, ge=1)
    """Episodes of one run (default: twice ``concurrency``, so that it holds
    ``concurrency`` in flight most of the way)."""
    workers: int = Field(default=2, ge=1)
    """Worker processes of each run (1: the episodes run in this process)."""
    tool_turns: int = Field(default=3, ge=0)
    """Tool-call turns of every episode before the mock's answer."""
    families: tuple[str, ...] = ()
    """Family ids whose medium tasks are run (default: every registered family)."""
    rss_tolerance_mib: float = Field(default=64.0, ge=0.0)
    """Most the RSS of this process, and the peak RSS of a worker, may grow from the
    end of the warm-up to the end of the last run (its Python memory blocks: by
    ``BLOCK_TOLERANCE``)."""
    fd_tolerance: int = Field(default=8, ge=0)
    """Most this process's open file descriptors may grow likewise."""
    sample_s: float = Field(default=0.5, gt=0.0)
    """How often ``/proc`` is read."""


@dataclass(frozen=True)
class Snapshot:
    """What ``/proc`` says at one moment."""

    rss_mib: float
    fds: int
    threads: int
    children: int
    """Live descendants of this process, the mock and its own children aside."""
    worker_rss_mib: float
    """The largest RSS of one descendant (a worker)."""
    worker_fds: int
    """Open descriptors of all descendants together."""
    temp_folders: int
    python_blocks: int
    """Memory blocks Python has allocated in this process: flat while the RSS grows
    means the allocator keeps freed pages (fragmentation), not that objects leak."""


def _rss_mib(pid: int | str) -> float:
    with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fds(pid: int | str) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _threads() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def _descendants(root: int, skip: int | None) -> list[int]:
    """Live descendants of ``root``, without ``skip`` and its own descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if fields[0] != "Z":  # a zombie is an exit not yet reaped: not alive
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child != skip:
                found.append(child)
                todo.append(child)
    return found


class Sampler:
    """Reads ``/proc`` every ``interval`` seconds in a thread; keeps the peaks overall and
    since :meth:`mark`."""

    def __init__(self, temp_dir: Path, mock_pid: int | None, interval: float) -> None:
        self.temp_dir = temp_dir
        self.mock_pid = mock_pid
        self.interval = interval
        self.peak: dict[str, float] = {}
        self.since_mark: dict[str, float] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="workgym-soak-sampler",
                                        daemon=True)

    def snapshot(self) -> Snapshot:
        children = _descendants(os.getpid(), self.mock_pid)
        rss, fds = [], 0
        for pid in children:
            try:
                rss.append(_rss_mib(pid))
                fds += _fds(pid)
            except OSError:
                continue
        temp = sum(1 for name in os.listdir(self.temp_dir) if name.startswith(TEMP_PREFIX))
        snap = Snapshot(rss_mib=_rss_mib("self"), fds=_fds("self"), threads=_threads(),
                        children=len(children), worker_rss_mib=max(rss, default=0.0),
                        worker_fds=fds, temp_folders=temp,
                        python_blocks=sys.getallocatedblocks())
        with self._lock:
            for name, value in vars(snap).items():
                self.peak[name] = max(self.peak.get(name, value), value)
                self.since_mark[name] = max(self.since_mark.get(name, value), value)
        return snap

    def mark(self) -> dict[str, float]:
        """The peaks since the last mark; start counting anew."""
        with self._lock:
            peaks, self.since_mark = self.since_mark, {}
        return peaks

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.snapshot()

    def __enter__(self) -> Sampler:  # noqa: PYI034
        self.snapshot()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RunCount:
    """One run's episodes and traces."""

    jobs: int
    answers: int
    """Conversations the mock answered during the run (episodes finished)."""
    written: int
    """Trace lines in the run's traces.jsonl."""
    unique: int
    """Distinct (task, sample) pairs among them."""
    errors: int
    wall_s: float
    worker_peaks: dict[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.jobs - self.unique

    @property
    def duplicated(self) -> int:
        return self.written - self.unique


def task_specs(config: SoakConfig) -> list[TaskSpec]:
    """One medium task per family (train seeds), generated here once so that forked
    workers find them cached."""
    from workgym.bench._workload import families, seeds
    from workgym.core import get_family, make_from_spec

    specs = [get_family(fid).spec(seeds(fid, 1)[0], "medium")
             for fid in families(config.families)]
    for spec in specs:
        make_from_spec(spec)
    return specs


def _count(folder: Path, jobs: int, answers: int, wall_s: float) -> RunCount:
    keys, written, errors = set(), 0, 0
    path = folder / "traces.jsonl"
    for line in path.read_bytes().splitlines() if path.exists() else []:
        if not line.strip():
            continue
        head = json.loads(line)
        written += 1
        errors += head.get("error") is not None
        keys.add((head["task_id"], int(head.get("sample", 0))))
    return RunCount(jobs=jobs, answers=answers, written=written, unique=len(keys),
                    errors=errors, wall_s=wall_s)


async def _one_run(config: SoakConfig, specs: Sequence[TaskSpec], mock: InstantMock,
                   folder: Path) -> RunCount:
    from workgym.agent import RunConfig, run

    episodes = config.episodes_per_run or 2 * config.concurrency
    k = math.ceil(episodes / len(specs))
    run_config = RunConfig(policy="openai", base_url=mock.url, model="mock", tasks=list(specs),
                           k=k, concurrency=config.concurrency, workers=config.workers)
    answered = mock.stats()["answers"]
    started = time.perf_counter()
    await run(run_config, folder)
    wall = time.perf_counter() - started
    count = _count(folder, len(specs) * k, mock.stats()["answers"] - answered, wall)
    shutil.rmtree(folder, ignore_errors=True)
    return count


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Reading back a run's 4,000 traces leaves freed pages that glibc keeps for reuse: the
    RSS between runs then climbs for about ten runs and levels off (+77 MiB at 2,000 in
    flight) while the Python blocks stay flat. Nothing where the C library has no such
    call."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


@contextmanager
def _private_tempdir() -> Iterator[Path]:
    """A temporary folder of the soak's own for every ``tempfile`` user in this process
    and the workers it forks; the usual one again afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="soak-tmp-"))
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(folder, ignore_errors=True)


def _raise_fd_limit(needed: int) -> int:
    """Raise the soft limit of open descriptors towards ``needed`` (as far as the hard
    limit allows): thousands of connections need more than the usual 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


FIGURES = (
    ("rss_mib", "RSS of this process (MiB)"),
    ("worker_rss_mib", "peak RSS of one worker (MiB)"),
    ("fds", "open descriptors of this process"),
    ("threads", "threads of this process"),
    ("children", "child processes (the mock aside)"),
    ("temp_folders", "workgym temp folders"),
    ("python_blocks", "Python memory blocks of this process"),
)
SETTLING = frozenset({"rss_mib", "worker_rss_mib"})
"""Figures judged over the second half of the runs (see ``_report``)."""
BLOCK_TOLERANCE = 0.01
"""Share by which the Python memory blocks of this process may grow."""


def _tolerances(config: SoakConfig, before: Snapshot) -> dict[str, float]:
    return {"python_blocks": round(BLOCK_TOLERANCE * before.python_blocks),
            "rss_mib": config.rss_tolerance_mib, "worker_rss_mib": config.rss_tolerance_mib,
            "fds": config.fd_tolerance, "threads": 0, "children": 0, "temp_folders": 0}


def run_soak(config: SoakConfig | None = None, progress: Progress | None = None
             ) -> dict[str, Any]:
    """Run the soak; return its report.

    Returns:
        ``figures`` (each with ``before``, ``after``, ``peak``, ``growth``, ``tolerance``
        and ``ok``), ``traces`` (jobs, episodes finished, traces written, lost,
        duplicated, errors), ``runs`` (one row per run), ``failures`` (what grew beyond its
        tolerance, what was lost) and ``ok``.
    """
    from workgym.bench._mock import InstantMock

    config = config or SoakConfig()
    say = progress or (lambda line: None)
    fd_limit = _raise_fd_limit(2 * config.concurrency + 1024)
    specs = task_specs(config)
    counts: list[RunCount] = []
    started = time.monotonic()
    with _private_tempdir() as temp, InstantMock(config.tool_turns) as mock, \
            Sampler(temp, mock.pid, config.sample_s) as sampler:
        start = sampler.snapshot()
        before = after = start
        between: list[Snapshot] = []
        root = Path(tempfile.mkdtemp(prefix="soak-runs-", dir=temp))

        async def soak() -> None:
            nonlocal before, after
            index = 0
            while index < 2 or time.monotonic() - started < config.seconds:
                sampler.mark()
                count = await _one_run(config, specs, mock, root / f"run-{index:04d}")
                count.worker_peaks = sampler.mark()
                counts.append(count)
                shown = sampler.snapshot()
                say(f"run {index}: {count.jobs} episodes in {count.wall_s:.1f} s "
                    f"({count.jobs / count.wall_s:.0f}/s), {count.written} traces, "
                    f"rss {shown.rss_mib:.0f} MiB, worker peak "
                    f"{count.worker_peaks.get('worker_rss_mib', 0.0):.0f} MiB, fds {shown.fds}, "
                    f"children {shown.children}, temp folders {shown.temp_folders} "
                    f"({time.monotonic() - started:.0f} s)")
                # The figures between runs are taken after the progress line (its first
                # print fills the console's caches), a collection and a heap trim (live
                # memory: not garbage, nor pages the allocator keeps for reuse).
                gc.collect()
                _trim_heap()
                snap = sampler.snapshot()
                if index == 0:
                    before = snap
                after = snap
                between.append(snap)
                index += 1

        asyncio.run(soak())
    return _report(config, counts, start, before, after, sampler.peak, fd_limit,
                   time.monotonic() - started, len(specs), middle=between[len(between) // 2])


def _report(config: SoakConfig, counts: Sequence[RunCount], start: Snapshot,
            before: Snapshot, after: Snapshot, peak: dict[str, float], fd_limit: int,
            elapsed: float, tasks: int, middle: Snapshot | None = None) -> dict[str, Any]:
    """The soak's report. Every figure is judged by its growth from ``before`` (after
    the warm-up run) to ``after``, except the RSS: the allocators keep pages of earlier
    runs for reuse, so a process's RSS climbs for some runs and then levels off; it is
    judged by its growth over the second half of the runs (from ``middle``, the figures
    after the middle run), and its growth since the warm-up is reported beside it."""
    tolerance = _tolerances(config, before)
    middle = middle or before
    figures: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for name, label in FIGURES:
        if name == "worker_rss_mib":  # workers live only while a run does: their peaks
            first = counts[0].worker_peaks.get(name, 0.0)
            halfway = counts[len(counts) // 2].worker_peaks.get(name, 0.0)
            last = counts[-1].worker_peaks.get(name, 0.0)
        else:
            first, halfway, last = (getattr(s, name) for s in (before, middle, after))
        growth = last - first
        judged, what = (last - halfway, "over the second half of the runs") \
            if name in SETTLING else (growth, "")
        ok = judged <= tolerance[name]
        figures[name] = {"label": label, "start": round(float(getattr(start, name)), 1),
                         "before": round(float(first), 1), "after": round(float(last), 1),
                         "peak": round(float(peak.get(name, last)), 1),
                         "growth": round(float(growth), 1),
                         "second_half": round(float(last - halfway), 1),
                         "judged": "second_half" if name in SETTLING else "growth",
                         "tolerance": tolerance[name], "ok": ok}
        if not ok:
            failures.append(f"{label} grew by {judged:.1f}{' ' + what if what else ''}, "
                            f"more than {tolerance[name]:g}")
    measured = counts[1:] or counts
    traces = {"runs": len(counts), "jobs": sum(c.jobs for c in counts),
              "finished": sum(c.answers for c in counts),
              "written": sum(c.written for c in counts),
              "lost": sum(c.lost for c in counts),
              "duplicated": sum(c.duplicated for c in counts),
              "errors": sum(c.errors for c in counts)}
    for key, what in (("lost", "traces lost"), ("duplicated", "traces written twice"),
                      ("errors", "episodes that ended in an error")):
        if traces[key]:
            failures.append(f"{traces[key]} {what}")
    if traces["finished"] != traces["written"]:
        failures.append(f"{traces['finished']} episodes finished but {traces['written']} "
                        "traces written")
    episodes = sum(c.jobs for c in measured)
    wall = sum(c.wall_s for c in measured)
    return {
        "config": config.model_dump(mode="json"), "tasks": tasks, "fd_limit": fd_limit,
        "elapsed_s": round(elapsed, 1),
        "episodes_per_s": round(episodes / wall, 1) if wall else None,
        "figures": figures, "traces": traces,
        "runs": [{"jobs": c.jobs, "finished": c.answers, "written": c.written,
                  "lost": c.lost, "duplicated": c.duplicated, "errors": c.errors,
                  "wall_s": round(c.wall_s, 2),
                  "worker_rss_mib": round(c.worker_peaks.get("worker_rss_mib", 0.0), 1),
                  "worker_fds": int(c.worker_peaks.get("worker_fds", 0))}
                 for c in counts],
        "failures": failures, "ok": not failures,
    }


def _shown(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:g}"


def render_soak(report: dict[str, Any], console: Any) -> None:
    """Print a soak report as tables on a rich console."""
    from rich.table import Table

    figures = Table(title="soak: before (after the warm-up run), after, peak; RSS judged "
                          "by its growth over the second half of the runs")
    for column in ("figure", "start", "before", "after", "peak", "growth", "2nd half",
                   "tolerance", ""):
        figures.add_column(column, justify="left" if column == "figure" else "right")
    for row in report["figures"].values():
        figures.add_row(row["label"], *(_shown(row[key]) for key in
                                         ("start", "before", "after", "peak", "growth",
                                          "second_half", "tolerance")),
                        "ok" if row["ok"] else "GREW")
    console.print(figures)
    t = report["traces"]
    console.print(f"{t['runs']} runs, {t['jobs']} episodes, {t['finished']} finished, "
                  f"{t['written']} traces written, lost {t['lost']}, duplicated "
                  f"{t['duplicated']}, errors {t['errors']}; {report['episodes_per_s']} "
                  f"episodes/s after the warm-up; {report['elapsed_s']} s", highlight=False)
    for failure in report["failures"]:
        console.print(f"[red]failed:[/red] {failure}", highlight=False)
    if report["ok"]:
        console.print("[green]flat: nothing grew beyond its tolerance, no trace lost or "
                      "duplicated[/green]")
