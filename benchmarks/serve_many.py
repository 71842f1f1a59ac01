"""One ``workgym serve --many`` server holding many episodes, against a single-episode
``workgym serve --transport http`` server: tool-call latency, memory, create and close.

    python benchmarks/serve_many.py --sessions 1000 --calls 400 --concurrency 64

Both servers run as their own processes on loopback; this process drives them over
streamable HTTP with plain JSON-RPC (the handshake-era protocol, a held MCP session per
episode, JSON responses), so that the client's own cost is small and the same for both.

- single: one episode, one MCP session.
- many: ``--sessions`` episodes created (POST /episodes), each with an initialized MCP
  session and one file written, all held open.

Both servers run at once and take turns for ``--rounds`` rounds: sequential
``files_read`` calls (on ``many`` each to another episode), then the same from
``--concurrency`` callers at once (on ``many`` spread over every episode); then every
episode is closed (and graded). Each round gives a ratio many/single, so that the load of
a shared machine falls on both sides.

Reports p50/p99 latency and the servers' CPU time per call, the median per-round ratios,
episodes created and closed per second, and the many-episode server's memory (VmRSS)
empty, at ``--sessions`` and after closing. Linux only (reads /proc). Prints one JSON
object; ``--output`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

FAMILY = "office/library-catalogue-v1"
PROTOCOL = "2025-11-25"
ACCEPT = "application/json, text/event-stream"


@contextmanager
def server(args: list[str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A ``workgym serve`` process on a free loopback port and the URL it logged."""
    command = [sys.executable, "-c", "from workgym.cli import main; main()", "serve", *args,
               "--host", "127.0.0.1", "--port", "0", "--idle-timeout", "0"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        for line in process.stderr:
            match = re.search(r"serving (?:many episodes )?on (http://\S+?)(?::\s|$|\s)", line)
            if match:
                yield process, match.group(1).rstrip(":")
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s")
        else:
            raise RuntimeError(f"the server exited: {process.wait()}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used: steadier than wall time when other
    work shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(pid: int, phase: Any) -> dict[str, float]:
    """Run one phase; add the server's CPU time per call to its summary."""
    before = cpu_s(pid)
    out: dict[str, float] = await phase
    out["server_cpu_ms_per_call"] = round((cpu_s(pid) - before) * 1e3 / out["n"], 3)
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmRSS")


class Session:
    """One MCP session (handshake era) over plain HTTP, with its episode's token."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str | None) -> None:
        self.http, self.url = http, url
        self.headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.ids = 0

    async def _post(self, method: str, params: dict[str, Any], notify: bool = False) -> Any:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notify:
            self.ids += 1
            message["id"] = self.ids
        response = await self.http.post(self.url, json=message, headers=self.headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{method}: HTTP {response.status_code} {response.text[:200]}")
        if notify:
            return None
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._post("tools/call",
                                                  {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(f"{name} failed: {result['content'][0]['text']}")
        return result


async def open_session(http: httpx.AsyncClient, url: str, token: str | None) -> Session:
    session = Session(http, url, token)
    response = await http.post(url, headers=session.headers, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                   "clientInfo": {"name": "serve_many-bench", "version": "1"}}})
    response.raise_for_status()
    session.headers["Mcp-Session-Id"] = response.headers["mcp-session-id"]
    session.headers["MCP-Protocol-Version"] = PROTOCOL
    await session._post("notifications/initialized", {}, notify=True)
    await session.call("files_write", {"path": "bench.txt", "content": "x" * 200})
    return session


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1e3, 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3, 3)}


async def sequential(sessions: list[Session], calls: int) -> dict[str, float]:
    latencies = []
    for i in range(calls):
        session = sessions[(i * 7919) % len(sessions)]  # hop between episodes
        started = time.perf_counter()
        await session.call("files_read", {"path": "bench.txt"})
        latencies.append(time.perf_counter() - started)
    return summary(latencies)


async def concurrent(sessions: list[Session], calls: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    started_all = time.perf_counter()

    async def worker(k: int) -> None:
        for i in range(k, calls, concurrency):
            session = sessions[(i * 7919) % len(sessions)]
            started = time.perf_counter()
            await session.call("files_read", {"path": "bench.txt"})
            latencies.append(time.perf_counter() - started)

    async with anyio.create_task_group() as tasks:
        for k in range(concurrency):
            tasks.start_soon(worker, k)
    out = summary(latencies)
    out["calls_per_s"] = round(calls / (time.perf_counter() - started_all), 1)
    return out


def limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)


async def create_episodes(http: httpx.AsyncClient, base: str,
                          n: int) -> tuple[list[dict[str, Any]], list[Session], float]:
    """``n`` episodes, each with an open MCP session and one file written."""
    created: list[dict[str, Any]] = []
    sessions: list[Session] = []
    limiter = anyio.CapacityLimiter(16)

    async def start(seed: int) -> None:
        async with limiter:
            response = await http.post(f"{base}/episodes",
                                       json={"family_id": FAMILY, "seed": seed})
            response.raise_for_status()
            body = response.json()
            created.append(body)
            sessions.append(await open_session(http, body["url"], body["token"]))

    started = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for seed in range(n):
            tasks.start_soon(start, seed % 50)
    return created, sessions, time.perf_counter() - started


async def close_episodes(http: httpx.AsyncClient, base: str,
                         created: list[dict[str, Any]]) -> tuple[int, float]:
    graded = 0
    limiter = anyio.CapacityLimiter(16)

    async def close(body: dict[str, Any]) -> None:
        nonlocal graded
        async with limiter:
            response = await http.post(f"{base}/episodes/{body['episode_id']}/close",
                                       headers={"Authorization": f"Bearer {body['token']}"})
            response.raise_for_status()
            graded += "grade" in response.json()

    started = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for body in created:
            tasks.start_soon(close, body)
    return graded, time.perf_counter() - started


def pooled(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Per-round summaries pooled: medians of the rounds' p50s and CPU, worst p99."""
    out = {"n": sum(r["n"] for r in rounds),
           "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 3),
           "p99_ms": round(max(r["p99_ms"] for r in rounds), 3),
           "server_cpu_ms_per_call": round(statistics.median(
               r["server_cpu_ms_per_call"] for r in rounds), 3)}
    if "calls_per_s" in rounds[0]:
        out["calls_per_s"] = round(statistics.median(r["calls_per_s"] for r in rounds), 1)
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    per_round = max(1, args.calls // args.rounds)
    with server([FAMILY, "--transport", "http"]) as (single_process, single_url), \
            server(["--many", "--max-episodes", str(args.sessions)]) as (process, base):
        async with httpx.AsyncClient(limits=limits(args.concurrency), timeout=300) as http:
            single_session = await open_session(http, single_url, None)
            many: dict[str, Any] = {"rss_mb_empty": rss_mb(process.pid)}
            created, sessions, took = await create_episodes(http, base, args.sessions)
            many["sessions"] = len(sessions)
            many["created_per_s"] = round(len(sessions) / took, 1)
            many["rss_mb_full"] = rss_mb(process.pid)
            many["rss_kb_per_episode"] = round(
                (many["rss_mb_full"] - many["rss_mb_empty"]) * 1024 / len(sessions), 1)
            await sequential([single_session], 50)  # warm up
            await sequential(sessions, 50)
            # The two servers take turns, round by round, so that a change in the load
            # of the machine falls on both; each round gives one ratio.
            rounds: dict[str, dict[str, list[dict[str, float]]]] = {
                phase: {"single": [], "many": []} for phase in ("sequential", "concurrent")}
            for _ in range(args.rounds):
                rounds["sequential"]["single"].append(await measured(
                    single_process.pid, sequential([single_session], per_round)))
                rounds["sequential"]["many"].append(await measured(
                    process.pid, sequential(sessions, per_round)))
                rounds["concurrent"]["single"].append(await measured(
                    single_process.pid,
                    concurrent([single_session], per_round, args.concurrency)))
                rounds["concurrent"]["many"].append(await measured(
                    process.pid, concurrent(sessions, per_round, args.concurrency)))
            status = (await http.get(f"{base}/episodes")).json()
            many["open_before_close"] = status["open"]
            graded, took = await close_episodes(http, base, created)
            many["closed_per_s"] = round(len(created) / took, 1)
            many["graded"] = graded
            many["open_after_close"] = (await http.get(f"{base}/episodes")).json()["open"]
            many["rss_mb_after_close"] = rss_mb(process.pid)
            single: dict[str, Any] = {"rss_mb": rss_mb(single_process.pid)}
    ratios: dict[str, float] = {}
    for phase, sides in rounds.items():
        single[phase] = pooled(sides["single"])
        many[phase] = pooled(sides["many"])
        for key in ("p50_ms", "server_cpu_ms_per_call"):
            ratios[f"{phase}_{key}"] = round(statistics.median(
                m[key] / s[key] for s, m in zip(sides["single"], sides["many"], strict=True)), 2)
    return {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                        "load_average": os.getloadavg()},
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "single": single, "many": many,
            "ratio_many_over_single": ratios,
            "ratio_note": "median over rounds of the per-round ratio many / single"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=10,
                        help="turns the two servers take; --calls are spread over them")
    parser.add_argument("--output", type=Path)
    parsed = parser.parse_args()
    result = anyio.run(main, parsed)
    text = json.dumps(result, indent=2)
    print(text)
    if parsed.output:
        parsed.output.write_text(text + "\n")
