"""Faults at the model endpoint, over real loopback HTTP into real run folders.

A server that answers garbage, never answers, drops the connection mid-response or
fails with 500 before recovering: the run still finishes; what failed for the
endpoint's sake is an error trace (stop reason ``error``, no grade) that every metric
leaves out instead of scoring it 0; transient faults are retried away; a rerun redoes
only the errors and keeps every finished trace exactly once. Then a run over two
worker processes killed with SIGKILL resumes without loss or duplicates.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from faulty_openai import Fault, FaultKind, FaultyServer
from scripted_openai import Reply, completion

from workgym.agent import (
    EndpointConfig,
    OpenAIPolicy,
    RunConfig,
    SamplingConfig,
    load_traces,
    quick_summary,
    run,
)
from workgym.core import derive_seed
from workgym.eval import load_run, summarize

SUITE = "family:examples/note-total-v1"
SEED = 7
ROOT = Path(__file__).resolve().parents[2]


def solver(body: dict[str, Any]) -> Reply:
    """Solve the example task from the conversation: list the notes, read each one,
    write their total, answer."""
    results = [m for m in body["messages"] if m["role"] == "tool"]
    if not results:
        return completion(calls=[("files_list", '{"path": "notes", "recursive": true}')])
    if len(results) == 1:
        notes = [e["path"] for e in json.loads(results[0]["content"]) if e["type"] == "file"]
        return completion(calls=[("files_read", json.dumps({"path": p})) for p in notes])
    wrote = any(c["function"]["name"] == "files_write" for m in body["messages"]
                for c in m.get("tool_calls") or [])
    if not wrote:
        total = sum(int(x) for m in results[1:] for x in re.findall(r": (\d+)", m["content"]))
        return completion(calls=[("files_write",
                                  json.dumps({"path": "total.txt", "content": f"{total}\n"}))])
    return completion("Wrote the total.")


def _config(**update: Any) -> RunConfig:
    fields: dict[str, Any] = {"policy": "openai", "base_url": "http://unused/v1",
                              "model": "faulty", "suite": SUITE, "per_level": 1, "k": 2,
                              "sampling": SamplingConfig(seed=SEED)}
    return RunConfig(**(fields | update))


def _turns(config: RunConfig) -> dict[int, tuple[str, int, int]]:
    """The request seed of every (task, sample, turn) of the run: how the server tells
    the rollouts apart (the example task's prompt is the same for every task)."""
    return {derive_seed(SEED, spec.id, sample, turn) % 2**31: (spec.id, sample, turn)
            for spec in config.specs() for sample in range(config.k) for turn in range(8)}


def _policy(url: str, retries: int = 2, timeout_s: float = 0.4,
            client: Literal["lean", "openai"] = "lean") -> OpenAIPolicy:
    endpoint = EndpointConfig(base_url=url, model="faulty", retries=retries, backoff_s=0.01,
                              timeout_s=timeout_s, client=client)
    return OpenAIPolicy(endpoint, SamplingConfig(seed=SEED))


FAULTS: dict[str, tuple[Fault, bool]] = {
    "500": (Fault("status", status=500), True),
    "503": (Fault("status", status=503), True),
    "timeout": (Fault("hang"), True),
    "cut-mid-body": (Fault("cut"), True),
    "not-json": (Fault("text"), False),
    "json-not-a-completion": (Fault("json", body={"object": "error", "detail": "busy"}), False),
    "json-array": (Fault("json", body=[1, 2, 3]), False),
    "choice-without-message": (Fault("json", body={"choices": [{"index": 0}]}), False),
}
"""Each fault, and whether a request that met it is retried (the server was down, slow
or cut off) rather than failed at once (it answered, with something unusable)."""

ERROR_WORDS: dict[FaultKind, str] = {
    "status": "InternalServerError after 3 tries", "hang": "APITimeoutError after 3 tries",
    "cut": "APIConnectionError after 3 tries", "text": "invalid JSON",
    "json": "the server answered",
}


def _plan(turns: dict[int, tuple[str, int, int]], persistent: str, transient: str,
          fault: Fault) -> Callable[[dict[str, Any], int], Fault | None]:
    """``fault`` on every try of the second turn of task ``persistent``, and on the
    first try of the first turn of task ``transient``; none elsewhere."""

    def plan(body: dict[str, Any], attempt: int) -> Fault | None:
        task_id, _, turn = turns[body["seed"]]
        if task_id == persistent and turn == 1:
            return fault
        if task_id == transient and turn == 0 and attempt == 0:
            return fault
        return None

    return plan


SDK_FAULTS = ("500", "cut-mid-body", "not-json", "json-array", "choice-without-message")
"""The faults also sent to the ``openai`` SDK client, which reads responses its own way."""


@pytest.mark.parametrize(("name", "client"), [(name, "lean") for name in FAULTS]
                         + [(name, "openai") for name in SDK_FAULTS],
                         ids=[*FAULTS, *(f"{name}-sdk" for name in SDK_FAULTS)])
async def test_endpoint_faults_are_errors_never_zeros(name, client, note_family, tmp_path):
    fault, retried = FAULTS[name]
    config = _config()
    hit, flaky, _clean = (spec.id for spec in config.specs())
    plan = _plan(_turns(config), hit, flaky, fault)
    with FaultyServer(solver, plan) as server:
        result = await run(config, tmp_path, policy=_policy(server.url, client=client))
    by_task: dict[str, list[Any]] = {}
    for trace in load_traces(tmp_path):
        by_task.setdefault(trace.task_id, []).append(trace)
    assert sorted(len(v) for v in by_task.values()) == [2, 2, 2]  # the run finished
    failed = [hit] if retried else [hit, flaky]
    for task_id, traces in by_task.items():
        for trace in traces:
            if task_id in failed:
                assert trace.stop_reason == "error" and trace.grade is None, trace.error
                assert trace.score is None and not trace.truncated
                assert ERROR_WORDS[fault.kind] in (trace.error or ""), trace.error
            else:
                assert trace.error is None and trace.score == 1.0, trace.error
    # the tries each rollout's faulted request got: all of them, or just the first
    tries = 3 if retried else 1
    assert server.faults() == 2 * tries + 2  # task `hit` x 2 samples, task `flaky` x 2
    assert len(result.errors) == 2 * len(failed)

    # Metrics leave the errors out: the graded rollouts all scored 1.0, and the errors
    # are counted beside them, not averaged in as zeros.
    traces = load_run(tmp_path)
    summary = summarize(traces)
    graded = 6 - 2 * len(failed)
    assert summary.errors == 2 * len(failed) and summary.traces == 6
    assert summary.overall.samples == graded and summary.overall.tasks == 3 - len(failed)
    assert summary.overall.mean_score.value == 1.0
    assert summary.overall.pass_at_k[1].value == 1.0
    assert summary.overall.any_reward.value == 1.0
    quick = quick_summary(traces)
    assert quick.errors == 2 * len(failed) and quick.mean_score == 1.0 == quick.pass_rate

    # A rerun against a healthy server redoes only the errors; every finished trace is
    # still there, byte for byte, exactly once.
    finished = [line for line in (tmp_path / "traces.jsonl").read_bytes().splitlines(True)
                if json.loads(line)["error"] is None]
    with FaultyServer(solver) as healthy:
        again = await run(config, tmp_path, policy=_policy(healthy.url, client=client))
    assert again.resumed == graded and again.new == 2 * len(failed) and not again.errors
    after = (tmp_path / "traces.jsonl").read_bytes().splitlines(True)
    assert all(after.count(line) == 1 for line in finished)
    pairs = [(t.task_id, t.sample) for t in load_traces(tmp_path)]
    assert len(pairs) == len(set(pairs)) == 6
    assert summarize(load_run(tmp_path)).overall.mean_score.value == 1.0
    assert len(healthy.served) == 4 * 2 * len(failed)  # 4 requests per rollout redone


async def test_retries_from_the_run_config_recover_from_a_502(note_family, tmp_path):
    """The built-in policy made from the RunConfig (its retries, its default backoff)
    rides out a first request that fails once."""
    config = _config(retries=1, k=1, timeout_s=5.0)
    config = config.model_copy(update={"tasks": config.specs()[:1]})
    turns = _turns(config)

    def plan(body: dict[str, Any], attempt: int) -> Fault | None:
        return Fault("status", status=502) if turns[body["seed"]][2] == 0 and attempt < 1 \
            else None

    with FaultyServer(solver, plan) as server:
        result = await run(config.model_copy(update={"base_url": server.url}), tmp_path)
    assert [t.score for t in result.traces] == [1.0] and not result.errors
    assert server.faults("status") == 1 and len(server.served) == 1 + 4


async def test_a_server_that_never_answers_fails_every_rollout_and_the_run_ends(
        note_family, tmp_path):
    """Nothing answers in time, ever: each rollout ends as a timeout error once its
    tries are spent, the run returns, and nothing is scored."""
    with FaultyServer(solver, lambda body, attempt: Fault("hang")) as server:
        started = time.monotonic()
        config = _config(concurrency=6)
        result = await run(config, tmp_path, policy=_policy(server.url, retries=1,
                                                             timeout_s=0.3))
        elapsed = time.monotonic() - started
    assert len(result.traces) == 6 and len(result.errors) == 6
    assert all("APITimeoutError after 2 tries" in e for e in result.errors)
    assert all(t.stop_reason == "error" and t.grade is None for t in result.traces)
    assert elapsed < 10  # every request was given up at its time limit
    assert quick_summary(result.traces).mean_score is None  # nothing scored: no 0 either
    assert server.faults("hang") == 12


# -- a run over worker processes, killed and resumed ------------------------------------


def _eval_command(url: str, folder: Path, *extra: str) -> list[str]:
    code = ("import workgym.cli._families, workgym.cli._eval\n"
            "from workgym.cli import app\napp(prog_name='workgym')\n")
    return [sys.executable, "-c", code, "eval", "--import", "minimal_family", "--model", url,
            "--suite", SUITE, "--per-level", "2", "-k", "3", "--concurrency", "4",
            "--workers", "2", "--seed", str(SEED), "--retries", "1", "-o", str(folder),
            "--no-progress", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "examples"), os.environ.get("PYTHONPATH", "")])}


def _whole_lines(path: Path) -> list[bytes]:
    data = path.read_bytes() if path.exists() else b""
    return [line for line in data.splitlines(keepends=True) if line.endswith(b"\n")]


def _wait_unlocked(folder: Path, timeout: float = 10.0) -> None:
    """Wait until no process holds the run folder's lock (the killed run's workers)."""
    deadline = time.monotonic() + timeout
    with (folder / ".lock").open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError("the killed run's workers still hold the run lock")
                time.sleep(0.05)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return


@pytest.mark.slow
def test_workers_killed_mid_run_resume_without_loss_or_duplicates(note_family, tmp_path):
    def slow(body: dict[str, Any]) -> Reply:
        time.sleep(0.1)
        return solver(body)

    folder = tmp_path / "run"
    traces_path = folder / "traces.jsonl"
    with FaultyServer(slow) as server:
        proc = subprocess.Popen(_eval_command(server.url, folder), env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 90
            while len(_whole_lines(traces_path)) < 3:
                if proc.poll() is not None:
                    raise AssertionError(f"eval ended early: {proc.communicate()[1]}")
                if time.monotonic() > deadline:
                    raise AssertionError("no traces within 90 s")
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        _wait_unlocked(folder)  # the workers died with their parent
        kept = _whole_lines(traces_path)
        assert 3 <= len(kept) < 18, len(kept)
        served = len(server.served)
        done = subprocess.run(_eval_command(server.url, folder, "--json"), env=_env(),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        resumed_requests = len(server.served) - served
    summary = json.loads(done.stdout)
    assert summary["resumed"] == len(kept) and summary["new"] == 18 - len(kept)
    assert summary["traces"] == 18 and summary["errors"] == 0 and summary["mean_score"] == 1.0
    after = traces_path.read_bytes()
    assert after.startswith(b"".join(kept))  # nothing finished was lost or rewritten
    keys = [(line["task_id"], line["sample"]) for line in map(json.loads, after.splitlines())]
    assert len(keys) == len(set(keys)) == 18
    assert resumed_requests == 4 * (18 - len(kept))  # only the rollouts not finished
