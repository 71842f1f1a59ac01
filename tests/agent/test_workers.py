"""Rollouts over worker processes: one run folder, the same traces as one process,
resumption, locking, and a worker killed or failing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from scripted_openai import completion, turn_script

from workgym.agent import (
    PolicyError,
    RunConfig,
    RunLocked,
    load_traces,
    open_run,
    run,
)
from workgym.agent._workers import _shares

SUITE = "family:examples/note-total-v1"


def solver(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Solve the example task from the conversation: list, read, write the total."""
    results = [m for m in body["messages"] if m["role"] == "tool"]
    if not results:
        return completion(calls=[("files_list", '{"path": "notes", "recursive": true}')])
    if len(results) == 1:
        notes = [e["path"] for e in json.loads(results[0]["content"]) if e["type"] == "file"]
        return completion(calls=[("files_read", json.dumps({"path": p})) for p in notes])
    if not any(c["function"]["name"] == "files_write" for m in body["messages"]
               for c in m.get("tool_calls") or []):
        total = sum(int(x) for m in results[1:] for x in re.findall(r": (\d+)", m["content"]))
        return completion(calls=[("files_write",
                                  json.dumps({"path": "total.txt", "content": f"{total}\n"}))])
    return completion("Wrote the total.")


def _lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "traces.jsonl").read_text().splitlines()]


def _comparable(trace: Any) -> tuple[Any, ...]:
    return (trace.task_id, trace.sample, trace.score, trace.stats.tool_calls,
            [m.get("content") for m in trace.messages])


async def test_workers_write_the_same_run_as_one_process(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=2, k=2, concurrency=4)
    one = await run(config, tmp_path / "one")
    two = await run(config.model_copy(update={"workers": 2}), tmp_path / "two")
    assert two.new == 12 and two.resumed == 0 and not two.errors
    assert sorted(map(_comparable, two.traces)) == sorted(map(_comparable, one.traces))
    keys = [(line["task_id"], line["sample"]) for line in _lines(tmp_path / "two")]
    assert len(keys) == len(set(keys)) == 12
    saved = json.loads((tmp_path / "two" / "config.json").read_text())
    assert saved["workers"] == 2


async def test_workers_resume_what_is_missing_and_nothing_twice(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=2, k=2, workers=2)
    await run(config, tmp_path)
    path = tmp_path / "traces.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:5]) + lines[5][:40])  # 5 finished, one cut off
    again = await run(config.model_copy(update={"workers": 3}), tmp_path)
    assert again.resumed == 5 and again.new == 7 and not again.errors
    assert path.read_bytes().startswith(b"".join(lines[:5]))
    pairs = [(t.task_id, t.sample) for t in load_traces(tmp_path)]
    assert len(pairs) == len(set(pairs)) == 12
    done = await run(config, tmp_path)
    assert done.new == 0 and done.resumed == 12


async def test_a_locked_folder_is_refused_before_any_worker_starts(note_family, tmp_path):
    config = RunConfig(policy="reference", suite=SUITE, per_level=1, workers=2)
    with open_run(config, tmp_path), pytest.raises(RunLocked):
        await run(config, tmp_path)
    assert not (tmp_path / "traces.jsonl").exists()


async def test_endpoint_workers_share_requests_and_merge_warnings(note_family, scripted_server,
                                                                  tmp_path):
    server = scripted_server(solver)
    config = RunConfig(policy="openai", base_url=server.url, model="scripted",
                       suite=SUITE, per_level=1, k=2, workers=2, concurrency=4)
    result = await run(config, tmp_path / "solved")
    assert len(result.traces) == 6 and all(t.score == 1.0 for t in result.traces)
    assert len(server.requests) == 4 * 6  # list, read, write, answer per rollout
    silent = scripted_server(turn_script(completion("no tools today")))
    quiet = await run(config.model_copy(update={"base_url": silent.url}), tmp_path / "quiet")
    no_calls = [w for w in quiet.warnings if w.startswith("no tool call")]
    assert no_calls == [("no tool call in any of the 6 traces: the model never used the "
                         "tools, so no task could be solved")]
    # the server's warning counts the requests of both workers, as one process would
    assert any(w.startswith("the server answered 6 requests that carried tools")
               for w in quiet.warnings), quiet.warnings
    assert len(quiet.warnings) == 2


async def test_an_endpoint_not_listening_fails_once_before_the_workers(note_family,
                                                                     closed_port_url,
                                                                     tmp_path):
    config = RunConfig(policy="openai", base_url=closed_port_url, model="m", suite=SUITE,
                       per_level=1, workers=2, retries=0)
    with pytest.raises(PolicyError):
        await run(config, tmp_path)
    assert not (tmp_path / "traces.jsonl").exists() or not _lines(tmp_path)


def test_shares_interleave_jobs_and_divide_concurrency(note_family):
    config = RunConfig(policy="reference", suite=SUITE, per_level=2, k=2, workers=3,
                       concurrency=8)
    jobs = [(spec, sample) for spec in config.specs() for sample in range(2)]
    shares = _shares(jobs, config)
    assert [c for _, c in shares] == [3, 3, 2]
    assert sorted((s.id, n) for share, _ in shares for s, n in share) == sorted(
        (s.id, n) for s, n in jobs)
    # each task's samples in one worker (it generates the task once), tasks dealt out
    owner = {s.id: i for i, (share, _) in enumerate(shares) for s, _ in share}
    assert all(owner[s.id] == i for i, (share, _) in enumerate(shares) for s, _ in share)
    sizes = [len(share) for share, _ in shares]
    assert max(sizes) - min(sizes) <= 2  # at most one task's samples apart
    one_task = [job for job in jobs if job[0].id == jobs[0][0].id]
    assert [len(share) for share, _ in _shares(one_task, config)] == [1, 1]  # samples dealt
    assert _shares(jobs[:1], config) == [(jobs[:1], 8)]  # never more workers than jobs
    narrow = config.model_copy(update={"concurrency": 2})
    assert len(_shares(jobs, narrow)) == 2  # nor more than rollouts in flight

