"""The lean chat-completions path: one JSON encode, one HTTP round trip, one JSON decode.

The ``openai`` SDK walks every message and tool schema through its TypedDict hints on
every request (its recursive request transform) and parses each response into pydantic
models; against a fast server that costs more CPU than everything else of a turn. This
client sends the same JSON body over ``aiohttp`` (encoded and decoded by ``orjson``) and
reads the plain JSON response, with
the SDK's error classes mapped onto two of its own: :class:`EndpointStatusError` (the
server answered with an error status) and :class:`EndpointUnreachable` (no answer:
connection refused or cut, or the time limit passed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

MAX_CONNECTIONS = 1000
"""Connections open at once to one endpoint (the ``openai`` client's default); further
requests wait for a free one within their time limit."""


_STATUS_KINDS = {400: "BadRequestError", 401: "AuthenticationError",
                 403: "PermissionDeniedError", 404: "NotFoundError", 409: "ConflictError",
                 422: "UnprocessableEntityError", 429: "RateLimitError"}


class EndpointStatusError(Exception):
    """The server answered a request with an error status (4xx or 5xx).

    The message reads as the ``openai`` SDK's does (``Error code: 500 - <message>``), so the
    hints that tell a refused request from a failing server match either path.
    """

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.kind = _STATUS_KINDS.get(status_code,
                                      "InternalServerError" if status_code >= 500
                                      else "APIStatusError")
        """The name the ``openai`` SDK gives this error (``RateLimitError``...), so that
        messages and traces read the same on either path."""


class InvalidResponse(Exception):
    """The server answered 2xx with something other than a JSON object."""


class EndpointUnreachable(Exception):
    """No answer came: the connection was refused or cut, or the time limit passed."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.kind = "APITimeoutError" if timed_out else "APIConnectionError"
        """The name the ``openai`` SDK gives this error."""


def encode_body(request: Mapping[str, Any]) -> bytes:
    """The JSON body of a chat-completions request, as the ``openai`` SDK would send it:
    ``extra_body`` merged into the top level, everything else as given."""
    body = {key: value for key, value in request.items() if key != "extra_body"}
    body.update(request.get("extra_body") or {})
    return orjson.dumps(body)


def _status_message(status: int, content: bytes) -> str:
    """The error message as the ``openai`` SDK words it: the status, then the body's
    ``error.message`` (or top-level ``message``) where it has one."""
    try:
        body = json.loads(content.decode("utf-8", "replace").strip())
    except ValueError:
        return f"Error code: {status}"
    error = body.get("error", body) if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"Error code: {status} - {message}" if isinstance(message, str) and message \
        else f"Error code: {status}"


class ChatClient:
    """POST ``/chat/completions`` to an OpenAI-compatible server, one try per call.

    Requests travel over ``aiohttp``: its connection pool costs the same with 4,096
    requests in flight as with one (``httpx``'s scans every connection on each
    request). Retries and backoff are the
    caller's (see ``OpenAIPolicy``), so that both paths share them. Cancelling the
    awaiting task cancels the request.

    Args:
        base_url: the OpenAI-compatible base URL (``http://localhost:8000/v1``).
        api_key: sent as a bearer token.
        timeout_s: time limit of one request.
    """

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
        self.headers = {"Authorization": f"Bearer {api_key}",
                        "Content-Type": "application/json", "Accept": "application/json"}
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def close(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None

    async def post(self, body: bytes) -> dict[str, Any]:
        """Send one encoded request body; return the decoded response object.

        Raises:
            EndpointStatusError: the server answered 4xx or 5xx.
            EndpointUnreachable: no connection, the connection was cut, or time ran out.
            InvalidResponse: the server answered 2xx with something other than a JSON
                object.
        """
        status, content = await self._post_aiohttp(body)
        if status >= 400:
            raise EndpointStatusError(status, _status_message(status, content))
        try:
            data = orjson.loads(content)
        except ValueError as exc:
            raise InvalidResponse(f"the server answered with invalid JSON: "
                                  f"{content[:200]!r}") from exc
        if not isinstance(data, dict):
            raise InvalidResponse(f"the server answered with JSON that is not an object: "
                                  f"{content[:200]!r}")
        return data

    def _aiohttp_session(self) -> Any:
        """The session of the running event loop (made on first use: aiohttp binds a
        session to the loop it was made in)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s))
            self._loop = loop
        return self._session

    async def _post_aiohttp(self, body: bytes) -> tuple[int, bytes]:
        try:
            async with self._aiohttp_session().post(self.url, data=body) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise EndpointUnreachable("Request timed out.", timed_out=True) from exc
        except aiohttp.ClientError as exc:
            raise EndpointUnreachable("Connection error.") from exc
