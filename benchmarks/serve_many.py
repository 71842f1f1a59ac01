"""One ``workgym serve --many`` server holding many episodes, against a single-episode
``workgym serve --transport http`` server: tool-call latency, memory, create and close.

    python benchmarks/serve_many.py --sessions 1000 --calls 400 --concurrency 64

Both servers run as their own processes on loopback; this process drives them over
streamable HTTP with plain JSON-RPC (the handshake-era protocol, a held MCP session per
episode, JSON responses), so that the client's own cost is small and the same for both.

1. single: one episode, one MCP session; ``--calls`` sequential ``files_read`` calls,
   then the same number again from ``--concurrency`` callers at once.
2. many: ``--sessions`` episodes created (POST /episodes), each with an initialized MCP
   session and one file written; all held open. Then ``--calls`` sequential calls, each
   to another episode, and the same from ``--concurrency`` callers spread over every
   episode; then every episode is closed (and graded).

Reports p50/p99 latency of each phase, the ratios many/single, episodes created and
closed per second, and the server's memory (VmRSS) before, at ``--sessions`` and after
closing. Linux only (reads /proc). Prints one JSON object; ``--output`` also writes it.
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


async def bench_single(args: argparse.Namespace) -> dict[str, Any]:
    with server([FAMILY, "--transport", "http"]) as (process, url):
        async with httpx.AsyncClient(limits=limits(args.concurrency), timeout=60) as http:
            session = await open_session(http, url, None)
            await sequential([session], 50)  # warm up
            return {"rss_mb": rss_mb(process.pid),
                    "sequential": await measured(process.pid,
                                                 sequential([session], args.calls)),
                    "concurrent": await measured(process.pid, concurrent(
                        [session], args.calls, args.concurrency))}


async def bench_many(args: argparse.Namespace) -> dict[str, Any]:
    with server(["--many", "--max-episodes", str(args.sessions)]) as (process, base):
        out: dict[str, Any] = {"rss_mb_empty": rss_mb(process.pid)}
        async with httpx.AsyncClient(limits=limits(args.concurrency), timeout=120) as http:
            created: list[dict[str, Any]] = []
            sessions: list[Session] = []
            started = time.perf_counter()
            limiter = anyio.CapacityLimiter(16)

            async def start(seed: int) -> None:
                async with limiter:
                    response = await http.post(f"{base}/episodes",
                                               json={"family_id": FAMILY, "seed": seed})
                    response.raise_for_status()
                    body = response.json()
                    created.append(body)
                    sessions.append(await open_session(http, body["url"], body["token"]))

            async with anyio.create_task_group() as tasks:
                for seed in range(args.sessions):
                    tasks.start_soon(start, seed % 50)
            took = time.perf_counter() - started
            out["sessions"] = len(sessions)
            out["created_per_s"] = round(len(sessions) / took, 1)
            out["rss_mb_full"] = rss_mb(process.pid)
            out["rss_kb_per_episode"] = round(
                (out["rss_mb_full"] - out["rss_mb_empty"]) * 1024 / len(sessions), 1)
            await sequential(sessions, 50)  # warm up
            out["sequential"] = await measured(process.pid, sequential(sessions, args.calls))
            out["concurrent"] = await measured(process.pid, concurrent(
                sessions, args.calls, args.concurrency))
            status = (await http.get(f"{base}/episodes")).json()
            out["open_before_close"] = status["open"]
            started = time.perf_counter()
            graded = 0

            async def close(body: dict[str, Any]) -> None:
                nonlocal graded
                async with limiter:
                    response = await http.post(
                        f"{base}/episodes/{body['episode_id']}/close",
                        headers={"Authorization": f"Bearer {body['token']}"})
                    response.raise_for_status()
                    graded += "grade" in response.json()

            async with anyio.create_task_group() as tasks:
                for body in created:
                    tasks.start_soon(close, body)
            out["closed_per_s"] = round(len(created) / (time.perf_counter() - started), 1)
            out["graded"] = graded
            out["open_after_close"] = (await http.get(f"{base}/episodes")).json()["open"]
            out["rss_mb_after_close"] = rss_mb(process.pid)
        return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    single = await bench_single(args)
    many = await bench_many(args)
    ratios = {
        f"{phase}_{key}": round(many[phase][key] / single[phase][key], 2)
        for phase in ("sequential", "concurrent") for key in ("p50_ms", "server_cpu_ms_per_call")}
    return {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "single": single, "many": many,
            "ratio_many_over_single": ratios}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--output", type=Path)
    parsed = parser.parse_args()
    result = anyio.run(main, parsed)
    text = json.dumps(result, indent=2)
    print(text)
    if parsed.output:
        parsed.output.write_text(text + "\n")
