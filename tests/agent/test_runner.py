"""The runner: concurrency, the run folder, resumption, config checks, interrupts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from scripted_openai import completion

from workgym.agent import (
    AssistantTurn,
    PolicyContext,
    PolicyError,
    ReplayPolicy,
    RunConfig,
    RunConfigMismatch,
    RunLocked,
    TraceWriter,
    load_traces,
    open_run,
    quick_summary,
    run,
    run_failure,
)
from workgym.agent._runner import _run_lock
from workgym.core import Trace

SUITE = "family:examples/note-total-v1"
ROOT = Path(__file__).resolve().parents[2]


def _pairs(folder: Path) -> list[tuple[str, int]]:
    return [(t.task_id, t.sample) for t in load_traces(folder)]


async def test_reference_and_noop_runs(note_family, tmp_path):
    ref = await run(RunConfig(policy="reference", suite=SUITE, per_level=2, k=2), tmp_path / "ref")
    assert len(ref.traces) == 12 and ref.new == 12 and ref.resumed == 0
    assert all(t.score == 1.0 and t.grade and t.grade.passed for t in ref.traces)
    pairs = _pairs(tmp_path / "ref")
    assert len(pairs) == len(set(pairs)) == 12
    saved = json.loads((tmp_path / "ref" / "config.json").read_text())
    assert saved["policy"] == "reference" and saved["k"] == 2 and saved["suite"] == SUITE
    assert {t.spec.difficulty for t in ref.traces} == {"easy", "medium", "hard"}
    noop = await run(RunConfig(policy="noop", suite=SUITE, per_level=2), tmp_path / "noop")
    summary = quick_summary(noop.traces)
    assert summary.mean_score == 0.0 and summary.pass_rate == 0.0 and summary.traces == 6
    assert all(t.stats.closure is False for t in noop.traces)


async def test_rerun_resumes_and_refuses_another_config(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=2)
    await run(config, tmp_path)
    before = (tmp_path / "traces.jsonl").read_bytes()
    again = await run(config.model_copy(update={"concurrency": 3}), tmp_path)
    assert again.new == 0 and again.resumed == 6
    assert (tmp_path / "traces.jsonl").read_bytes() == before
    with pytest.raises(RunConfigMismatch, match=r"k: saved 1, now 2"):
        await run(config.model_copy(update={"k": 2}), tmp_path)
    fresh = await run(config.model_copy(update={"k": 2}), tmp_path, overwrite=True)
    assert fresh.new == 12 and len(_pairs(tmp_path)) == 12


class FlakyPolicy:
    """Fails (as an endpoint would) on the tasks named in ``failing``."""

    name = "flaky"
    model = "flaky-model"

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.asked: list[tuple[str, int]] = []

    async def act(self, messages: Any, tools: Any, ctx: PolicyContext) -> AssistantTurn:
        self.asked.append((ctx.task.id, ctx.sample))
        if ctx.task.id in self.failing:
            raise PolicyError("endpoint down")
        return AssistantTurn(content="done")


async def test_errors_are_retried_on_resume_without_duplicates(note_family, tmp_path):
    config = RunConfig(policy="flaky", suite=SUITE, per_level=1, k=2)
    specs = config.specs()
    failing = {specs[0].id}
    first = await run(config, tmp_path, policy=FlakyPolicy(failing))
    assert len(first.errors) == 2 and first.new == 6
    assert sum(t.error is not None for t in load_traces(tmp_path)) == 2
    policy = FlakyPolicy(set())
    second = await run(config, tmp_path, policy=policy)
    assert sorted(policy.asked) == [(specs[0].id, 0), (specs[0].id, 1)]
    assert second.resumed == 4 and second.new == 2
    traces = load_traces(tmp_path)
    assert all(t.error is None for t in traces)
    pairs = [(t.task_id, t.sample) for t in traces]
    assert len(pairs) == len(set(pairs)) == 6


async def test_run_failure_counts_errors_against_the_allowed_share(note_family, tmp_path):
    config = RunConfig(policy="flaky", suite=SUITE, per_level=1, k=2)
    failing = {config.specs()[0].id}  # 2 of 6 rollouts fail
    result = await run(config, tmp_path, policy=FlakyPolicy(failing))
    why = run_failure(result.traces)
    assert why is not None and why.startswith("2 of 6 rollouts failed, more than the 10%")
    assert why.endswith("first error: PolicyError: endpoint down")
    assert run_failure(result.traces, max_error_share=0.5) is None
    everything = await run(config, tmp_path / "all",
                           policy=FlakyPolicy({s.id for s in config.specs()}))
    assert run_failure(everything.traces, 1.0) == (
        "no rollout could be graded (6 errors); first error: PolicyError: endpoint down")
    with pytest.raises(ValueError, match="max_error_share"):
        run_failure(result.traces, 1.5)


async def test_run_warns_when_no_trace_calls_a_tool(note_family, tmp_path):
    config = RunConfig(policy="flaky", suite=SUITE, per_level=1)
    silent = await run(config, tmp_path / "silent", policy=FlakyPolicy(set()))
    assert silent.warnings == [("no tool call in any of the 3 traces: the model never used "
                                "the tools, so no task could be solved")]
    noop = await run(RunConfig(policy="noop", suite=SUITE, per_level=1), tmp_path / "noop")
    assert noop.warnings == []  # it never calls a tool by design
    ref = await run(RunConfig(policy="reference", suite=SUITE, per_level=1), tmp_path / "ref")
    assert ref.warnings == []


async def test_cut_off_last_line_is_dropped_and_rerun(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=1)
    await run(config, tmp_path)
    path = tmp_path / "traces.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # a killed write
    again = await run(config, tmp_path)
    assert again.resumed == 2 and again.new == 1
    assert path.read_bytes().startswith(b"".join(lines[:2]))
    assert len(_pairs(tmp_path)) == 3


def test_trace_writer_never_interleaves(note_family, tmp_path):
    task = note_family.task(note_family.spec(0, "easy"))
    path = tmp_path / "traces.jsonl"
    writer = TraceWriter(path)
    big = [{"role": "tool", "content": "y" * 200_000}]  # larger than one write buffer

    def write(worker: int) -> None:
        for sample in range(5):
            writer.write(Trace(task_id=task.id, spec=task.spec, sample=worker * 10 + sample,
                               policy="t", messages=big))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    traces = load_traces(path)
    assert sorted(t.sample for t in traces) == sorted(w * 10 + s for w in range(6) for s in range(5))


def test_run_folder_is_locked_while_a_run_writes(tmp_path):
    with _run_lock(tmp_path), pytest.raises(RunLocked), _run_lock(tmp_path):
        pass
    with _run_lock(tmp_path):  # released
        pass


async def test_open_run_locks_the_folder_and_lists_the_jobs_left(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=1, k=2)
    first = await run(config.model_copy(update={"k": 1}), tmp_path)
    with pytest.raises(RunConfigMismatch), open_run(config, tmp_path):
        pass
    with open_run(config, tmp_path, overwrite=True) as opened:
        assert opened.result.resumed == 0 and len(opened.jobs) == 6
        with pytest.raises(RunLocked), open_run(config, tmp_path, overwrite=True):
            pass
        for trace in first.traces:
            opened.writer.write(trace)
            opened.result.add(trace)
        assert opened.result.new == 3 and not opened.result.errors
    with open_run(config, tmp_path) as opened:  # released; the k=1 traces count as done
        assert opened.result.resumed == 3
        assert sorted(sample for _, sample in opened.jobs) == [1, 1, 1]


async def test_replay_reproduces_a_run(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=1, k=2)
    ref = await run(config, tmp_path / "ref")
    replay = ReplayPolicy(tmp_path / "ref")
    assert len(replay) == 6
    again = await run(config.model_copy(update={"policy": "replay",
                                                "replay_from": str(tmp_path / "ref")}),
                      tmp_path / "replay")
    by_key = {(t.task_id, t.sample): t for t in ref.traces}
    for trace in again.traces:
        original = by_key[(trace.task_id, trace.sample)]
        assert trace.policy == "replay" and trace.score == 1.0
        assert [c.model_dump(exclude={"duration_s"}) for c in trace.calls] == [
            c.model_dump(exclude={"duration_s"}) for c in original.calls]
    missing = await run(config.model_copy(update={"policy": "replay", "k": 3,
                                                  "replay_from": str(tmp_path / "ref")}),
                        tmp_path / "replay3")
    assert len(missing.errors) == 3 and all("no trace to replay" in e for e in missing.errors)


def _solver(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Solve the example task from the conversation: list the notes, read them all, write
    the total."""
    tools = [m for m in body["messages"] if m["role"] == "tool"]
    if not tools:
        return completion(calls=[("files_list", '{"path": "notes", "recursive": true}')])
    if len(tools) == 1:
        notes = [e["path"] for e in json.loads(tools[0]["content"]) if e["type"] == "file"]
        return completion(calls=[("files_read", json.dumps({"path": p})) for p in notes])
    if not any(c["function"]["name"] == "files_write" for m in body["messages"]
               for c in m.get("tool_calls") or []):
        total = sum(int(x) for m in tools[1:] for x in re.findall(r": (\d+)", m["content"]))
        return completion(calls=[("files_write",
                                  json.dumps({"path": "total.txt", "content": f"{total}\n"}))])
    return completion("Wrote the total.")


def _eval_command(url: str, folder: Path, *extra: str) -> list[str]:
    # Ctrl-C reaches the child as from a terminal, whatever this process inherited: a
    # shell starts background jobs with SIGINT ignored, and exec keeps it ignored.
    code = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "import workgym.cli._families, workgym.cli._eval\n"
            "from workgym.cli import app\napp(prog_name='workgym')\n")
    return [sys.executable, "-c", code, "eval", "--import", "minimal_family", "--model", url,
            "--suite", SUITE, "--per-level", "1", "-k", "2", "--concurrency", "2",
            "--retries", "1", "-o", str(folder), "--no-progress", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "examples"), os.environ.get("PYTHONPATH", "")])}


def _wait_for_lines(proc: subprocess.Popen[str], path: Path, n: int,
                    timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"eval ended early: {proc.communicate()[1]}")
        time.sleep(0.05)
    raise TimeoutError(f"{path} did not reach {n} lines")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_interrupted_eval_resumes_without_loss_or_duplicates(how, scripted_server, tmp_path):
    server = scripted_server(_solver, delay_s=0.15)
    folder = tmp_path / "run"
    proc = subprocess.Popen(_eval_command(server.url, folder), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_lines(proc, folder / "traces.jsonl", 2)
        proc.send_signal(how)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if how == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "rerun the same command to resume" in stderr
    before = (folder / "traces.jsonl").read_bytes()
    kept = [line for line in before.splitlines(keepends=True) if line.endswith(b"\n")]
    assert 2 <= len(kept) < 6
    served = len(server.requests)
    done = subprocess.run(_eval_command(server.url, folder, "--json"), env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["resumed"] == len(kept) and summary["new"] == 6 - len(kept)
    assert summary["traces"] == 6 and summary["mean_score"] == 1.0 and summary["errors"] == 0
    after = (folder / "traces.jsonl").read_bytes()
    assert after.startswith(b"".join(kept))  # nothing finished was lost or rewritten
    pairs = _pairs(folder)
    assert len(pairs) == len(set(pairs)) == 6
    # The rerun asked only for the rollouts that were not finished (4 requests each).
    assert len(server.requests) - served == 4 * (6 - len(kept))


class _HoldingServer:
    """Answers ``GET /models`` at once and holds every chat request for ``hold_s``,
    noting each one whose client hung up while it was held."""

    def __init__(self, hold_s: float) -> None:
        import http.server

        self.hold_s = hold_s
        self.arrived = 0
        self.abandoned = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "held", "object": "model"}]})

            def do_POST(self) -> None:
                import select
                import socket

                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner._lock:
                    owner.arrived += 1
                deadline = time.monotonic() + owner.hold_s
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([self.connection], [], [], 0.05)
                    if ready and not self.connection.recv(1, socket.MSG_PEEK):
                        with owner._lock:
                            owner.abandoned += 1
                        return
                self._send(completion("done")[1])

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def test_ctrl_c_cancels_the_requests_in_flight(tmp_path):
    server = _HoldingServer(hold_s=120.0)
    proc = subprocess.Popen(_eval_command(server.url, tmp_path / "run"), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while server.arrived < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert server.arrived == 2  # --concurrency 2: two requests held
        proc.send_signal(signal.SIGINT)
        # Far sooner than the 120 s the server holds them: the client did not wait.
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        deadline = time.monotonic() + 10
        while server.abandoned < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.abandoned == 2  # both connections closed: a server can stop generating
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
