"""The MCP path and the direct path give the same tools, results and world, in every dialect.

Each test drives a served episode through the official ``mcp`` SDK client and, step by
step, a second in-process episode of the same spec through ``Episode.call``; every result
(text and error flag) must be equal, and so must the world digests and grades at the end.
The dialects: native, mcp-public and two procedural ones (their tool names, argument
names, result formats and error phrasings all differ).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent

from workgym.core import Episode, make
from workgym.serve import ConnectMode, connect_in_process

FAMILY = "office/library-catalogue-v1"
SEED = 11
SPEC_ARGS = ["--seed", str(SEED), "--difficulty", "medium", "--richness", "0.5"]
SERVE = [sys.executable, "-c", "from workgym.cli import main; main()", "serve", FAMILY, *SPEC_ARGS]
DIALECTS = ["native", "mcp-public", "proc-0", "proc-5"]
TEXT_SUFFIXES = (".txt", ".md", ".csv", ".json", ".eml", ".log", ".yaml", ".yml")
WRITTEN = "serve-parity/note.txt"
WRITTEN_TEXT = "written over MCP\nünïcode ✓ line two\n"


def direct_episode(dialect: str = "native") -> Episode:
    variant = "default" if dialect == "native" else f"dialect={dialect}"
    return make(FAMILY, seed=SEED, difficulty="medium", richness=0.5, variant=variant).start()


def listed(tools: list[Any]) -> list[dict[str, Any]]:
    """An SDK tool listing in the form of ``episode.tools("mcp")``; extra fields must be unset."""
    for t in tools:
        assert t.title is None and t.output_schema is None and t.annotations is not None, t
    return [{"name": t.name, "description": t.description, "inputSchema": t.input_schema,
             "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True)}
            for t in tools]


def outcome(result: CallToolResult) -> tuple[bool, str]:
    """(ok, text) of an MCP tool result, which must be exactly one text block."""
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent), result
    return not result.is_error, result.content[0].text


def server_env() -> dict[str, str]:
    # The SDK hands a stdio server only a few safe variables; the server under test should
    # see the test's own environment (import path, temporary folder).
    return dict(os.environ)


async def run_sequence(client: Client, episode: Episode) -> list[tuple[str, dict[str, Any]]]:
    """The task's reference solution (good calls and writes across all its apps), then
    a file written and read back, then bad calls: each through MCP and directly, in the
    episode's dialect, asserting equal text and error flag. Returns the calls made."""
    made: list[tuple[str, dict[str, Any]]] = []
    native = episode.dialect == "native"

    async def raw(name: str, args: dict[str, Any]) -> tuple[bool, str]:
        served = outcome(await client.call_tool(name, args))
        direct = episode.call(name, dict(args))
        assert served == (direct.ok, direct.text), (name, args)
        made.append((name, args))
        return direct.ok, direct.text

    async def both(name: str, args: dict[str, Any]) -> tuple[bool, str]:
        """A canonical call, sent as the dialect spells it (a tool the episode does not
        have, as it is)."""
        known = episode.surface.canonical(name) is not None
        return await raw(*(episode.to_wire(name, args) if known else (name, args)))

    for step in episode.task.reference:
        assert (await both(step.name, dict(step.args)))[0], step
    ok, _ = await both("files.list", {"path": ".", "recursive": True})
    assert ok
    listing = json.loads(episode.calls[-1].output)  # the log keeps the native result
    texts = [e["path"] for e in listing
             if e["type"] == "file" and e["path"].lower().endswith(TEXT_SUFFIXES)]
    if texts:
        assert (await both("files.read", {"path": texts[0]}))[0]
    assert (await both("files.write", {"path": WRITTEN, "content": WRITTEN_TEXT}))[0]
    assert await both("files.read", {"path": WRITTEN}) == (True, WRITTEN_TEXT)
    ok, text = await raw("files_read", {"path": WRITTEN})  # the native OpenAI spelling
    assert ok is (native or episode.to_wire("files.read")[0] == "files_read"), text
    assert WRITTEN in (await both("files.list", {"path": "serve-parity"}))[1]
    assert WRITTEN in (await both("files.search", {"pattern": "ünïcode"}))[1]
    assert episode.calls[-1].name == "files.search"  # the log keeps the canonical name
    # Writes to the other apps' state (a workbook, a sent mail with the file attached),
    # with every JSON value type on the wire. Only parity is asserted: these apps and
    # their arguments belong to the family, not to the server.
    book = "serve-parity/book.xlsx"
    other_apps: list[tuple[str, dict[str, Any]]] = [
        ("sheets.create_workbook", {"path": book, "sheet": "Data"}),
        ("sheets.write_cells", {"path": book, "sheet": "Data",
                                "cells": {"A1": "title ✓", "B1": 12.5, "C1": 7, "D1": True,
                                          "E1": None}}),
        ("sheets.read_range", {"path": book, "sheet": "Data"}),
        ("mail.send", {"to": ["someone@example.org"], "subject": "parity",
                       "body": "see attached", "attachments": [WRITTEN]}),
        ("mail.search", {"query": "parity"}),
    ]
    for name, args in other_apps:
        if name.split(".")[0] in episode.apps:
            await both(name, args)
    bad: list[tuple[str, dict[str, Any]]] = [
        ("files.nope", {}),                                       # unknown tool
        ("nope.read", {"path": WRITTEN}),                         # unknown app
        ("files.read", {}),                                       # missing argument
        ("files.read", {"path": 5}),                              # wrong type
        ("files.read", {"path": WRITTEN, "mode": "x"}),           # unknown argument
        ("files.read", {"path": "../outside.txt"}),               # escapes the workspace
        ("files.read", {"path": "/etc/passwd"}),                  # absolute path
        ("files.write", {"path": "../escape.txt", "content": "x"}),
        ("files.write", {"path": WRITTEN, "content": "y", "overwrite": False}),
        ("files.read", {"path": "no/such/file.txt"}),
    ]
    for name, args in bad:
        ok, text = await both(name, args)
        assert not ok and text.startswith(episode.surface.errors.prefix), (name, args, text)
        assert episode.calls[-1].output.startswith("error:")  # the log's native words
    if not native:
        # the native spelling of an argument is no argument of another dialect's tool
        wire, _ = episode.to_wire("files.read", {})
        if episode.to_wire("files.read", {"path": WRITTEN})[1] != {"path": WRITTEN}:
            ok, text = await raw(wire, {"path": WRITTEN})
            assert not ok and "path" in text, text
    # Every tool of every app with no arguments: a read where all are optional, else a
    # clear invalid-arguments error; either way both paths must agree.
    for tool in episode.wire_tools():
        await raw(tool.name, {})
    assert await both("files.read", {"path": WRITTEN}) == (True, WRITTEN_TEXT)
    return made


def grade_record(stderr: str) -> dict[str, Any]:
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1, stderr
    return json.loads(lines[0])


def workspace_of(stderr: str) -> Path:
    match = re.search(r"workspace (\S+)", stderr)
    assert match, stderr
    return Path(match.group(1))


@pytest.fixture
def errlog(tmp_path: Path) -> Iterator[TextIO]:
    """A real file for the server's stderr (the SDK hands it to the subprocess)."""
    with open(tmp_path / "server.err", "w+") as handle:
        yield handle


@pytest.mark.parametrize(("mode", "dialect"), [
    ("auto", "native"), ("legacy", "native"),
    # a served process per dialect takes ~15 s on a loaded machine; the in-memory test
    # below covers every dialect on each run
    pytest.param("auto", "mcp-public", marks=pytest.mark.slow),
    pytest.param("legacy", "proc-0", marks=pytest.mark.slow)])
async def test_stdio_server_matches_direct_episode(errlog: TextIO, mode: str,
                                                   dialect: str) -> None:
    variant = [] if dialect == "native" else ["--variant", f"dialect={dialect}"]
    params = StdioServerParameters(command=SERVE[0],
                                   args=[*SERVE[1:], *variant, "--grade-on-exit"],
                                   env=server_env())
    with direct_episode(dialect) as episode:
        async with Client(stdio_client(params, errlog=errlog), mode=mode, cache=None) as client:
            assert listed((await client.list_tools()).tools) == episode.tools("mcp")
            made = await run_sequence(client, episode)
        errlog.seek(0)
        stderr = errlog.read()
        record = grade_record(stderr)
        assert record["task_id"] == episode.task.id
        assert record["calls"] == len(made) == len(episode.calls)
        assert record["world_digest"] == episode.world.digest()
        assert record["grade"] == episode.grade().model_dump(mode="json")
    assert not workspace_of(stderr).exists(), "the served episode's workspace was not removed"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_in_memory_client_matches_direct_episode(mode: ConnectMode, dialect: str) -> None:
    with direct_episode(dialect) as served, direct_episode(dialect) as direct:
        async with connect_in_process(served, mode=mode) as client:
            assert listed((await client.list_tools()).tools) == direct.tools("mcp")
            await run_sequence(client, direct)
        # The server logged its calls in the served episode, exactly as the direct one did.
        assert [c.model_dump(exclude={"duration_s"}) for c in served.calls] == [
            c.model_dump(exclude={"duration_s"}) for c in direct.calls]
        assert served.world.digest() == direct.world.digest()
        assert served.grade() == direct.grade()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_reference_solution_over_mcp_solves_the_task(dialect: str) -> None:
    with direct_episode(dialect) as episode:
        async with connect_in_process(episode) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            for step in episode.task.reference:
                name, args = episode.to_wire(step.name, dict(step.args))
                assert name in names
                ok, text = outcome(await client.call_tool(name, args))
                assert ok, (step, text)
        episode.finish(episode.task.reference_answer)
        grade = episode.grade()
        assert grade.passed and grade.score == 1.0, grade


async def test_a_failing_call_is_an_error_result_and_the_server_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with direct_episode() as episode:
        real_call = episode.call

        def call(name: str, args: Any = None) -> Any:
            if name == "files.list":
                raise RuntimeError("disk on fire")
            return real_call(name, args)

        monkeypatch.setattr(episode, "call", call)
        async with connect_in_process(episode) as client:
            broken = outcome(await client.call_tool("files.list", {}))
            assert broken == (False, "error: internal error in files.list: RuntimeError: disk on fire")
            fine = outcome(await client.call_tool("files.write", {"path": "a.txt", "content": "a"}))
            assert fine[0] and (episode.world.workspace / "a.txt").read_text() == "a"


async def test_streamable_http_server_lists_and_calls() -> None:
    command = [*SERVE, "--transport", "http", "--host", "127.0.0.1", "--port", "0"]
    seen: list[str] = []
    async with await anyio.open_process(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, env=server_env()) as process:
        assert process.stderr is not None
        stderr = BufferedByteReceiveStream(process.stderr)

        async def next_line() -> str:
            try:
                with anyio.fail_after(30):
                    return (await stderr.receive_until(b"\n", 1 << 20)).decode() + "\n"
            except (anyio.EndOfStream, anyio.IncompleteRead):
                pytest.fail("the server exited early:\n" + "".join(seen))

        try:
            while not any("serving on http" in line for line in seen):
                seen.append(await next_line())
            url = re.search(r"serving on (\S+)", seen[-1]).group(1)  # type: ignore[union-attr]
            assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
            with direct_episode() as episode:
                for mode in ("auto", "legacy"):
                    async with Client(url, mode=mode, cache=None) as client:
                        assert listed((await client.list_tools()).tools) == episode.tools("mcp")
                        for name, args in (("files.list", {"recursive": True}),
                                           ("files.read", {})):
                            served = outcome(await client.call_tool(name, args))
                            direct = episode.call(name, args)
                            assert served == (direct.ok, direct.text), (name, args)
                        assert served[0] is False  # the missing argument is an error result
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(15):
                assert await process.wait() == 0
        finally:
            if process.returncode is None:
                process.kill()
    assert not workspace_of("".join(seen)).exists()
