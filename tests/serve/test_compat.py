"""MCP clients we did not write, driving ``workgym serve``: the official SDK client (stdio
and HTTP), the npm MCP Inspector CLI, langchain-mcp-adapters and the openai-agents SDK.

Each lists the tools, reads the task (instructions, prompt, resource), makes a good call
and bad ones, and the world is checked to have changed. The frameworks pin their own
mcp and openai versions, so each gets its own virtual environment, built once in a cache
folder (``WORKGYM_COMPAT_CACHE``, default ``~/.cache/workgym/mcp-compat``); the Inspector
runs through npx. A client that cannot be installed (no network, no node) is skipped
with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from workgym.core import make

pytestmark = pytest.mark.slow

FAMILY = "office/library-catalogue-v1"
SEED = 3
WORKGYM = [sys.executable, "-c", "from workgym.cli import main; main()"]
SERVE_STDIO = [*WORKGYM, "serve", FAMILY, "--seed", str(SEED)]
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
NODE_MAJOR = 20
"""The oldest node the Inspector was seen to work on (it declares 22)."""
FRAMEWORKS = {
    "langchain-mcp-adapters": ["langchain-mcp-adapters==0.3.2"],
    "openai-agents": ["openai-agents==0.24.0"],
}
COMPAT = Path(__file__).parent / "compat"
TASK = make(FAMILY, seed=SEED)
with TASK.start() as _fresh:
    INITIAL_DIGEST = _fresh.world.digest()
    TOOL_NAMES = sorted(t["name"] for t in _fresh.tools("mcp"))


def cache_dir() -> Path:
    root = os.environ.get("WORKGYM_COMPAT_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "workgym" / "mcp-compat"


def server_env() -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture(scope="module")
def many() -> Iterator[str]:
    """A ``workgym serve --many`` process on loopback; yields its base URL."""
    process = subprocess.Popen([*WORKGYM, "serve", "--many", "--port", "0"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=server_env())
    try:
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"serving many episodes on (http://[\d.]+:\d+)", line)
            if match:
                break
        else:
            pytest.fail(f"workgym serve --many exited with {process.wait()}")
        yield match.group(1)
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0


def start(base: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{base}/episodes", json={"family_id": FAMILY, "seed": SEED, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def close(base: str, created: dict[str, Any]) -> dict[str, Any]:
    """Close and grade; the world must differ from the task's fresh world."""
    response = httpx.post(f"{base}/episodes/{created['episode_id']}/close",
                          headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    assert record["world_digest"] != INITIAL_DIGEST, "the client's write did not reach the world"
    assert record["grade"]["score"] is not None
    return record


def framework_python(name: str) -> Path:
    """The framework's own virtual environment (built once, then reused)."""
    folder = cache_dir() / name
    python = folder / "bin" / "python"
    ready = folder / ".ready"
    pins = " ".join(FRAMEWORKS[name])
    if ready.exists() and ready.read_text() == pins and python.exists():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *FRAMEWORKS[name]],
                       check=True, capture_output=True, text=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", "") or ""
        pytest.skip(f"cannot install {pins}: {str(detail).strip()[-300:] or exc}")
    ready.write_text(pins)
    return python


def run_framework(name: str, script: str, config: dict[str, Any]) -> dict[str, Any]:
    python = framework_python(name)
    done = subprocess.run([str(python), str(COMPAT / script), json.dumps(config)],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def stdio_config(path: str) -> dict[str, Any]:
    return {"transport": "stdio", "command": SERVE_STDIO[0], "args": SERVE_STDIO[1:],
            "env": server_env(), "path": path}


def inspector(*args: str) -> tuple[int, Any]:
    """Run the Inspector CLI once; (exit code, its JSON output)."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx is not installed (node and npm are needed for the MCP Inspector)")
    node = subprocess.run(["node", "--version"], check=False, capture_output=True, text=True)
    major = re.match(r"v(\d+)", node.stdout)
    if major is None or int(major.group(1)) < NODE_MAJOR:
        pytest.skip(f"the MCP Inspector {INSPECTOR} needs node {NODE_MAJOR} or later, "
                    f"found {node.stdout.strip() or 'none'}")
    done = subprocess.run([npx, "-y", INSPECTOR, "--cli", *args], check=False,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1"})
    # Results go to stdout; a failure may print its JSON error to stderr instead.
    out = done.stdout.strip()
    if not out and done.stderr.strip():
        out = done.stderr.strip().splitlines()[-1]
    if not out.startswith(("{", "[")):
        if any(sign in done.stderr for sign in ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT")):
            pytest.skip(f"npx cannot fetch {INSPECTOR}: {done.stderr.strip()[-300:]}")
        pytest.fail(f"the Inspector printed no JSON (exit {done.returncode}):\n"
                    f"{out[-2000:]}\n{done.stderr[-2000:]}")
    return done.returncode, json.loads(out)


# -- the official SDK client ---------------------------------------------------------------


async def check_sdk_client(client: Client) -> None:
    assert client.instructions == TASK.prompt
    tools = (await client.list_tools()).tools
    assert sorted(t.name for t in tools) == TOOL_NAMES
    read = next(t for t in tools if t.name == "files_read")
    assert read.annotations is not None and read.annotations.read_only_hint is True
    assert read.annotations.open_world_hint is False
    prompt = await client.get_prompt("task")
    assert prompt.messages[0].content.text == TASK.prompt  # type: ignore[union-attr]
    resource = await client.read_resource("workgym://task")
    assert resource.contents[0].text == TASK.prompt  # type: ignore[union-attr]
    wrote = await client.call_tool("files_write", {"path": "sdk/out.txt", "content": "sdk"})
    assert not wrote.is_error
    back = await client.call_tool("files_read", {"path": "sdk/out.txt"})
    assert back.content[0].text == "sdk"  # type: ignore[union-attr]
    bad = await client.call_tool("files_read", {"path": 5})
    assert bad.is_error and "Input should be a valid string" in bad.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_official_sdk_client_over_http(many: str, mode: str) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    created = start(many)
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {created['token']}"})
    async with http, Client(streamable_http_client(created["url"], http_client=http),
                            mode=mode, cache=None) as client:
        await check_sdk_client(client)
    assert close(many, created)["calls"] == 3


async def test_official_sdk_client_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(command=SERVE_STDIO[0], args=[*SERVE_STDIO[1:]],
                                   env=server_env())
    errlog = (tmp_path / "server.err").open("w")  # the SDK hands the server a real file
    with errlog:
        async with Client(stdio_client(params, errlog=errlog), cache=None) as client:
            await check_sdk_client(client)


# -- the MCP Inspector CLI (npm) -----------------------------------------------------------


def test_inspector_cli_over_http(many: str) -> None:
    created = start(many)
    target = [created["url"], "--transport", "http",
              "--header", f"Authorization: Bearer {created['token']}"]
    _, listed = inspector(*target, "--method", "tools/list")
    assert sorted(t["name"] for t in listed["tools"]) == TOOL_NAMES
    assert all(t["annotations"]["openWorldHint"] is False for t in listed["tools"])
    _, prompt = inspector(*target, "--method", "prompts/get", "--prompt-name", "task")
    assert prompt["messages"][0]["content"]["text"] == TASK.prompt
    _, resource = inspector(*target, "--method", "resources/read", "--uri", "workgym://task")
    assert resource["contents"][0]["text"] == TASK.prompt
    # Each Inspector run is its own connection: the episode keeps what the last one did.
    code, wrote = inspector(*target, "--method", "tools/call", "--tool-name", "files_write",
                            "--tool-arg", "path=inspector/out.txt", "--tool-arg", "content=hi")
    assert code == 0 and wrote["isError"] is False
    code, back = inspector(*target, "--method", "tools/call", "--tool-name", "files_read",
                           "--tool-arg", "path=inspector/out.txt")
    assert code == 0 and back["content"][0]["text"] == "hi"
    code, bad = inspector(*target, "--method", "tools/call", "--tool-name", "files_read")
    assert code != 0 and "error" in json.dumps(bad)  # the CLI fails on an error result
    assert close(many, created)["calls"] == 3
    code, refused = inspector(created["url"], "--transport", "http", "--method", "tools/list")
    assert code != 0 and "error" in json.dumps(refused).lower()  # no token, no episode


def test_inspector_cli_over_stdio() -> None:
    _, listed = inspector(*SERVE_STDIO, "--method", "tools/list")
    assert sorted(t["name"] for t in listed["tools"]) == TOOL_NAMES
    _, prompt = inspector(*SERVE_STDIO, "--method", "prompts/get", "--prompt-name", "task")
    assert prompt["messages"][0]["content"]["text"] == TASK.prompt
    code, wrote = inspector(*SERVE_STDIO, "--method", "tools/call", "--tool-name",
                            "files_write", "--tool-arg", "path=x.txt", "--tool-arg", "content=x")
    assert code == 0 and wrote["isError"] is False and "wrote 1 bytes" in wrote["content"][0]["text"]
    code, _ = inspector(*SERVE_STDIO, "--method", "tools/call", "--tool-name", "files_read",
                        "--tool-arg", "path=no/such.txt")
    assert code != 0


# -- agent frameworks from PyPI ------------------------------------------------------------


def check_framework_report(report: dict[str, Any]) -> None:
    assert report["tools"] == TOOL_NAMES
    assert report["instructions"] == TASK.prompt
    assert report["prompt"] == TASK.prompt
    assert report["resource"] == TASK.prompt


def test_langchain_mcp_adapters_over_http_with_a_session_per_call(many: str) -> None:
    created = start(many)
    report = run_framework("langchain-mcp-adapters", "langchain_client.py",
                           {"transport": "http", "url": created["url"],
                            "token": created["token"], "path": "lc/out.txt"})
    check_framework_report(report)
    assert report["mode"] == "a session per call"
    assert report["good"]["status"] == "success"
    assert report["read_back"] == {"status": "success", "text": report["written"]}
    assert report["bad"]["status"] == "error" and "valid string" in report["bad"]["text"]
    assert report["missing"]["status"] == "error"
    assert "missing required argument 'path'" in report["missing"]["text"]
    assert close(many, created)["calls"] == 4


def test_langchain_mcp_adapters_over_stdio_with_a_held_session() -> None:
    report = run_framework("langchain-mcp-adapters", "langchain_client.py",
                           stdio_config("lc/out.txt"))
    check_framework_report(report)
    assert report["read_back"] == {"status": "success", "text": report["written"]}
    assert report["bad"]["status"] == "error"


@pytest.mark.parametrize("strict", [False, True], ids=["own schemas", "strict variant"])
def test_openai_agents_over_http(many: str, strict: bool) -> None:
    created = start(many, strict=strict)
    report = run_framework("openai-agents", "agents_client.py",
                           {"transport": "http", "url": created["url"],
                            "token": created["token"], "path": "ag/out.txt", "strict": strict})
    check_framework_report(report)
    assert report["prompts"] == ["task"]
    assert json.loads(report["read_back"])["text"] == report["written"]
    assert "valid string" in json.loads(report["bad"])["text"]
    # The SDK makes every tool strict but one map-taking tool, whose own schema cannot be:
    # the strict variant has none left.
    assert report["not_strict"] == ([] if strict else ["sheets_write_cells"])
    assert "wrote 2 cells" in json.loads(report["cells"])["text"]
    assert '"values": ["agents", 2]' in json.loads(report["cells_read"])["text"]
    assert close(many, created)["calls"] == 6


def test_openai_agents_over_stdio() -> None:
    report = run_framework("openai-agents", "agents_client.py", stdio_config("ag/out.txt"))
    check_framework_report(report)
    assert json.loads(report["read_back"])["text"] == report["written"]
