"""The local model behind an OpenAI-compatible HTTP server (``workgym serve-local``).

What runs against an endpoint (``workgym eval --policy openai``, ``workgym external
bfcl``, tau2-bench) reaches :class:`LocalPolicy` through it: ``POST /v1/chat/completions``
with ``messages``, ``tools``, ``tool_choice``, ``max_tokens`` (or
``max_completion_tokens``), ``temperature``, ``top_p`` and ``seed``; ``GET /v1/models``.
Replies carry ``tool_calls`` parsed from the model's ``<tool_call>`` blocks, as the
policy parses them in-process. Requests are answered one at a time (the model generates
one reply at a time); ``stream`` and ``n`` above 1 are refused with a 400.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from workgym.agent._local import LocalPolicy
from workgym.agent._openai import SamplingConfig
from workgym.core import validation_message

ChatBody = dict[str, Any]


class BadRequest(ValueError):
    """A request the server answers with 400 and this message."""


def _text(content: Any) -> str:
    """A message's content as text: OpenAI content parts are joined."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _sampling(body: ChatBody, defaults: SamplingConfig) -> SamplingConfig:
    """The reply's settings: the request's, else the server's defaults (max_tokens is
    capped at the server's)."""
    if body.get("stream"):
        raise BadRequest("stream is not supported: send stream=false")
    if body.get("n", 1) != 1:
        raise BadRequest("n must be 1: the local model makes one reply per request")
    choice = body.get("tool_choice", "auto")
    if isinstance(choice, dict):  # a named function: the reply must make a call
        choice = "required"
    if choice not in ("auto", "required", "none"):
        raise BadRequest(f"tool_choice must be auto, required, none or a function, got {choice!r}")
    asked = body.get("max_completion_tokens") or body.get("max_tokens")
    cap = defaults.max_tokens
    if asked is not None and (not isinstance(asked, int) or asked < 1):
        raise BadRequest(f"max_tokens must be a positive integer, got {asked!r}")
    max_tokens = min(asked, cap) if asked and cap else (asked or cap)
    temperature = body.get("temperature", defaults.temperature)
    top_p = body.get("top_p", defaults.top_p)
    try:
        return SamplingConfig(temperature=temperature, top_p=top_p, max_tokens=max_tokens,
                              tool_choice=choice)
    except ValidationError as exc:  # e.g. a negative temperature; worded as the hub words it
        raise BadRequest(validation_message(exc)) from None


def _messages(body: ChatBody) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list")
    out = []
    for msg in messages:
        if not isinstance(msg, dict) or "role" not in msg:
            raise BadRequest("each message must be an object with a role")
        out.append({**msg, "content": _text(msg.get("content"))})
    return out


class LocalServer:
    """The aiohttp application around one :class:`LocalPolicy`.

    Args:
        policy: the model (loaded before the server binds).
        defaults: settings of a request that gives none (``max_tokens`` is also a cap).
        api_key: when set, every request needs ``Authorization: Bearer <api_key>``.
    """

    def __init__(self, policy: LocalPolicy, defaults: SamplingConfig | None = None,
                 api_key: str | None = None) -> None:
        self.policy = policy
        self.defaults = defaults or SamplingConfig(max_tokens=256)
        self.api_key = api_key
        self._ids = itertools.count(1)
        self._one_at_a_time = asyncio.Lock()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        return app

    @web.middleware
    async def _auth(self, request: web.Request,
                    handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "missing or wrong API key (Authorization: Bearer ...)")
        response: web.StreamResponse = await handler(request)
        return response

    async def _models(self, request: web.Request) -> web.Response:
        return _json({"object": "list", "data": [
            {"id": self.policy.model, "object": "model", "owned_by": "workgym"}]})

    async def _chat(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
            if not isinstance(body, dict):
                raise BadRequest("the body must be a JSON object")
            sampling = _sampling(body, self.defaults)
            messages = _messages(body)
            tools = body.get("tools") or []
            if not isinstance(tools, list):
                raise BadRequest("tools must be a list")
        except orjson.JSONDecodeError:
            return _error(400, "the body is not JSON")
        except BadRequest as exc:
            return _error(400, str(exc))
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        given = body.get("seed")
        seed = given if isinstance(given, int) else 0
        async with self._one_at_a_time:
            reply = await self.policy.complete(messages, tools, sampling, seed=seed, turn=turn)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": call.id, "type": "function",
                 "function": {"name": call.name, "arguments": call.arguments}}
                for call in reply.tool_calls]
        usage = reply.usage
        return _json({
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion",
            "created": int(time.time()), "model": self.policy.model,
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": usage.prompt_tokens,
                      "completion_tokens": usage.completion_tokens,
                      "total_tokens": usage.prompt_tokens + usage.completion_tokens},
        })


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": {"message": message, "type": "invalid_request_error"}}, status)


async def serve_local(server: LocalServer, host: str = "127.0.0.1", port: int = 8000, *,
                      on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``server`` until cancelled; ``on_ready`` gets the base URL (``.../v1``)."""
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        if on_ready is not None:
            on_ready(f"http://{host}:{bound}/v1")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
