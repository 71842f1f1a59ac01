"""An instant OpenAI-compatible chat-completions server on loopback, for rollout benchmarks.

It answers at once, in a process of its own (so that its CPU is not the harness's): the
first ``tool_turns`` turns of a conversation each call one tool that needs no arguments
(the first such tool of the request; ``{}`` to the first tool when none is free of
required arguments), then it answers with text. The turn is read from the number of
assistant messages in the request, so any number of concurrent episodes each get the
same conversation. ``GET .../stats`` answers how many chat requests it served and how
many of them ended a conversation (its answer), for a soak's count of finished episodes.

Run it alone: ``python -m workgym.bench._mock --tool-turns 10`` prints its base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

try:
    import orjson

    def _dumps(value: Any) -> bytes:
        return orjson.dumps(value)

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)
except ImportError:  # pragma: no cover - orjson comes with the usual extras
    def _dumps(value: Any) -> bytes:
        return json.dumps(value).encode()

    def _loads(data: bytes) -> Any:
        return json.loads(data)

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

DEFAULT_TOOL_TURNS = 10
"""Tool-call turns before the answer: the conversation the harness figures are measured on."""


def _free_tool(tools: list[dict[str, Any]]) -> str:
    for tool in tools:
        fn = tool.get("function", {})
        if not fn.get("parameters", {}).get("required"):
            return str(fn.get("name", ""))
    return str(tools[0].get("function", {}).get("name", "")) if tools else "none"


def reply(body: dict[str, Any], tool_turns: int) -> dict[str, Any]:
    """The mock's chat-completion response to one request body."""
    done = sum(1 for m in body.get("messages", ()) if m.get("role") == "assistant")
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if done < tool_turns and body.get("tools"):
        message["tool_calls"] = [{"id": f"call_{done}", "type": "function", "function": {
            "name": _free_tool(body["tools"]), "arguments": "{}"}}]
        finish = "tool_calls"
    else:
        message["content"] = "done"
        finish = "stop"
    return {"id": f"mock-{done}", "object": "chat.completion", "created": 0,
            "model": body.get("model", "mock"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def app(tool_turns: int) -> Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]:
    """The ASGI app of the mock: ``POST .../chat/completions``, ``GET .../models`` and
    ``GET .../stats``."""
    counts = {"requests": 0, "answers": 0}

    async def serve(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        data: dict[str, Any]
        if scope["method"] == "GET" and scope["path"].rstrip("/").endswith("/models"):
            status, data = 200, {"object": "list", "data": [{"id": "mock", "object": "model"}]}
        elif scope["method"] == "GET" and scope["path"].rstrip("/").endswith("/stats"):
            status, data = 200, dict(counts)
        elif scope["path"].rstrip("/").endswith("/chat/completions"):
            status, data = 200, reply(_loads(b"".join(chunks)), tool_turns)
            counts["requests"] += 1
            counts["answers"] += data["choices"][0]["finish_reason"] == "stop"
        else:
            status, data = 404, {"error": {"message": f"no route {scope['path']}"}}
        payload = _dumps(data)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    return serve


def serve_forever(tool_turns: int, port: int = 0) -> None:
    """Serve on 127.0.0.1 (``port`` 0: a free one) until killed; print the base URL."""
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: the response's head and body go out at once
    # instead of the body waiting on the client's delayed ACK (40 ms a turn).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    # Listening before the URL is printed: a client that connects at once is not refused
    # while the server is still starting.
    sock.listen(8192)
    config = uvicorn.Config(app(tool_turns), log_level="warning", access_log=False,
                            backlog=8192, timeout_keep_alive=300, lifespan="off")
    server = uvicorn.Server(config)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    asyncio.run(server.serve(sockets=[sock]))


class InstantMock:
    """The mock in a child process: ``with InstantMock() as mock: mock.url``.

    Args:
        tool_turns: tool-call turns before the answer.
    """

    def __init__(self, tool_turns: int = DEFAULT_TOOL_TURNS) -> None:
        self.tool_turns = tool_turns
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> InstantMock:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "workgym.bench._mock", "--tool-turns", str(self.tool_turns)],
            stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url:
            self.stop()
            raise RuntimeError("the instant mock did not start")
        return self

    @property
    def pid(self) -> int:
        """The server process's id (for its CPU time)."""
        assert self._process is not None
        return self._process.pid

    def stats(self) -> dict[str, int]:
        """Chat requests served so far, and how many of them were a conversation's answer."""
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/stats", timeout=30) as response:
            return {key: int(value) for key, value in json.loads(response.read()).items()}

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> InstantMock:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool-turns", type=int, default=DEFAULT_TOOL_TURNS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    serve_forever(args.tool_turns, args.port)


if __name__ == "__main__":
    main()
