"""Tool-call cost along every path: plain Python, Episode.call, MCP in process and over
stdio, FastMCP in memory and an OpenEnv WebSocket server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from workgym.bench._config import BenchConfig
from workgym.bench._stats import summary
from workgym.bench._workload import ReadCall, families, read_calls, seeds, task
from workgym.core import Episode, Task

Progress = Callable[[str], None]
AsyncCall = Callable[[], Awaitable[Any]]
SyncCall = Callable[[], Any]

_TEXT_SUFFIXES = (".txt", ".csv", ".md", ".json")


def plain_call(episode: Episode, name: str, args: dict[str, Any]) -> SyncCall:
    """The tool's own method with already validated arguments: no lookup, no validation,
    no logging, no result text. What the other paths add is measured against this."""
    spec = next(s for s in episode.tool_specs() if name in (s.name, s.openai_name))
    method = getattr(episode.apps[spec.app], spec.method)
    values = spec.validate(args)
    return lambda: method(**values)


def _direct(episode: Episode, name: str, args: dict[str, Any]) -> SyncCall:
    return lambda: episode.call(name, dict(args))


async def _timed(call: Callable[[], Any]) -> float:
    """Microseconds one call takes (awaiting it if it is a coroutine)."""
    started = time.perf_counter_ns()
    result = call()
    if asyncio.iscoroutine(result):
        await result
    return (time.perf_counter_ns() - started) / 1e3


async def interleaved(paths: dict[str, Callable[[], Any]], rounds: int, per_round: int = 1,
                      warmup: int = 3) -> dict[str, list[float]]:
    """Per-call times of every path, the paths taking turns (their order rotating every
    round), so a noisy neighbour slows them all alike."""
    names = list(paths)
    for name in names:
        for _ in range(warmup):
            await _timed(paths[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            for _ in range(per_round):
                times[name].append(await _timed(paths[name]))
    return times


def differences(times: dict[str, list[float]], base: str = "plain") -> dict[str, list[float]]:
    """Per path: its paired differences to ``base`` (same round, same call)."""
    return {name: [v - b for v, b in zip(values, times[base], strict=True)]
            for name, values in times.items() if name != base}


def overheads(times: dict[str, list[float]], base: str = "plain") -> dict[str, dict[str, float]]:
    """Per path: the summary of its paired differences to ``base``."""
    return {name: summary(diffs, 1) for name, diffs in differences(times, base).items()}


# -- stdio ------------------------------------------------------------------------------


def child_pids() -> list[int]:
    """Live (not zombie) child processes of this process, from /proc."""
    me = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


@contextlib.asynccontextmanager
async def stdio_client(t: Task) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """A ``workgym serve`` process over ``t`` and an SDK client of it, with the process's
    start-up time (spawn to first ``tools/list`` answer) and memory."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client as sdk_stdio_client

    spec = t.spec
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", "from workgym.cli import main; main()", "serve", spec.family_id,
              "--seed", str(spec.seed), "--difficulty", spec.difficulty,
              "--richness", str(spec.richness)],
        env=dict(os.environ))
    before = set(child_pids())
    with open(os.devnull, "w") as devnull:  # noqa: ASYNC230  (opening /dev/null does not block)
        started = time.perf_counter()
        async with Client(sdk_stdio_client(params, errlog=devnull), cache=None) as client:
            await client.list_tools()
            startup = time.perf_counter() - started
            children = [p for p in child_pids() if p not in before]
            rss = _rss_mb(children[0]) if len(children) == 1 else None
            yield client, {"startup_s": round(startup, 3), "server_rss_mb": rss}


# -- per family -------------------------------------------------------------------------


def _mcp_name(name: str) -> str:
    """A canonical tool name (``files.read``) as the native MCP surface lists it
    (``files_read``): the SDK's client checks results against the tools it listed."""
    return name.replace(".", "_", 1)


def _mcp_call(client: Any, name: str, args: dict[str, Any]) -> AsyncCall:
    wire = _mcp_name(name)
    return lambda: client.call_tool(wire, args)


async def _replay_times(t: Task, rounds: int, stdio: Any | None) -> dict[str, list[float]]:
    """Per-call times of the whole reference solution, replayed on a fresh world per path
    and round (the paths taking turns); each call's time is its minimum over the rounds,
    which filters out the moments a neighbour took the core. The stdio server holds one
    world, so it replays once."""
    from workgym.serve import connect_in_process

    async def plain() -> list[float]:
        with t.start() as episode:
            return [await _timed(plain_call(episode, s.name, dict(s.args))) for s in t.reference]

    async def direct() -> list[float]:
        with t.start() as episode:
            return [await _timed(_direct(episode, s.name, dict(s.args))) for s in t.reference]

    async def mcp() -> list[float]:
        with t.start() as episode:
            async with connect_in_process(episode) as client:
                return [await _timed(_mcp_call(client, s.name, dict(s.args)))
                        for s in t.reference]

    paths = {"plain": plain, "direct": direct, "mcp_in_process": mcp}
    best: dict[str, list[float]] = {}
    names = list(paths)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            times = await paths[name]()
            best[name] = times if name not in best else [min(a, b) for a, b in
                                                         zip(best[name], times, strict=True)]
    if stdio is not None:
        best["mcp_stdio"] = [await _timed(_mcp_call(stdio, s.name, dict(s.args)))
                             for s in t.reference]
    return best


async def _read_times(episode: Episode, reads: list[ReadCall], repeats: int, stdio: Any | None,
                      ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per-call times of the read-only calls, repeated, the paths interleaved; and each
    path's paired differences to the plain call."""
    from workgym.serve import connect_in_process

    times: dict[str, list[float]] = defaultdict(list)
    diffs: dict[str, list[float]] = defaultdict(list)
    async with connect_in_process(episode, mode="auto") as auto, \
            connect_in_process(episode, mode="legacy") as legacy:
        for read in reads:
            paths: dict[str, Callable[[], Any]] = {
                "plain": plain_call(episode, read.name, read.args),
                "direct": _direct(episode, read.name, read.args),
                "mcp_in_process": _mcp_call(auto, read.name, read.args),
                "mcp_in_process_legacy": _mcp_call(legacy, read.name, read.args),
            }
            if stdio is not None:
                paths["mcp_stdio"] = _mcp_call(stdio, read.name, read.args)
            measured = await interleaved(paths, repeats)
            for name, values in measured.items():
                times[name].extend(values)
            for name, values in differences(measured).items():
                diffs[name].extend(values)
    return times, diffs


async def measure_calls(config: BenchConfig, progress: Progress) -> dict[str, Any]:
    """Tool-call cost per path over every family's reference calls (medium level).

    Two views: ``replay`` runs each reference solution ``replay_rounds`` times per path on
    fresh worlds (every call, writes included; each call keeps its fastest time); ``reads``
    repeats the calls that change nothing ``call_repeats`` times, the paths taking turns.
    Both give each path's overhead over the plain call as paired differences.
    ``apps_direct_us`` is the replay's direct path per app: what a call to the search
    engine, the browser or any other app takes, whole tool included.
    """
    per_family = []
    pooled_reads: dict[str, list[float]] = defaultdict(list)
    pooled_diffs: dict[str, list[float]] = defaultdict(list)
    pooled_replay_diffs: dict[str, list[float]] = defaultdict(list)
    pooled_replay: dict[str, list[float]] = defaultdict(list)
    per_app: dict[str, list[float]] = defaultdict(list)
    stdio_servers = []
    for fid in families(config.families):
        replay_times: dict[str, list[float]] = defaultdict(list)
        read_times: dict[str, list[float]] = defaultdict(list)
        read_diffs: dict[str, list[float]] = defaultdict(list)
        replay_diffs: dict[str, list[float]] = defaultdict(list)
        n_reads = 0
        for index, seed in enumerate(seeds(fid, config.call_seeds)):
            progress(f"tool calls: {fid} seed {seed}")
            t = task(fid, seed)
            use_stdio = config.stdio and index == 0
            async with contextlib.AsyncExitStack() as stack:
                stdio = None
                if use_stdio:
                    stdio, info = await stack.enter_async_context(stdio_client(t))
                    stdio_servers.append({"family": fid, **info})
                replayed = await _replay_times(t, config.replay_rounds, stdio)
                for name, values in replayed.items():
                    replay_times[name].extend(values)
                for step, took in zip(t.reference, replayed["direct"], strict=True):
                    per_app[step.name.split(".", 1)[0]].append(took)
                for name, diffs in differences(replayed).items():
                    replay_diffs[name].extend(diffs)
                    pooled_replay_diffs[name].extend(diffs)
                episode, reads = read_calls(t)
                with episode:
                    if stdio is not None:  # bring the server's world to the same final state
                        for step in t.reference:
                            await stdio.call_tool(_mcp_name(step.name), dict(step.args))
                    measured, paired = await _read_times(episode, reads, config.call_repeats,
                                                         stdio)
                    for name, values in measured.items():
                        read_times[name].extend(values)
                    for name, values in paired.items():
                        read_diffs[name].extend(values)
                n_reads += len(reads)
        for name, values in replay_times.items():
            pooled_replay[name].extend(values)
        for name, values in read_times.items():
            pooled_reads[name].extend(values)
        for name, values in read_diffs.items():
            pooled_diffs[name].extend(values)
        per_family.append({
            "family": fid,
            "replay_us": {name: summary(v, 1) for name, v in replay_times.items()},
            "replay_overhead_us": {name: summary(v, 1) for name, v in replay_diffs.items()},
            "read_calls": n_reads,
            "reads_us": {name: summary(v, 1) for name, v in read_times.items()},
            "reads_overhead_us": {name: summary(v, 1) for name, v in read_diffs.items()},
        })
    return {
        "families": per_family,
        "all": {
            "replay_us": {name: summary(v, 1) for name, v in pooled_replay.items()},
            "replay_overhead_us": {name: summary(v, 1)
                                   for name, v in pooled_replay_diffs.items()},
            "reads_us": {name: summary(v, 1) for name, v in pooled_reads.items()},
            "reads_overhead_us": {name: summary(v, 1) for name, v in pooled_diffs.items()},
        },
        "apps_direct_us": {app: summary(v, 1) for app, v in sorted(per_app.items())},
        "stdio_servers": stdio_servers,
    }


# -- side by side -----------------------------------------------------------------------


def _text(result: Any) -> str:
    """The text of an MCP tool result's first content block."""
    return str(getattr(result.content[0], "text", ""))


def _side_task(config: BenchConfig) -> tuple[Task, str]:
    for fid in families(config.families):
        t = task(fid, seeds(fid, 1)[0])
        if "files" in t.apps:
            for rel in sorted(t.template.files):
                if rel.endswith(_TEXT_SUFFIXES):
                    return t, rel
    raise ValueError("no measured family has a text file to read in its workspace")


@contextlib.asynccontextmanager
async def _openenv_client(t: Task) -> AsyncIterator[Any]:
    """An OpenEnv WebSocket server (the project's adapter, uvicorn on loopback, in this
    process and event loop) and a client session reset to ``t``."""
    import uvicorn

    from workgym.train.adapters import WorkgymEnvConfig
    from workgym.train.adapters.openenv import WorkgymEnvClient, create_server_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_server_app(WorkgymEnvConfig(max_turns=None), max_sessions=4)
    # "critical": openenv-core's server logs a traceback when a client closes its socket
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        async with WorkgymEnvClient(base_url=f"http://127.0.0.1:{port}") as client:
            await client.reset(spec=t.spec.model_dump(mode="json"))
            yield client
    finally:
        server.should_exit = True
        await serving
        sock.close()


def _fastmcp_server(episode: Episode, run_in_thread: bool) -> Any:
    """FastMCP server with the files app's ``read`` as its one tool (FastMCP validates
    and converts, as it would for any function it serves)."""
    from fastmcp import FastMCP

    files: Any = episode.apps["files"]

    def read(path: str) -> str:
        """Read a UTF-8 text file of the workspace."""
        return str(files.read(path))

    server = FastMCP("workgym-bench")
    server.tool(read, name="files_read", run_in_thread=run_in_thread)
    return server


async def measure_side_by_side(config: BenchConfig, progress: Progress) -> dict[str, Any]:
    """One read tool (``files.read``) behind every path, in one process, interleaved.

    Ratios to the direct path are computed per round (same moment, same noise) and their
    median is reported, so they hold on a shared machine.
    """
    from workgym.serve import connect_in_process

    t, rel = _side_task(config)
    args = {"path": rel}
    skipped: dict[str, str] = {}
    progress(f"side by side: files.read {rel} of {t.spec.family_id}")
    async with contextlib.AsyncExitStack() as stack:
        episode = stack.enter_context(t.start())
        expected = episode.call("files.read", args).text
        workgym_mcp = await stack.enter_async_context(connect_in_process(episode))
        paths: dict[str, Callable[[], Any]] = {
            "plain": plain_call(episode, "files.read", args),
            "direct": _direct(episode, "files.read", args),
            "mcp_in_process": _mcp_call(workgym_mcp, "files.read", args),
        }
        texts: dict[str, str] = {
            "mcp_in_process": _text(await workgym_mcp.call_tool("files_read", args))}
        try:
            from fastmcp import Client as FastClient

            for label, threaded in (("fastmcp_in_memory", True),
                                    ("fastmcp_in_memory_no_thread", False)):
                client = await stack.enter_async_context(
                    FastClient(_fastmcp_server(episode, threaded)))
                paths[label] = _mcp_call(client, "files_read", args)
                texts[label] = _text(await client.call_tool("files_read", args))
        except ImportError as exc:
            # Both FastMCP paths need it: each is reported skipped, neither compared.
            why = f"fastmcp is not installed ({exc}): pip install 'workgym[bench]'"
            for label in ("fastmcp_in_memory", "fastmcp_in_memory_no_thread"):
                skipped[label] = why
        try:
            from workgym.train.adapters.openenv import WorkgymAction

            openenv = await stack.enter_async_context(_openenv_client(t))
            action = WorkgymAction(tool_calls=[{"name": "files.read", "arguments": args}])
            paths["openenv_websocket"] = lambda: openenv.step(action)
            step = await openenv.step(action)
            texts["openenv_websocket"] = step.observation.messages[0]["content"]
        except ImportError as exc:
            skipped["openenv_websocket"] = (f"openenv-core is not installed ({exc}): "
                                            "pip install 'workgym[openenv]'")
        times = await interleaved(paths, config.side_by_side_rounds, config.side_by_side_calls)
    per = config.side_by_side_calls
    ratios = {}
    for name, values in times.items():
        rounds = [statistics.fmean(values[i:i + per]) / statistics.fmean(times["direct"][i:i + per])
                  for i in range(0, len(values), per)]
        ratios[name] = round(statistics.median(rounds), 2)
    return {
        "family": t.spec.family_id, "tool": "files.read", "path": rel,
        "same_result": {name: text == expected for name, text in texts.items()},
        "us": {name: summary(values, 1) for name, values in times.items()},
        "ratio_to_direct": ratios,
        "overhead_us": overheads(times),
        "skipped": skipped,
    }
