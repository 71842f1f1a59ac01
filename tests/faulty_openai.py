"""A faulty OpenAI-compatible chat-completions server on loopback, for fault-injection tests.

It speaks HTTP/1.1 over plain sockets, so that it can fail the way real servers and
proxies do below the level of a status code: a 200 whose body is not JSON, JSON that is
not a completion, no answer at all, or headers and half a body and then a closed
connection. Each chat request is answered by a script (see ``scripted_openai``) unless
the fault plan, asked first, names a fault for it. ``GET .../models`` always answers, so
that the harness's endpoint check passes. Imported by name: tests/conftest.py puts tests/
on sys.path.
"""

from __future__ import annotations

import json
import select
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from scripted_openai import Script

FaultKind = Literal["status", "text", "json", "hang", "cut"]


@dataclass(frozen=True)
class Fault:
    """How to answer one request instead of the script.

    ``status``: that HTTP status with an error body; ``text``: 200 with a body that is not
    JSON; ``json``: 200 with ``body`` (JSON, but not a completion); ``hang``: no answer
    until the client hangs up; ``cut``: the script's answer's headers and half its body,
    then the connection closed.
    """

    kind: FaultKind
    status: int = 500
    body: Any = None


Plan = Callable[[dict[str, Any], int], Fault | None]
"""The fault for a request body, given how many times this same request (by its
``seed``, else its messages) arrived before; None: answer by the script."""

HANG_LIMIT_S = 60.0
"""A hung request is dropped after this long even if the client never hangs up."""


@dataclass
class Served:
    """One chat request the server read, and the fault it answered with (None: none)."""

    body: dict[str, Any]
    fault: FaultKind | None


class FaultyServer:
    """``with FaultyServer(script, plan) as server: server.url``; ``server.served`` lists
    the chat requests in arrival order."""

    def __init__(self, script: Script, plan: Plan | None = None) -> None:
        self.script = script
        self.plan: Plan = plan or (lambda body, attempt: None)
        self.served: list[Served] = []
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _TCPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FaultyServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultyServer:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def faults(self, kind: FaultKind | None = None) -> int:
        """Requests answered with a fault (of ``kind``, or of any kind)."""
        with self._lock:
            return sum(s.fault is not None and (kind is None or s.fault == kind)
                       for s in self.served)

    def decide(self, body: dict[str, Any]) -> Fault | None:
        key = str(body.get("seed", json.dumps(body.get("messages"), sort_keys=True)))
        with self._lock:
            attempt = self._seen.get(key, 0)
            self._seen[key] = attempt + 1
        fault = self.plan(body, attempt)
        with self._lock:
            self.served.append(Served(body, fault.kind if fault else None))
        return fault


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is what these tests provoke


def _response(status: int, payload: bytes, *, length: int | None = None) -> bytes:
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error",
              502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Status")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload) if length is None else length}\r\n"
            "Connection: keep-alive\r\n\r\n")
    return head.encode() + payload


def _handler(owner: FaultyServer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while not owner.stopping.is_set():
                request = self._read()
                if request is None:
                    return
                method, path, body = request
                if not self._answer(method, path, body):
                    return

        def _read(self) -> tuple[str, str, bytes] | None:
            line = self.rfile.readline(65536)
            if not line.strip():
                return None
            method, path = line.decode("latin-1").split()[:2]
            length = 0
            while True:
                header = self.rfile.readline(65536)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            return method, path, self.rfile.read(length) if length else b""

        def _answer(self, method: str, path: str, raw: bytes) -> bool:
            """Answer one request; False when the connection is to be dropped."""
            route = path.rstrip("/")
            if method == "GET" and route.endswith("/models"):
                self._send(200, {"object": "list", "data": [
                    {"id": "faulty-model", "object": "model", "created": 0, "owned_by": "t"}]})
                return True
            if not route.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {path}"}})
                return True
            body = json.loads(raw or b"{}")
            fault = owner.decide(body)
            if fault is None:
                self._send(*owner.script(body))
                return True
            if fault.kind == "status":
                self._send(fault.status, {"error": {"message": "injected failure",
                                                    "type": "server_error"}})
                return True
            if fault.kind == "text":
                self.wfile.write(_response(200, b"<html>502 upstream went away</html>"))
                return True
            if fault.kind == "json":
                self.wfile.write(_response(200, json.dumps(fault.body).encode()))
                return True
            if fault.kind == "hang":
                self._hang()
                return False
            payload = json.dumps(owner.script(body)[1]).encode()
            self.wfile.write(_response(200, payload[:len(payload) // 2], length=len(payload)))
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return False

        def _hang(self) -> None:
            """Answer nothing until the client closes the connection (its time limit)."""
            waited = 0.0
            while waited < HANG_LIMIT_S and not owner.stopping.is_set():
                readable, _, _ = select.select([self.connection], [], [], 0.05)
                waited += 0.05
                if readable and not self.connection.recv(65536, socket.MSG_PEEK):
                    return  # the client hung up

        def _send(self, status: int, body: dict[str, Any]) -> None:
            self.wfile.write(_response(status, json.dumps(body).encode()))

    return Handler
