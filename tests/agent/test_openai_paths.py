"""The lean chat-completions path against the openai SDK path: the same request bodies,
the same traces, the same retries and errors, on one scripted loopback server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from scripted_openai import completion, failure, sequence, turn_script

from workgym.agent import EndpointConfig, OpenAIPolicy, SamplingConfig, run_episode
from workgym.core import Task

CLIENTS = ("lean", "openai")


def _policy(url: str, client: str, **endpoint: Any) -> OpenAIPolicy:
    options = {"retries": 2, "backoff_s": 0.0, "timeout_s": 10.0, **endpoint}
    sampling = SamplingConfig(temperature=0.3, top_p=0.9, max_tokens=77, seed=5,
                              parallel_tool_calls=True,
                              extra_body={"chat_template_kwargs": {"enable_thinking": False},
                                          "top_k": 20})
    return OpenAIPolicy(EndpointConfig(base_url=url, model="scripted", client=client,
                                       **options), sampling)


def _task(note_family: Any) -> Task:
    return note_family.task(note_family.spec(3, "easy"))  # type: ignore[no-any-return]


def _with_extras() -> tuple[int, dict[str, Any]]:
    """A reply with reasoning, an id-less call and arguments sent as an object."""
    status, body = completion(calls=[("files_read", '{"path": "notes/amounts.txt"}')])
    message = body["choices"][0]["message"]
    message["reasoning_content"] = "look at the notes first"
    message["tool_calls"].append({"type": "function", "function": {
        "name": "files_list", "arguments": {"path": "."}}})
    return status, body


def _conversation() -> Any:
    return turn_script(
        _with_extras(),
        completion(calls=[("files_read", '{"path": "notes/amounts.txt"')]),  # malformed
        completion(calls=[("files_write", json.dumps({"path": "total.txt", "content": "1\n"}))]),
        completion("The total is written.", completion_tokens=3),
    )


def _comparable(trace: Any) -> dict[str, Any]:
    data = trace.model_dump(mode="json")
    for key in ("started_at", "duration_s"):
        data.pop(key)
    for call in data.get("calls", []):
        for key in list(call):
            if key.endswith(("_s", "_ms", "_us")):
                call.pop(key)
    # Parallel calls of one turn run at once, so their records may come in either order.
    data["calls"] = sorted(data.get("calls", []), key=lambda c: json.dumps(c, sort_keys=True))
    return data


async def test_same_bodies_and_traces_on_both_paths(note_family, scripted_server):
    runs = {}
    for client in CLIENTS:
        server = scripted_server(_conversation())
        policy = _policy(server.url, client)
        trace = await run_episode(_task(note_family), policy, sample=1)
        await policy.close()
        runs[client] = (server.requests, trace)
    (lean_bodies, lean), (sdk_bodies, sdk) = runs["lean"], runs["openai"]
    assert len(lean_bodies) == len(sdk_bodies) == 4
    assert [json.dumps(b, sort_keys=True) for b in lean_bodies] == [
        json.dumps(b, sort_keys=True) for b in sdk_bodies]
    assert lean_bodies[0]["top_k"] == 20 and "extra_body" not in lean_bodies[0]
    assert lean.error is None and lean.stop_reason == "answer"
    assert _comparable(lean) == _comparable(sdk)
    assistant = lean.messages[2]
    assert assistant["reasoning_content"] == "look at the notes first"
    assert assistant["tool_calls"][1]["id"] == "call_0_1"
    assert json.loads(assistant["tool_calls"][1]["function"]["arguments"]) == {"path": "."}


@pytest.mark.parametrize("client", CLIENTS)
async def test_retries_and_refusals_match(note_family, scripted_server, client):
    flaky = scripted_server(sequence(failure(503), failure(429), completion("nothing to do")))
    trace = await run_episode(_task(note_family), _policy(flaky.url, client))
    assert len(flaky.requests) == 3 and trace.error is None
    # The body is the same on every try.
    assert len({json.dumps(b, sort_keys=True) for b in flaky.requests}) == 1
    refused = scripted_server(sequence(failure(400, "tool_choice must be auto")))
    trace = await run_episode(_task(note_family), _policy(refused.url, client))
    assert len(refused.requests) == 1 and trace.stop_reason == "error"
    assert "request refused (HTTP 400), not retried" in (trace.error or "")
    down = scripted_server(sequence(failure(500)))
    trace = await run_episode(_task(note_family), _policy(down.url, client))
    assert len(down.requests) == 3
    assert "InternalServerError after 3 tries" in (trace.error or "")


async def test_error_messages_are_the_same_on_both_paths(note_family, scripted_server,
                                                         closed_port_url):
    errors = {}
    for client in CLIENTS:
        server = scripted_server(sequence(failure(422, "messages: field required")))
        refused = await run_episode(_task(note_family), _policy(server.url, client))
        gone = await run_episode(_task(note_family), _policy(closed_port_url, client,
                                                             retries=1))
        errors[client] = (refused.error, gone.error)
    assert errors["lean"] == errors["openai"]
    assert "APIConnectionError after 2 tries: Connection error." in (errors["lean"][1] or "")


async def test_context_overflow_truncates_and_garbage_is_an_error(note_family,
                                                                   scripted_server):
    long = scripted_server(sequence(failure(400, "This model's maximum context length is 8")))
    trace = await run_episode(_task(note_family), _policy(long.url, "lean"))
    assert trace.truncated and trace.error is None
    garbage = scripted_server(sequence((200, {"choices": []})))
    trace = await run_episode(_task(note_family), _policy(garbage.url, "lean"))
    assert trace.stop_reason == "error" and "no choices" in (trace.error or "")


async def test_a_cancelled_turn_stops_its_request(note_family, scripted_server):
    slow = scripted_server(sequence(completion("late")), delay_s=2.0)
    policy = _policy(slow.url, "lean")
    episode = asyncio.create_task(run_episode(_task(note_family), policy))
    await asyncio.sleep(0.3)
    episode.cancel()
    with pytest.raises(asyncio.CancelledError):
        await episode
    await policy.close()
    assert len(slow.requests) == 1
