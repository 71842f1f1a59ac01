"""The episode loop end to end: the real openai client against a scripted loopback server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from scripted_openai import completion, failure, sequence, turn_script

from workgym.agent import EndpointConfig, LoopConfig, OpenAIPolicy, SamplingConfig, run_episode
from workgym.agent._openai import DEFAULT_MAX_TOKENS
from workgym.core import App, Criterion, Task, TaskSpec, WorldTemplate, tool


def _policy(url: str, **endpoint: object) -> OpenAIPolicy:
    options = {"retries": 3, "backoff_s": 0.01, "timeout_s": 10.0, **endpoint}
    return OpenAIPolicy(EndpointConfig(base_url=url, model="scripted", **options),  # type: ignore[arg-type]
                        SamplingConfig(temperature=0.5, max_tokens=64,
                                       extra_body={"chat_template_kwargs": {"enable_thinking": False}}))


def _task(note_family: object, seed: int = 3) -> Task:
    fam = note_family
    return fam.task(fam.spec(seed, "easy"))  # type: ignore[attr-defined]


def _total(task: Task) -> int:
    note = task.template.files["notes/amounts.txt"].decode()
    return sum(int(x) for x in re.findall(r": (\d+)", note))


async def test_solves_task_and_sends_tools_and_sampling(note_family, scripted_server):
    task = _task(note_family)
    write = json.dumps({"path": "total.txt", "content": f"{_total(task)}\n"})
    server = scripted_server(turn_script(
        completion(calls=[("files_read", '{"path": "notes/amounts.txt"}')]),
        completion(calls=[("files_write", write)]),
        completion("The total is written."),
    ))
    trace = await run_episode(task, _policy(server.url), sample=2)
    assert trace.error is None and trace.stop_reason == "answer" and not trace.truncated
    assert trace.grade is not None and trace.grade.passed and trace.score == 1.0
    assert trace.stats.closure is True and trace.sample == 2
    assert trace.stats.turns == 3 and trace.stats.tool_calls == 2
    assert trace.usage.prompt_tokens == 33 and trace.usage.completion_tokens == 21
    first = server.requests[0]
    assert "files_read" in {t["function"]["name"] for t in first["tools"]}
    assert first["temperature"] == 0.5 and first["max_tokens"] == 64
    assert first["chat_template_kwargs"] == {"enable_thinking": False}  # extra_body merged
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][1]["content"] == task.prompt


async def test_parallel_tool_calls_results_in_order(note_family, scripted_server):
    task = _task(note_family)
    calls = [
        ("files_write", json.dumps({"path": "a.txt", "content": "alpha"})),
        ("files_read", '{"path": "notes/amounts.txt"}'),
        ("files_write", json.dumps({"path": "b.txt", "content": "beta"})),
        ("files_list", "{}"),
    ]
    server = scripted_server(turn_script(completion(calls=calls), completion("done")))
    trace = await run_episode(task, _policy(server.url))
    assert trace.stats.parallel_turns == 1 and trace.stats.tool_calls == 4
    tool_msgs = [m for m in trace.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_msgs] == [f"call_{i}_{n}" for i, (n, _) in enumerate(calls)]
    assert tool_msgs[0]["content"] == "wrote 5 bytes to a.txt"
    assert tool_msgs[1]["content"] == task.template.files["notes/amounts.txt"].decode()
    assert tool_msgs[2]["content"] == "wrote 4 bytes to b.txt"
    # The server got the same results, in the same order, answering the same ids.
    sent = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in sent] == [
        (m["tool_call_id"], m["content"]) for m in tool_msgs]
    assert sorted(c.name for c in trace.calls) == sorted(
        ["files.write", "files.read", "files.write", "files.list"])
    assert trace.score == 0.0  # nothing wrote total.txt


async def test_malformed_json_and_unknown_tool_go_back_as_errors(note_family, scripted_server):
    task = _task(note_family)
    server = scripted_server(turn_script(
        completion(calls=[("files_read", '{"path": "notes/amounts.txt"'),
                          ("files_teleport", '{"to": "mars"}'),
                          ("files_read", '{"file": "x"}')]),
        completion("gave up"),
    ))
    trace = await run_episode(task, _policy(server.url))
    tool_msgs = [m["content"] for m in trace.messages if m["role"] == "tool"]
    assert tool_msgs[0].startswith("error: arguments are not valid JSON")
    assert tool_msgs[1].startswith("error: unknown tool 'files_teleport'")
    assert "files.read" in tool_msgs[1]  # the error lists the tools that exist
    assert "unknown argument 'file'" in tool_msgs[2]
    assert (trace.stats.invalid_json, trace.stats.unknown_tools, trace.stats.invalid_args) == (1, 1, 1)
    assert trace.stop_reason == "answer" and trace.error is None
    # The trace keeps the model's raw arguments; the wire copy is made parseable so that
    # servers rendering the chat template do not refuse the next request.
    recorded = trace.messages[2]["tool_calls"][0]["function"]["arguments"]
    assert recorded == '{"path": "notes/amounts.txt"'
    resent = server.requests[1]["messages"][2]["tool_calls"]
    assert resent[0]["function"]["arguments"] == "{}"
    assert resent[1]["function"]["arguments"] == '{"to": "mars"}'


async def test_retries_what_may_pass_on_a_second_try(note_family, scripted_server):
    task = _task(note_family)
    server = scripted_server(sequence(failure(500), failure(429), failure(503), failure(408),
                                      failure(409), completion("nothing to do")))
    trace = await run_episode(task, _policy(server.url, retries=5))
    assert len(server.requests) == 6
    assert trace.error is None and trace.stop_reason == "answer"
    assert trace.grade is not None and trace.score == 0.0


@pytest.mark.parametrize("reply", [
    failure(401, "invalid api key"), failure(404, "The model 'x' does not exist"),
    failure(422, "tool_choice: value is not one of auto, none"),
    failure(500, "1 validation error for ChatCompletionRequestAssistantMessage content"),
], ids=["401", "404", "422", "500 invalid request"])
async def test_requests_refused_as_invalid_are_not_retried(note_family, scripted_server, reply):
    server = scripted_server(sequence(reply))
    trace = await run_episode(_task(note_family), _policy(server.url, retries=3))
    assert len(server.requests) == 1
    assert trace.stop_reason == "error" and trace.error is not None
    assert f"(HTTP {reply[0]}), not retried" in trace.error and reply[1]["error"]["message"] in trace.error


async def test_every_request_carries_tool_choice_max_tokens_and_no_null_content(
        note_family, scripted_server):
    server = scripted_server(turn_script(
        completion(None, calls=[("files_list", "{}")]), completion("done")))
    trace = await run_episode(_task(note_family), OpenAIPolicy(
        EndpointConfig(base_url=server.url, model="scripted", retries=0)))
    assert trace.error is None and trace.stats.tool_calls == 1
    first, second = server.requests
    assert first["tool_choice"] == "auto" and first["max_tokens"] == DEFAULT_MAX_TOKENS
    # The call turn came back with "content": null; it is sent back as an empty string.
    assistant = [m for m in second["messages"] if m["role"] == "assistant"]
    assert assistant[0]["content"] == "" and assistant[0]["tool_calls"]
    assert trace.messages[2]["content"] == ""
    required = scripted_server(sequence(completion("done")))
    await run_episode(_task(note_family), OpenAIPolicy(
        EndpointConfig(base_url=required.url, model="scripted"),
        SamplingConfig(tool_choice="required", max_tokens=17)))
    assert required.requests[0]["tool_choice"] == "required"
    assert required.requests[0]["max_tokens"] == 17
    unset = scripted_server(sequence(completion("done")))
    await run_episode(_task(note_family), OpenAIPolicy(
        EndpointConfig(base_url=unset.url, model="scripted"), SamplingConfig(tool_choice=None)))
    assert "tool_choice" not in unset.requests[0] and unset.requests[0]["tools"]


async def test_tool_use_counts_responses_without_calls(note_family, scripted_server):
    server = scripted_server(sequence(completion(
        '<tool_call>{"name": "files_list", "arguments": {}}</tool_call>')))
    policy = _policy(server.url)
    await run_episode(_task(note_family), policy)
    await run_episode(_task(note_family, 4), policy)
    assert (policy.tool_use.requests_with_tools, policy.tool_use.responses_with_calls) == (2, 0)
    [warning] = policy.warnings()
    assert "2 requests that carried tools without a single tool call" in warning
    assert "hold tool calls as text" in warning and "--tool-call-parser" in warning
    calling = scripted_server(turn_script(completion(calls=[("files_list", "{}")]),
                                          completion("done")))
    policy = _policy(calling.url)
    await run_episode(_task(note_family), policy)
    assert policy.warnings() == [] and policy.tool_use.responses_with_calls == 1


async def test_server_failing_past_retries_is_an_error_not_a_zero(note_family, scripted_server):
    task = _task(note_family)
    server = scripted_server(sequence(failure(500)))
    trace = await run_episode(task, _policy(server.url, retries=2))
    assert len(server.requests) == 3  # one try and two retries
    assert trace.stop_reason == "error" and trace.error and "InternalServerError" in trace.error
    assert trace.grade is None and trace.score is None and not trace.truncated


async def test_endpoint_down_is_an_error_not_a_zero(note_family, closed_port_url):
    trace = await run_episode(_task(note_family), _policy(closed_port_url, retries=2))
    assert trace.stop_reason == "error"
    assert trace.error is not None and "APIConnectionError after 3 tries" in trace.error
    assert trace.grade is None and trace.score is None


async def test_endpoint_down_mid_episode_is_an_error(note_family, scripted_server):
    server = scripted_server(sequence(completion(calls=[("files_list", "{}")]), failure(502)))
    trace = await run_episode(_task(note_family), _policy(server.url, retries=1))
    assert trace.stop_reason == "error" and trace.grade is None
    assert trace.stats.turns == 1 and len(trace.calls) == 1


async def test_bad_request_is_an_error_and_context_overflow_truncates(note_family, scripted_server):
    bad = scripted_server(sequence(failure(400, "model 'x' does not exist")))
    trace = await run_episode(_task(note_family), _policy(bad.url))
    assert trace.stop_reason == "error" and len(bad.requests) == 1  # not retried
    assert trace.error is not None and "(HTTP 400), not retried" in trace.error
    full = scripted_server(sequence(
        completion(calls=[("files_list", "{}")]),
        failure(400, "This model's maximum context length is 4096 tokens. However, you "
                     "requested 5000 tokens.")))
    trace = await run_episode(_task(note_family), _policy(full.url))
    assert trace.stop_reason == "max_tokens" and trace.truncated and trace.error is None
    assert trace.grade is not None and trace.grade.truncated


async def test_max_turns_truncates(note_family, scripted_server):
    server = scripted_server(sequence(completion(calls=[("files_list", "{}")])))
    trace = await run_episode(_task(note_family), _policy(server.url), LoopConfig(max_turns=3))
    assert len(server.requests) == 3
    assert trace.stop_reason == "max_turns" and trace.truncated
    assert trace.grade is not None and trace.grade.truncated and trace.score == 0.0
    assert trace.stats.turns == 3 and trace.stats.closure is False


async def test_token_budget_and_length_cutoff_truncate(note_family, scripted_server):
    server = scripted_server(sequence(completion(calls=[("files_list", "{}")],
                                                 completion_tokens=100)))
    trace = await run_episode(_task(note_family), _policy(server.url),
                              LoopConfig(token_budget=250))
    assert trace.stats.turns == 3 and trace.stop_reason == "max_tokens" and trace.truncated
    cut = scripted_server(sequence(completion("I will now think about", finish="length")))
    trace = await run_episode(_task(note_family), _policy(cut.url))
    assert trace.stop_reason == "max_tokens" and trace.truncated and trace.stats.turns == 1


async def test_long_tool_output_is_truncated_with_a_note(note_family, scripted_server):
    task = _task(note_family)
    big = "x" * 5000
    server = scripted_server(turn_script(
        completion(calls=[("files_write", json.dumps({"path": "big.txt", "content": big}))]),
        completion(calls=[("files_read", '{"path": "big.txt"}')]),
        completion("read it"),
    ))
    trace = await run_episode(task, _policy(server.url), LoopConfig(max_tool_output_chars=1000))
    shown = [m["content"] for m in trace.messages if m["role"] == "tool"][1]
    assert shown.startswith("x" * 1000) and not shown.startswith("x" * 1001)
    assert "[output truncated: 4000 of 5000 characters cut" in shown
    assert trace.stats.truncated_outputs == 1
    assert trace.calls[1].output == big  # the call log keeps the whole output


async def test_compaction_replaces_old_tool_outputs(note_family, scripted_server):
    task = _task(note_family)
    server = scripted_server(turn_script(
        completion(calls=[("files_read", '{"path": "notes/amounts.txt"}')]),
        completion(calls=[("files_list", "{}")]),
        completion(calls=[("files_list", "{}")]),
        completion("done"),
    ))
    trace = await run_episode(task, _policy(server.url), LoopConfig(compact_after_turns=2))
    note = task.template.files["notes/amounts.txt"].decode()
    second = [m["content"] for m in server.requests[2]["messages"] if m["role"] == "tool"]
    assert second[0] == note  # still within the last two turns
    last = [m["content"] for m in server.requests[3]["messages"] if m["role"] == "tool"]
    assert last[0] == f"[older tool output of {len(note)} characters removed to save context]"
    assert last[1:] == [m["content"] for m in trace.messages if m["role"] == "tool"][1:]
    assert trace.stats.compactions == 1


async def test_served_model_and_reasoning_recorded(note_family, scripted_server):
    from workgym.agent import served_model

    status, body = completion("done")
    body["choices"][0]["message"]["reasoning_content"] = "let me think"
    server = scripted_server(sequence((status, body)))
    assert await served_model(server.url) == "scripted-model"
    trace = await run_episode(_task(note_family), _policy(server.url))
    assert trace.messages[-1]["reasoning_content"] == "let me think"


class _Meeting:
    """Three calls that can only all return if they run at the same time."""

    barrier = threading.Barrier(3)
    timeout = 10.0


@pytest.fixture
def rendezvous_app() -> Iterator[type[App]]:
    """A test app whose tool waits until two other calls of it are in flight. Defined
    per test and unregistered after it: tests that sweep every registered app (the
    fuzz test) must not meet it."""

    class BarrierApp(App):
        name = "rendezvous"

        @tool(concurrent=True)
        def meet(self, who: str) -> str:
            """Wait for the others.

            Args:
                who: the caller.
            """
            _Meeting.barrier.wait(_Meeting.timeout)
            return f"met {who}"

    yield BarrierApp
    App.registry.pop("rendezvous", None)


async def test_parallel_calls_run_concurrently(scripted_server, rendezvous_app):
    spec = TaskSpec(family="tests/rendezvous", version=1, seed=0)
    task = Task(spec=spec, prompt="Meet.", apps=("rendezvous",),
                template=WorldTemplate(now=datetime(2026, 1, 5, tzinfo=UTC)),
                criteria=(Criterion("met", lambda ctx: (len(ctx.successful_calls(
                    "rendezvous.meet")) == 3, "three meetings")),), reference=())
    calls = [("rendezvous_meet", json.dumps({"who": w})) for w in ("ann", "bob", "cy")]
    server = scripted_server(turn_script(completion(calls=calls), completion("done")))
    _Meeting.barrier.reset()
    _Meeting.timeout = 10.0
    trace = await run_episode(task, _policy(server.url))
    assert [m["content"] for m in trace.messages if m["role"] == "tool"] == [
        "met ann", "met bob", "met cy"]
    assert trace.score == 1.0
    # One after another, the first call would wait alone until the barrier broke.
    _Meeting.barrier.reset()
    _Meeting.timeout = 0.3
    serial = await run_episode(task, _policy(server.url),
                               LoopConfig(parallel_tools=False))
    assert serial.calls[0].error == "internal" and "BrokenBarrierError" in serial.calls[0].output


async def test_arguments_sent_as_an_object_and_missing_ids_are_accepted(note_family, scripted_server):
    status, body = completion(calls=[("files_read", "{}"), ("files_list", "{}")])
    calls = body["choices"][0]["message"]["tool_calls"]
    calls[0]["function"]["arguments"] = {"path": "notes/amounts.txt"}
    for call in calls:
        call["id"] = ""
    server = scripted_server(turn_script((status, body), completion("done")))
    task = _task(note_family)
    trace = await run_episode(task, _policy(server.url))
    read = next(c for c in trace.calls if c.name == "files.read")  # the log is in run order
    assert read.ok and read.args == {"path": "notes/amounts.txt"}
    ids = [m["tool_call_id"] for m in trace.messages if m["role"] == "tool"]
    assert ids == ["call_0_0", "call_0_1"]
