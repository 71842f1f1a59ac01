"""``workgym serve-local``'s server: the local policy behind OpenAI's chat-completions API,
driven over loopback HTTP by the official openai client. The model's generation is
replaced by fixed replies, so what is tested is the server and the parsing around it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openai
import pytest

from workgym.agent import LocalPolicy, LocalServer, SamplingConfig, serve_local

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


class _Scripted(LocalPolicy):
    def __init__(self, replies: list[str]) -> None:
        super().__init__()
        self.replies, self.shown = list(replies), []

    def _generate(self, chat, prefix, sampling, seed, cancel):  # type: ignore[no-untyped-def]
        self.shown.append((chat, prefix, sampling.max_tokens, sampling.temperature))
        return prefix + self.replies.pop(0), 50, 7, False


@asynccontextmanager
async def _serving(policy: LocalPolicy, api_key: str | None = None) -> AsyncIterator[str]:
    ready = asyncio.get_running_loop().create_future()
    server = LocalServer(policy, SamplingConfig(max_tokens=64), api_key=api_key)
    task = asyncio.create_task(serve_local(server, "127.0.0.1", 0, on_ready=ready.set_result))
    try:
        yield await asyncio.wait_for(ready, 10)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_call_comes_back_as_tool_calls_to_the_openai_client() -> None:
    policy = _Scripted(['\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n]</tool_call>',
                        ']</tool_call>\nIt is sunny in Oslo.'])
    async with _serving(policy) as base:
        client = openai.AsyncOpenAI(base_url=base, api_key="unused")
        models = await client.models.list()
        assert [m.id for m in models.data] == [policy.model]
        messages: list[Any] = [{"role": "user", "content": "Weather in Oslo?"}]
        first = await client.chat.completions.create(model=policy.model, messages=messages,
                                                     tools=TOOLS, max_tokens=500)
        (call,) = first.choices[0].message.tool_calls or []
        assert first.choices[0].finish_reason == "tool_calls"
        assert call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == {"city": "Oslo"}
        assert first.usage is not None and first.usage.completion_tokens == 7
        messages += [first.choices[0].message.model_dump(exclude_none=True),
                     {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
        second = await client.chat.completions.create(model=policy.model, messages=messages,
                                                      tools=TOOLS, temperature=0.5)
        assert second.choices[0].message.content == "It is sunny in Oslo."
        assert not second.choices[0].message.tool_calls
        await client.close()
    (chat1, prefix, cap, _), (chat2, _, _, temperature) = policy.shown
    assert prefix == "<tool_call>[" and cap == 64  # the request's 500 capped at the server's
    assert "get_weather(city: string)" in chat1[0]["content"]
    assert chat2[-1] == {"role": "user", "content": "<tool_response>\nsunny\n</tool_response>"}
    assert temperature == 0.5


@pytest.mark.parametrize(("body", "says"), [
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "user", "content": "x"}], "stream": True}, "stream"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "n must be 1"),
    ({"messages": [{"role": "user", "content": "x"}], "tool_choice": "any"}, "tool_choice"),
    ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": -1}, ("temperature: Input "
     "should be greater than or equal to 0")),
])
async def test_a_bad_request_is_a_400_that_says_why(body: dict[str, Any], says: str) -> None:
    async with _serving(_Scripted([])) as base, httpx.AsyncClient() as http:
        response = await http.post(f"{base}/chat/completions", json=body)
        assert response.status_code == 400 and says in response.json()["error"]["message"]
        garbage = await http.post(f"{base}/chat/completions", content=b"{not json")
        assert garbage.status_code == 400


async def test_an_api_key_is_required_when_set() -> None:
    async with _serving(_Scripted([]), api_key="k1") as base, httpx.AsyncClient() as http:
        assert (await http.get(f"{base}/models")).status_code == 401
        wrong = await http.get(f"{base}/models", headers={"Authorization": "Bearer k2"})
        assert wrong.status_code == 401
        right = await http.get(f"{base}/models", headers={"Authorization": "Bearer k1"})
        assert right.status_code == 200


def test_serve_local_refuses_another_address_without_a_key() -> None:
    from typer.testing import CliRunner

    from workgym.cli import _load_commands, app

    _load_commands()
    result = CliRunner().invoke(app, ["serve-local", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--api-key" in result.output
