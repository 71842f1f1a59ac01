"""A policy served by any OpenAI-compatible chat-completions endpoint (vLLM, SGLang...)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workgym.agent._http import (
    ChatClient,
    EndpointStatusError,
    EndpointUnreachable,
    InvalidResponse,
    encode_body,
)
from workgym.agent._policy import (
    AssistantTurn,
    ContextLengthExceeded,
    PolicyContext,
    PolicyError,
    ToolCallRequest,
)
from workgym.core import Usage, derive_seed

DEFAULT_MAX_TOKENS = 4096
"""Tokens one turn may generate at an endpoint unless ``max_tokens`` says otherwise:
without a limit a server may generate until the context is full (minutes on a CPU)."""

ToolChoice = Literal["auto", "required", "none"]


class SamplingConfig(BaseModel):
    """How the model samples. ``None`` leaves the server's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0)
    """Sampling temperature."""
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Most tokens the model may generate in one turn; None: the policy's default
    (``DEFAULT_MAX_TOKENS`` at an endpoint, 256 for the local model), never unlimited."""
    seed: int | None = None
    """Base seed; each request gets a seed derived from it, the task, the sample and the
    turn, so a rerun asks for the same samples (where the server honours seeds)."""
    parallel_tool_calls: bool | None = None
    """Sent as ``parallel_tool_calls`` when set."""
    tool_choice: ToolChoice | None = "auto"
    """Sent as ``tool_choice`` with the tools: ``auto`` (the model decides), ``required``
    (every turn calls a tool) or ``none``; None sends nothing. Some servers drop the
    tools when it is missing (llama-cpp-python's ``chatml-function-calling``)."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Passed through in the request body, e.g.
    ``{"chat_template_kwargs": {"enable_thinking": false}}`` or ``{"top_k": 20}``."""


class EndpointConfig(BaseModel):
    """Where the model is served and how hard to try."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    """OpenAI-compatible base URL, e.g. ``http://localhost:8000/v1``."""
    model: str
    """Model name as the server knows it."""
    retries: int = Field(default=5, ge=0)
    """Retries of one request on 408, 409, 429, 5xx, timeouts and connection errors. A
    request the server refused as invalid (another 4xx, or a 5xx that says so) is not
    retried: it would fail the same way."""
    backoff_s: float = Field(default=1.0, ge=0.0)
    """Wait before the first retry; doubles on each further one."""
    backoff_max_s: float = Field(default=30.0, ge=0.0)
    """Longest wait between two tries."""
    timeout_s: float = Field(default=600.0, gt=0.0)
    """Time limit of one request."""
    client: Literal["lean", "openai"] = "lean"
    """How requests are sent: ``lean`` (one JSON encode and one round trip over aiohttp,
    a tenth of the CPU per turn) or ``openai`` (the official SDK, for comparison). Both
    send the same request bodies and make the same turns of the same responses."""


_CONTEXT_HINTS = ("context length", "context_length", "maximum context", "too many tokens",
                  "prompt is too long", "exceeds the model", "context window")
_INVALID_HINTS = ("invalid", "validation error", "validationerror", "bad request",
                  "unprocessable", "not supported", "unsupported", "must be", "is required",
                  "template")
"""Words of a 5xx body that mean the request itself was refused (some servers answer
a bad request with 500): retrying it would fail the same way."""
_RETRY_STATUS = frozenset({408, 409, 429})


def _retryable_status(status: int, text: str) -> bool:
    """Whether a request the server answered with ``status`` may pass on a second try."""
    if status in _RETRY_STATUS:
        return True
    if status < 500:
        return False
    return not any(hint in text.lower() for hint in _INVALID_HINTS)


def _retryable(exc: Exception) -> bool:
    """Whether a failed request may succeed if sent again (the server was down,
    overloaded or slow), rather than being refused for what it asked."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError,
                        EndpointUnreachable)):
        return True
    if isinstance(exc, (openai.APIStatusError, EndpointStatusError)):
        return _retryable_status(exc.status_code, str(exc))
    return False


def _wire_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as sent: without recorded reasoning, assistant content never null,
    and malformed tool-call arguments replaced by ``{}`` (servers that parse them to render the chat template
    would refuse the whole request; the tool's error result already tells the model)."""
    wire = []
    for msg in messages:
        msg = {k: v for k, v in msg.items() if k != "reasoning_content"}
        if msg.get("role") == "assistant" and msg.get("content") is None:
            msg["content"] = ""  # several servers refuse a null content (llama-cpp-python)
        if msg.get("tool_calls"):
            calls = []
            for call in msg["tool_calls"]:
                args = call.get("function", {}).get("arguments", "{}")
                try:
                    ok = isinstance(json.loads(args), dict)
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    call = {**call, "function": {**call["function"], "arguments": "{}"}}
                calls.append(call)
            msg["tool_calls"] = calls
        wire.append(msg)
    return wire


@dataclass
class ToolUse:
    """What an endpoint's responses did with the tools they were sent, counted over the
    policy's life: the data of the run's no-tool-call warnings."""

    requests_with_tools: int = 0
    """Requests that carried tools."""
    responses_with_calls: int = 0
    """Their responses that carried at least one tool call."""
    calls_in_text: int = 0
    """Responses without tool calls whose text looks like one (``<tool_call>`` or a
    ``"name"`` key): the server did not parse the model's calls."""

    def warnings(self) -> list[str]:
        """What to warn of: tools sent on every request, and no response called one."""
        if not self.requests_with_tools or self.responses_with_calls:
            return []
        text = (f"the server answered {self.requests_with_tools} requests that carried "
                "tools without a single tool call")
        if self.calls_in_text:
            return [(f"{text}, but {self.calls_in_text} replies hold tool calls as text: "
                     "the server does not parse the model's tool calls (vLLM: "
                     "--enable-auto-tool-choice --tool-call-parser NAME; llama-cpp-python: "
                     "--chat_format chatml-function-calling)")]
        return [(f"{text}: check that the server passes tools to the model (its chat "
                 "template, --tool-choice) or that the model can call tools at all")]


def _looks_like_call(text: str | None) -> bool:
    return bool(text) and ("<tool_call>" in text or '"name"' in text)  # type: ignore[operator]


class OpenAIPolicy:
    """Chat completions at an OpenAI-compatible endpoint.

    Every request carries ``max_tokens`` (``DEFAULT_MAX_TOKENS`` unless set) and, with
    the tools, ``tool_choice``. Requests that fail for the server's sake (down,
    overloaded, slow) are retried with backoff; requests it refused as invalid are not.
    ``endpoint.client`` picks how requests travel: the lean path (the default) or the
    official ``openai`` client; bodies, retries and turns are the same on both.

    Args:
        endpoint: base URL, model name, retries, time limit and client.
        sampling: temperature, top_p, max_tokens, tool_choice, seed and extra body.
        api_key: the server's key (``OPENAI_API_KEY``); local servers accept any.

    Example:
        >>> policy = OpenAIPolicy(EndpointConfig(base_url="http://localhost:8000/v1",
        ...                                      model="Qwen/Qwen3-8B"))
    """

    name = "openai"

    def __init__(self, endpoint: EndpointConfig, sampling: SamplingConfig | None = None,
                 api_key: str | None = None) -> None:
        self.endpoint = endpoint
        self.sampling = sampling or SamplingConfig()
        self.model: str | None = endpoint.model
        self.tool_use = ToolUse()
        self._api_key = api_key
        self._lean: ChatClient | None = None
        self._sdk: Any = None
        if endpoint.client == "lean":
            self._lean = ChatClient(endpoint.base_url, api_key or "EMPTY", endpoint.timeout_s)
        else:
            from openai import AsyncOpenAI

            # Retries are ours (configurable count and backoff), so the client makes none.
            self._sdk = AsyncOpenAI(base_url=endpoint.base_url, api_key=api_key or "EMPTY",
                                    max_retries=0, timeout=endpoint.timeout_s)

    async def close(self) -> None:
        if self._lean is not None:
            await self._lean.close()
        if self._sdk is not None:
            await self._sdk.close()

    async def load(self) -> None:
        """Check that something answers at the endpoint before any task starts.

        Raises:
            PolicyError: nothing listens there, or it does not answer in time.
        """
        await probe_endpoint(self.endpoint.base_url, self._api_key)

    def warnings(self) -> list[str]:
        """Warnings about the server, from its responses so far (see :class:`ToolUse`)."""
        return self.tool_use.warnings()

    def _request(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                 ctx: PolicyContext) -> dict[str, Any]:
        s = self.sampling
        request: dict[str, Any] = {"model": self.endpoint.model,
                                   "messages": _wire_messages(messages),
                                   "max_tokens": s.max_tokens or DEFAULT_MAX_TOKENS}
        if tools:
            request["tools"] = list(tools)
            if s.tool_choice is not None:
                request["tool_choice"] = s.tool_choice
            if s.parallel_tool_calls is not None:
                request["parallel_tool_calls"] = s.parallel_tool_calls
        for key in ("temperature", "top_p"):
            if getattr(s, key) is not None:
                request[key] = getattr(s, key)
        if s.seed is not None:
            request["seed"] = derive_seed(s.seed, ctx.task.id, ctx.sample, ctx.turn) % 2**31
        if s.extra_body:
            request["extra_body"] = dict(s.extra_body)
        return request

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        request = self._request(messages, tools, ctx)
        if self._lean is not None:
            turn = json_turn(await self._with_retries(self._lean_send(request)), ctx.turn)
        else:
            turn = _turn(await self._with_retries(self._sdk_send(request)), ctx.turn)
        if tools:
            self.tool_use.requests_with_tools += 1
            if turn.tool_calls:
                self.tool_use.responses_with_calls += 1
            elif _looks_like_call(turn.content):
                self.tool_use.calls_in_text += 1
        return turn

    def _lean_send(self, request: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
        body = encode_body(request)  # encoded once, whatever the number of tries
        client = self._lean
        assert client is not None
        return lambda: client.post(body)

    def _sdk_send(self, request: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
        return lambda: self._sdk.chat.completions.create(**request)

    async def _with_retries(self, send: Callable[[], Awaitable[Any]]) -> Any:
        """``send()`` until it succeeds, retrying what may pass on another try.

        Raises:
            ContextLengthExceeded: the server said the conversation is too long.
            PolicyError: the request was refused as invalid, or the tries ran out.
        """
        import openai

        delay = self.endpoint.backoff_s
        attempt = 0
        while True:
            try:
                return await send()
            except (openai.OpenAIError, EndpointStatusError, EndpointUnreachable) as exc:
                text = str(exc)
                status = getattr(exc, "status_code", None)
                if status is not None and any(hint in text.lower() for hint in _CONTEXT_HINTS):
                    raise ContextLengthExceeded(text) from exc
                if not _retryable(exc):
                    raise PolicyError(f"request refused{f' (HTTP {status})' if status else ''}"
                                      f", not retried: {text}") from exc
                if attempt >= self.endpoint.retries:
                    tries = attempt + 1
                    name = getattr(exc, "kind", type(exc).__name__)
                    raise PolicyError(f"{name} after {tries} tries: {text}") from exc
                attempt += 1
                await asyncio.sleep(min(delay, self.endpoint.backoff_max_s))
                delay *= 2
            except InvalidResponse as exc:
                raise PolicyError(str(exc)) from exc
            except json.JSONDecodeError as exc:  # the SDK's reading of a 2xx body
                raise PolicyError(f"the server answered with invalid JSON: {exc}") from exc


def _turn(response: Any, turn: int) -> AssistantTurn:
    """The turn of an SDK response object (read as :func:`json_turn` reads a decoded
    one: a body that is not a completion is a PolicyError, never an AttributeError)."""
    choices = getattr(response, "choices", None)
    if not choices or not isinstance(choices, list):
        raise PolicyError("the server answered with no choices")
    choice = choices[0]
    msg = getattr(choice, "message", None)
    if msg is None:
        raise PolicyError(f"the server answered a choice without a message: {choice!r:.200}")
    calls = []
    for i, call in enumerate(msg.tool_calls or []):
        fn = getattr(call, "function", None)
        if fn is None:
            continue
        calls.append(_call(call.id, fn.name, fn.arguments, turn, i))
    extra = msg.model_extra or {}
    usage = Usage()
    if response.usage is not None:
        usage = Usage(prompt_tokens=response.usage.prompt_tokens or 0,
                      completion_tokens=response.usage.completion_tokens or 0)
    return AssistantTurn(content=msg.content or "", tool_calls=calls, usage=usage,
                         finish_reason=choice.finish_reason,
                         reasoning=_reasoning(extra))


def json_turn(response: dict[str, Any], turn: int) -> AssistantTurn:
    """The assistant turn of a decoded chat-completions response, read as the SDK path
    reads its response objects: the first choice, tool calls without an id numbered
    ``call_<turn>_<index>``, object arguments as JSON text, reasoning apart.

    Raises:
        PolicyError: the response has no choice or no message.
    """
    choices = response.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise PolicyError("the server answered with no choices")
    choice = choices[0]
    msg = choice.get("message")
    if not isinstance(msg, dict):
        raise PolicyError(f"the server answered a choice without a message: {choice!r:.200}")
    calls = []
    for i, call in enumerate(msg.get("tool_calls") or []):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        calls.append(_call(call.get("id"), fn.get("name"), fn.get("arguments"), turn, i))
    usage = Usage()
    counts = response.get("usage")
    if isinstance(counts, dict):
        usage = Usage(prompt_tokens=counts.get("prompt_tokens") or 0,
                      completion_tokens=counts.get("completion_tokens") or 0)
    return AssistantTurn(content=msg.get("content") or "", tool_calls=calls, usage=usage,
                         finish_reason=choice.get("finish_reason"), reasoning=_reasoning(msg))


def _call(call_id: str | None, name: str | None, arguments: Any, turn: int,
          index: int) -> ToolCallRequest:
    args = arguments if arguments is not None else "{}"
    if not isinstance(args, str):  # some servers send an object instead of JSON text
        args = json.dumps(args, ensure_ascii=False)
    return ToolCallRequest(id=call_id or f"call_{turn}_{index}", name=name or "",
                           arguments=args)


def _reasoning(fields: dict[str, Any]) -> str | None:
    reasoning = fields.get("reasoning_content") or fields.get("reasoning")
    return reasoning if isinstance(reasoning, str) else None


PROBE_TIMEOUT_S = 30.0


async def probe_endpoint(base_url: str, api_key: str | None = None,
                         timeout_s: float = PROBE_TIMEOUT_S) -> list[str] | None:
    """The models an endpoint serves (``GET /models``), tried once: a quick check that
    something answers there before a run starts.

    Returns:
        The model ids, or None when the server answers but lists none (no ``/models``).

    Raises:
        PolicyError: nothing listens at ``base_url``, or it does not answer within
            ``timeout_s``; the message says what to fix.
    """
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "EMPTY", max_retries=0,
                                timeout=timeout_s)
    try:
        return [m.id async for m in client.models.list()]
    except openai.APITimeoutError:
        raise PolicyError(f"{base_url} did not answer within {timeout_s:g} s; is the server "
                          "up and is this its OpenAI-compatible base URL (ending in /v1)?"
                          ) from None
    except openai.APIConnectionError as exc:
        raise PolicyError(f"nothing is listening at {base_url} ({exc.__cause__ or exc}); "
                          "start the model server or fix --model") from None
    except openai.AuthenticationError as exc:
        raise PolicyError(f"{base_url} refused the API key (HTTP 401): set --api-key or "
                          f"OPENAI_API_KEY ({exc})") from None
    except openai.APIStatusError:
        return None  # it answers; it just has no model list
    finally:
        await client.close()


async def served_model(base_url: str, api_key: str | None = None, timeout_s: float = 30.0) -> str:
    """The one model an endpoint serves (``GET /models``), for when none is named.

    Raises:
        PolicyError: the endpoint cannot be reached, or serves several models or none.
    """
    models = await probe_endpoint(base_url, api_key, timeout_s)
    if models is None:
        raise PolicyError(f"{base_url} does not list its models; name one with --model-name")
    if len(models) != 1:
        raise PolicyError(f"{base_url} serves {len(models)} models ({', '.join(models) or 'none'}); "
                          "name one with --model-name")
    return models[0]
