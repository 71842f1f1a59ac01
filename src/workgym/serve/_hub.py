"""One streamable-HTTP server for many episodes: ``workgym serve --many``.

A client creates an episode with ``POST /episodes`` (a task by family and seed, a full
spec, or the next task of the server's suite) and gets its id, its own token and its MCP
URL, ``/episodes/ID/mcp``. The episode lives on the server, across MCP sessions and
client connections, until the client closes it (``POST /episodes/ID/close``, which
answers with the grade) or it has been idle for the timeout; its grade stays readable at
``GET /episodes/ID``. Every request about an episode needs that episode's token; on an
address other than loopback, creating one needs the server's token. The same machinery
serves the single episode of ``workgym serve --transport http`` at ``/mcp``.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workgym.core import Difficulty, Episode, TaskSpec, make, make_from_spec, validation_message
from workgym.serve._server import HTTP_PATH, EpisodeGuard, build_server

if TYPE_CHECKING:
    import anyio.abc
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from mcp.server.transport_security import TransportSecuritySettings

    Scope = dict[str, Any]
    Receive = Callable[[], Awaitable[dict[str, Any]]]
    Send = Callable[[dict[str, Any]], Awaitable[None]]

logger = logging.getLogger("workgym.serve")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_EPISODE_PATH = re.compile(r"^/episodes/([0-9a-f]{16})(/mcp|/close)?/?$")
MAX_BODY_BYTES = 1 << 20
"""Largest control request (``POST /episodes``, ``.../close``) read."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (where no token is required)."""
    return host in LOOPBACK or host.startswith("127.")


class HubConfig(BaseModel):
    """How a many-episode server listens, admits and times out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    """Address to bind. Anything but loopback requires ``token``."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port; 0 picks a free one."""
    token: str | None = None
    """Bearer token that creating an episode (and the fixed episode's endpoint) needs."""
    strict: bool = False
    """Serve the strict-mode schema variant unless a create request says otherwise."""
    idle_timeout_s: float | None = Field(default=600.0, gt=0)
    """Close an episode (grading it) after this long without a request; None: never.
    For the single episode of ``workgym serve --transport http``: stop the server."""
    max_episodes: int = Field(default=10_000, ge=1)
    """Open episodes at most; a create request beyond answers 503."""
    keep_results: int = Field(default=100_000, ge=0)
    """Grades of closed episodes kept for ``GET /episodes/ID`` (oldest dropped first)."""
    suite: str | None = None
    """A suite whose tasks ``POST /episodes`` with an empty body hands out in order."""
    per_level: int | None = Field(default=None, ge=1)
    """Size of ``suite`` (tasks per family and difficulty), instead of its default."""

    @model_validator(mode="after")
    def _token_off_loopback(self) -> HubConfig:
        if self.token is not None and len(self.token) < 16:
            raise ValueError("the bearer token must be at least 16 characters; make one "
                             "with: python -c 'import secrets; print(secrets.token_urlsafe())'")
        if not is_loopback(self.host) and not self.token:
            raise ValueError(
                f"refusing to serve on {self.host} without a bearer token: pass --token "
                "(or set WORKGYM_SERVE_TOKEN), or bind to 127.0.0.1")
        if self.idle_timeout_s is not None and not math.isfinite(self.idle_timeout_s):
            raise ValueError("idle_timeout_s must be a finite number of seconds, or None")
        return self


class CreateEpisode(BaseModel):
    """The body of ``POST /episodes``: a task by family id and seed, a full spec, or
    nothing (the next task of the server's suite)."""

    model_config = ConfigDict(extra="forbid")

    family_id: str | None = None
    """Versioned family id, e.g. ``office/library-catalogue-v1``."""
    seed: int = Field(default=0, ge=0)
    difficulty: Difficulty = "medium"
    richness: float = Field(default=0.5, ge=0.0, le=1.0)
    variant: str = "default"
    spec: TaskSpec | None = None
    """A full task spec, instead of ``family_id`` and the knobs."""
    strict: bool | None = None
    """Serve the strict-mode schemas to this episode; default: the server's setting."""

    @model_validator(mode="after")
    def _one_source(self) -> CreateEpisode:
        if self.spec is not None and self.family_id is not None:
            raise ValueError("give either 'spec' or 'family_id', not both")
        return self


class CloseEpisode(BaseModel):
    """The body of ``POST /episodes/ID/close`` (may be empty)."""

    model_config = ConfigDict(extra="forbid")

    answer: str | None = None
    """The final answer, for tasks whose criteria read one."""


class HubError(Exception):
    """A control request that fails; becomes a JSON error with the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class _Hosted:
    id: str
    token: str
    episode: Episode
    manager: StreamableHTTPSessionManager
    guard: EpisodeGuard = field(default_factory=EpisodeGuard)
    last_active: float = field(default_factory=time.monotonic)
    requests: int = 0
    """MCP requests in flight, streams of server notifications (GET) not counted."""
    closing: bool = False
    stop: Any = None
    """anyio.Event: set to end the episode's MCP session manager."""
    stopped: Any = None
    """anyio.Event: set once it has ended."""
    closed: Any = None
    """anyio.Event: set once the episode is graded and removed."""
    record: dict[str, Any] | None = None
    """The grade record, once closed."""


def _security(host: str) -> TransportSecuritySettings | None:
    """The SDK's DNS-rebinding protection for loopback (the Host header must be loopback,
    so a web page cannot reach the server through a name it controls); elsewhere the
    token is the protection."""
    from mcp.server.transport_security import TransportSecuritySettings

    if not is_loopback(host):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if kind.lower() == "bearer" else None
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def _respond(send: Send, status: int, body: dict[str, Any],
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


async def _read_json(receive: Receive) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HubError(400, "the client went away before sending its request body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HubError(413, f"request body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks).strip()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise HubError(400, "the request body is not JSON; send a JSON object") from None
    if not isinstance(body, dict):
        raise HubError(400, "the request body must be a JSON object")
    return body


class EpisodeHub:
    """Many episodes behind one ASGI app (see the module docstring for the HTTP API).

    Use ``serve_hub`` to run it with uvicorn, or mount ``hub`` (the ASGI callable) in
    any ASGI server that runs the lifespan protocol.

    Args:
        config: listening, admission and timeout settings.
        fixed: serve only this episode, at ``/mcp``, instead of creating episodes (the
            server of ``workgym serve --transport http``); it is never closed here.
    """

    def __init__(self, config: HubConfig, *, fixed: Episode | None = None) -> None:
        self.config = config
        self._episodes: dict[str, _Hosted] = {}
        self._closing: dict[str, _Hosted] = {}
        """Episodes being graded: still found by id and token, no longer callable."""
        self._results: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._security = _security(config.host)
        self._tasks: anyio.abc.TaskGroup | None = None
        self._fixed_episode = fixed
        self._fixed: _Hosted | None = None
        self._suite: list[TaskSpec] | None = None
        self._cursor = 0
        self.created = 0
        """Episodes created so far."""
        self.on_idle: Callable[[], None] | None = None
        """Called when the fixed episode has been idle for the timeout."""
        if fixed is None and config.suite is not None:
            from workgym.agent import suite_specs

            self._suite = suite_specs(config.suite, config.per_level)

    # -- episodes --------------------------------------------------------------------

    @property
    def suite_tasks(self) -> int | None:
        """How many tasks the suite cursor holds (None without a suite)."""
        return None if self._suite is None else len(self._suite)

    @property
    def open_episodes(self) -> int:
        """Episodes open now."""
        return len(self._episodes)

    async def _host(self, hosted: _Hosted, *,
                    task_status: anyio.abc.TaskStatus[None]) -> None:
        try:
            async with hosted.manager.run():
                task_status.started()
                await hosted.stop.wait()
        finally:
            hosted.stopped.set()

    async def _start(self, episode: Episode, strict: bool) -> _Hosted:
        import anyio
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        if self._tasks is None:
            raise RuntimeError("the hub is not running: serve it with serve_hub "
                               "or an ASGI server that runs the lifespan")
        guard = EpisodeGuard()
        server = build_server(episode, strict=strict, guard=guard)
        manager = StreamableHTTPSessionManager(
            app=server, json_response=True, security_settings=self._security,
            # An MCP session is one client connection; the episode outlives it. Sessions
            # a client forgets to end are dropped well before the episode times out.
            session_idle_timeout=min(self.config.idle_timeout_s or 600.0, 600.0),
            max_sessions=64)
        hosted = _Hosted(id=secrets.token_hex(8), token=secrets.token_urlsafe(24),
                         episode=episode, manager=manager, guard=guard,
                         stop=anyio.Event(), stopped=anyio.Event(), closed=anyio.Event())
        await self._tasks.start(self._host, hosted)
        return hosted

    async def create(self, request: CreateEpisode) -> tuple[_Hosted, int | None]:
        """Start an episode; returns it and its index in the suite (when from the suite).

        Raises:
            HubError: no task given and no suite, the suite is used up, an unknown
                family, or the server is full.
        """
        import anyio

        from workgym.core import UnknownFamilyError

        if self.open_episodes >= self.config.max_episodes:
            raise HubError(503, f"{self.open_episodes} episodes are open, the most this "
                                "server allows (--max-episodes); close one first")
        index: int | None = None
        spec = request.spec
        if spec is None and request.family_id is None:
            if self._suite is None:
                raise HubError(400, "say which task: 'family_id' (and 'seed', 'difficulty', "
                                    "'richness') or 'spec'; or start the server with --suite")
            if self._cursor >= len(self._suite):
                raise HubError(410, f"every task of suite {self.config.suite!r} has been "
                                    f"handed out ({len(self._suite)})")
            index, spec = self._cursor, self._suite[self._cursor]
            self._cursor += 1
        try:
            if spec is not None:
                task = make_from_spec(spec)
            else:
                task = make(request.family_id or "", seed=request.seed,
                            difficulty=request.difficulty, richness=request.richness,
                            variant=request.variant)
        except UnknownFamilyError as exc:
            raise HubError(404, str(exc)) from None
        except ValueError as exc:
            raise HubError(400, str(exc)) from None
        # Materializing a world writes its files: a worker thread, so that the calls of
        # the episodes already open go on meanwhile.
        episode = await anyio.to_thread.run_sync(task.start)
        strict = self.config.strict if request.strict is None else request.strict
        try:
            hosted = await self._start(episode, strict)
        except BaseException:
            episode.close()
            raise
        self._episodes[hosted.id] = hosted
        self.created += 1
        return hosted, index

    async def close(self, hosted: _Hosted, reason: str,
                    answer: str | None = None) -> dict[str, Any]:
        """Close an episode: no more calls, its MCP sessions end, it is graded and its
        workspace removed. Returns the grade record (also kept for ``GET``)."""
        import anyio

        if hosted.closing:
            await hosted.closed.wait()
            return hosted.record or {}
        hosted.closing = True
        self._episodes.pop(hosted.id, None)
        self._closing[hosted.id] = hosted
        record: dict[str, Any] = {"state": "closed", "reason": reason, "episode_id": hosted.id,
                                  "error": "closing was interrupted"}
        try:
            await hosted.guard.close()
            hosted.stop.set()
            await hosted.stopped.wait()

            def finish() -> dict[str, Any]:
                episode = hosted.episode
                try:
                    if answer is not None:
                        episode.finish(answer)
                    grade = episode.grade()
                    return {"state": "closed", "reason": reason,
                            "episode_id": hosted.id, "task_id": episode.task.id,
                            "spec": episode.task.spec.model_dump(mode="json"),
                            "calls": len(episode.calls), "answer": episode.answer,
                            "world_digest": episode.world.digest(),
                            "grade": grade.model_dump(mode="json")}
                finally:
                    episode.close()

            with anyio.CancelScope(shield=True):
                record = await anyio.to_thread.run_sync(finish)
        except Exception as exc:  # a grader bug: the record says so, the server goes on
            logger.exception("closing episode %s failed", hosted.id)
            record = {"state": "closed", "reason": reason, "episode_id": hosted.id,
                      "error": f"{type(exc).__name__}: {exc}"}
        finally:
            # The record is in place before anyone waiting on the close is woken.
            hosted.record = record
            if self.config.keep_results:
                self._results[hosted.id] = (hosted.token, record)
                while len(self._results) > self.config.keep_results:
                    self._results.popitem(last=False)
            self._closing.pop(hosted.id, None)
            hosted.closed.set()
        return record

    async def _reap(self) -> None:
        """Close episodes idle past the timeout (or stop, for the fixed episode)."""
        import anyio

        timeout = self.config.idle_timeout_s
        if timeout is None:
            return
        period = max(0.05, min(timeout / 4, 5.0))
        while True:
            await anyio.sleep(period)
            now = time.monotonic()
            if self._fixed is not None:
                if self._fixed.requests == 0 and now - self._fixed.last_active > timeout:
                    logger.info("no request for %gs: stopping", timeout)
                    if self.on_idle is not None:
                        self.on_idle()
                    return
                continue
            assert self._tasks is not None
            for hosted in [h for h in self._episodes.values()
                           if h.requests == 0 and now - h.last_active > timeout]:
                self._tasks.start_soon(self.close, hosted, "idle timeout")

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                await self._route(scope, receive, send)
            except HubError as exc:
                await _respond(send, exc.status, {"error": exc.message})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        import anyio

        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        try:
            async with anyio.create_task_group() as tasks:
                self._tasks = tasks
                if self._fixed_episode is not None:
                    self._fixed = await self._start(self._fixed_episode, self.config.strict)
                tasks.start_soon(self._reap)
                await send({"type": "lifespan.startup.complete"})
                message = await receive()  # lifespan.shutdown
                with anyio.CancelScope(shield=True):
                    for hosted in list(self._episodes.values()):
                        await self.close(hosted, "server shutdown")
                    if self._fixed is not None:
                        await self._fixed.guard.close()
                tasks.cancel_scope.cancel()
        finally:
            self._tasks = None
        await send({"type": "lifespan.shutdown.complete"})

    def _check_host(self, scope: Scope) -> None:
        # The control endpoints get the same DNS-rebinding check as the SDK's MCP ones.
        if self._security is None:
            return
        host = _header(scope, b"host") or ""
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in ("127.0.0.1", "localhost", "[::1]"):
            raise HubError(421, f"Host header {host!r} is not a loopback address")

    def _check_server_token(self, scope: Scope) -> None:
        if self.config.token is None:
            return
        given = _bearer(scope)
        if given is None:
            raise HubError(401, "this server needs its bearer token: send "
                                "'Authorization: Bearer <token>' (the --token it was started with)")
        if not _same(given, self.config.token):
            raise HubError(403, "wrong bearer token for this server")

    def _episode(self, scope: Scope, episode_id: str) -> _Hosted | tuple[str, dict[str, Any]]:
        """The open episode (or the closed one's token and grade) that the request's
        token opens; the same 404 whether the id is unknown or the token wrong, so that
        ids cannot be probed."""
        given = _bearer(scope)
        if given is None:
            raise HubError(401, "send this episode's token as 'Authorization: Bearer <token>' "
                                "(the token that POST /episodes returned with its id)")
        hosted = self._episodes.get(episode_id) or self._closing.get(episode_id)
        if hosted is not None and _same(given, hosted.token):
            return hosted
        done = self._results.get(episode_id)
        if done is not None and _same(given, done[0]):
            return done
        raise HubError(404, f"no episode {episode_id} for this token")

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if self._fixed is not None:
            if path.rstrip("/") != HTTP_PATH:
                raise HubError(404, f"the MCP endpoint is {HTTP_PATH}")
            self._check_server_token(scope)
            await self._mcp(self._fixed, scope, receive, send)
            return
        if path.rstrip("/") == "/episodes":
            self._check_host(scope)
            self._check_server_token(scope)
            if method == "POST":
                await self._create(scope, receive, send)
            elif method == "GET":
                await _respond(send, 200, self._status())
            else:
                raise HubError(405, "use POST /episodes to start an episode")
            return
        match = _EPISODE_PATH.match(path)
        if match is None:
            raise HubError(404, "unknown path; the endpoints are POST /episodes, "
                                "/episodes/ID/mcp (MCP), POST /episodes/ID/close, "
                                "GET /episodes/ID")
        episode_id, tail = match.group(1), match.group(2)
        if tail != "/mcp":
            self._check_host(scope)
        found = self._episode(scope, episode_id)
        if tail == "/mcp":
            if not isinstance(found, _Hosted) or found.closing:
                raise HubError(410, f"episode {episode_id} is closed; "
                                    f"GET /episodes/{episode_id} has its grade")
            await self._mcp(found, scope, receive, send)
        elif tail == "/close" or method == "DELETE":
            if tail == "/close" and method != "POST":
                raise HubError(405, "use POST to close an episode")
            answer = None
            if method == "POST":
                try:
                    answer = CloseEpisode.model_validate(await _read_json(receive)).answer
                except ValidationError as exc:
                    raise HubError(400, validation_message(exc)) from None
            record = (await self.close(found, "closed by the client", answer)
                      if isinstance(found, _Hosted) else found[1])
            await _respond(send, 200, record)
        elif method == "GET":
            if isinstance(found, _Hosted) and found.closing:
                await found.closed.wait()  # being graded: answer with the grade
                await _respond(send, 200, found.record or {})
            else:
                await _respond(send, 200, self._describe(found))
        else:
            raise HubError(405, f"use GET, DELETE or POST /episodes/{episode_id}/close")

    def _status(self) -> dict[str, Any]:
        status: dict[str, Any] = {"open": self.open_episodes, "created": self.created,
                                  "max_episodes": self.config.max_episodes,
                                  "idle_timeout_s": self.config.idle_timeout_s}
        if self._suite is not None:
            status["suite"] = {"name": self.config.suite, "tasks": len(self._suite),
                               "handed_out": self._cursor}
        return status

    def _describe(self, found: _Hosted | tuple[str, dict[str, Any]]) -> dict[str, Any]:
        if not isinstance(found, _Hosted):
            return found[1]
        episode = found.episode
        return {"state": "open", "episode_id": found.id, "task_id": episode.task.id,
                "spec": episode.task.spec.model_dump(mode="json"), "calls": len(episode.calls),
                "idle_s": round(time.monotonic() - found.last_active, 3)}

    async def _create(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            request = CreateEpisode.model_validate(await _read_json(receive))
        except ValidationError as exc:
            raise HubError(400, validation_message(exc)) from None
        hosted, index = await self.create(request)
        episode = hosted.episode
        host = _header(scope, b"host") or f"{self.config.host}:{self.config.port}"
        scheme = scope.get("scheme", "http")
        mcp_path = f"/episodes/{hosted.id}/mcp"
        body: dict[str, Any] = {
            "episode_id": hosted.id, "token": hosted.token, "url": f"{scheme}://{host}{mcp_path}",
            "path": mcp_path, "task_id": episode.task.id,
            "spec": episode.task.spec.model_dump(mode="json"), "prompt": episode.task.prompt,
            "tools": [t.name for t in episode.wire_tools()],
            "idle_timeout_s": self.config.idle_timeout_s}
        if index is not None:
            body["suite_index"] = index
        await _respond(send, 201, body)

    async def _mcp(self, hosted: _Hosted, scope: Scope, receive: Receive, send: Send) -> None:
        # A stream of server notifications (GET) may stay open for as long as the
        # client is connected: it does not keep an episode from timing out.
        counted = scope["method"] != "GET"
        hosted.last_active = time.monotonic()
        if counted:
            hosted.requests += 1
        try:
            await hosted.manager.handle_request(scope, receive, send)  # type: ignore[arg-type]
        finally:
            if counted:
                hosted.requests -= 1
            hosted.last_active = time.monotonic()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0: any free port).

    Raises:
        OSError: the address cannot be bound, with the address in the message.
    """
    # IPPROTO_TCP explicitly: asyncio turns Nagle's algorithm off only on connections whose
    # socket says TCP; with proto 0 every keep-alive response written in two parts
    # (headers, body) waited ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # Listening now (uvicorn listens again, harmlessly) queues early clients instead of
    # refusing them, so the URL is usable as soon as on_ready has it.
    sock.listen(4096)
    return sock


async def serve_hub(hub: EpisodeHub, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Run ``hub`` with uvicorn on its configured address until cancelled or signalled.

    Cancelling stops uvicorn gracefully (open episodes are closed and graded) before
    returning; in the main thread SIGINT and SIGTERM do the same, then uvicorn raises
    the signal again, so the caller's own handling (KeyboardInterrupt) follows.

    Args:
        hub: the hub to serve.
        on_ready: called with the base URL (``http://HOST:PORT``) once listening.

    Raises:
        OSError: the address cannot be bound.
    """
    import anyio
    import uvicorn

    config = hub.config
    sock = bind(config.host, config.port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{config.host}]" if ":" in config.host else config.host
    http = uvicorn.Server(uvicorn.Config(
        hub, log_level="warning", lifespan="on", access_log=False,
        # Keep-alive beyond uvicorn's 5 s default: a trainer's client may pause between
        # turns for as long as its model takes, and a new connection per turn costs.
        timeout_keep_alive=75, backlog=4096,
        # A client's stream of server notifications (GET) stays open as long as the
        # client does; stopping waits this long for it, then closes and grades anyway.
        timeout_graceful_shutdown=5))

    def stop() -> None:
        http.should_exit = True

    hub.on_idle = stop

    async def stop_when_cancelled() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            stop()

    if on_ready is not None:
        on_ready(f"http://{shown_host}:{bound_port}")
    try:
        # Cancelling the caller stops uvicorn the graceful way rather than tearing its
        # tasks down mid-request.
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(stop_when_cancelled)
            with anyio.CancelScope(shield=True):
                await http.serve(sockets=[sock])
            tasks.cancel_scope.cancel()
    finally:
        sock.close()

