"""Against a server as strict as llama-cpp-python's: the adapters' requests reach the tools,
and a run where they cannot says so instead of scoring free points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai.types.chat import ChatCompletionMessage
from scripted_server import MISSING_CONTENT, StrictServer

from workgym.core import TaskSpec, Trace, TraceStats
from workgym.external import (
    RequestShape,
    case_spec,
    category_rows,
    shape_request,
    tool_meta,
    tool_reach,
    wire_message,
)
from workgym.external._common import DEFAULT_MAX_TOKENS, endpoint_hint, lenient_arguments

TOOL = {"type": "function", "function": {"name": "add", "description": "Add two numbers.",
                                         "parameters": {"type": "object", "properties": {
                                             "a": {"type": "integer"}, "b": {"type": "integer"}}}}}


# -- the request shape ---------------------------------------------------------------------


def test_every_message_goes_out_with_a_string_content_and_no_null_fields() -> None:
    history = [
        {"role": "user", "content": "add 1 and 2"},
        ChatCompletionMessage(role="assistant", content=None, tool_calls=[
            {"id": "c0", "type": "function", "function": {"name": "add",
                                                          "arguments": '{"a": 1, "b": 2}'}}]),
        {"role": "tool", "tool_call_id": "c0", "content": None},
        {"role": "assistant", "tool_calls": None},  # litellm drops a null content
        {"role": "user", "content": [{"type": "text", "text": "parts stay parts"}]},
    ]
    wire = [wire_message(m) for m in history]
    assert all(isinstance(m["content"], (str, list)) for m in wire)
    assert wire[1]["content"] == "" and wire[1]["tool_calls"][0]["function"]["name"] == "add"
    assert "refusal" not in wire[1] and "audio" not in wire[1]  # no null fields
    assert wire[2] == {"role": "tool", "tool_call_id": "c0", "content": ""}
    assert wire[3] == {"role": "assistant", "content": ""}  # no empty tool_calls either
    assert wire[4]["content"] == [{"type": "text", "text": "parts stay parts"}]
    assert history[2]["content"] is None  # the benchmark's history is left as it was
    with pytest.raises(ValueError, match="mapping or a pydantic model"):
        wire_message(("user", "hi"))


def test_shape_sets_tool_choice_and_max_tokens_and_can_open_with_a_system_message() -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [TOOL],
               "temperature": 0.0, "max_tokens": 99}
    shaped = shape_request(request, RequestShape())
    assert shaped["tool_choice"] == "auto" and shaped["max_tokens"] == DEFAULT_MAX_TOKENS == 4096
    assert shaped["messages"] == request["messages"] and shaped["temperature"] == 0.0
    assert "tool_choice" not in request  # a new dict
    opened = shape_request(request, RequestShape(system_message=True, tool_choice="required"))
    assert opened["messages"][0] == {"role": "system", "content": ""}
    assert opened["tool_choice"] == "required"
    # None leaves what the benchmark sends; no tools means neither tools nor tool_choice
    kept = shape_request({**request, "tool_choice": "none"},
                         RequestShape(tool_choice=None, max_tokens=None, system_message=True))
    assert kept["tool_choice"] == "none" and kept["max_tokens"] == 99
    bare = shape_request({"model": "m", "messages": request["messages"], "tools": None,
                          "tool_choice": "auto"}, RequestShape(system_message=True))
    assert "tools" not in bare and "tool_choice" not in bare
    assert bare["messages"] == request["messages"]  # no tools: no system message added
    with pytest.raises(ValueError):
        RequestShape(max_tokens=0)


def test_an_endpoint_error_names_its_likely_cause() -> None:
    text = endpoint_hint(f"InternalServerError: Error code: 500 - message 3: {MISSING_CONTENT}")
    assert "string content" in text and "docs/external.md" in text
    assert endpoint_hint("APIConnectionError: refused") == "APIConnectionError: refused"


def test_raw_control_characters_in_arguments_are_escaped_and_nothing_else_changes() -> None:
    raw = '{"title": "Important\nMeeting", "n": 1}'  # a raw newline inside a string
    with pytest.raises(ValueError):
        json.loads(raw)
    fixed = lenient_arguments(raw)
    assert json.loads(fixed) == {"title": "Important\nMeeting", "n": 1}
    assert lenient_arguments('{"a": 1}') == '{"a": 1}'  # valid: untouched, spacing and all
    assert lenient_arguments('{"a": ') == '{"a": '  # broken otherwise: the benchmark scores it


# -- the tool-reach check ------------------------------------------------------------------


def _trace(spec: TaskSpec, *, calls: int, prompt: int | None, expects_call: bool = True,
           passed: bool = False) -> Trace:
    from workgym.core import CriterionResult, Grade

    grade = Grade(criteria=[CriterionResult(name="check", kind="trajectory", weight=1.0,
                                            guard=False, passed=passed, evidence="x")])
    return Trace(task_id=spec.id, spec=spec, sample=0, policy="openai", model="m", grade=grade,
                 stats=TraceStats(tool_calls=calls),
                 meta=tool_meta([TOOL] * 3, first_prompt_tokens=prompt,
                                expects_call=expects_call))


def test_tool_reach_verdicts() -> None:
    chars = len(json.dumps([TOOL] * 3))
    simple = [case_spec("bfcl", "simple_python", i) for i in range(3)]
    irrelevance = [case_spec("bfcl", "irrelevance", i) for i in range(3)]
    long_prompt = chars // 3
    seen = [_trace(s, calls=i % 2, prompt=long_prompt) for i, s in enumerate(simple)]
    seen += [_trace(s, calls=0, prompt=long_prompt, expects_call=False, passed=True)
             for s in irrelevance]
    reach = tool_reach(seen)
    assert (reach.verdict, reach.unreliable, reach.message) == ("ok", False, "")
    assert (reach.cases, reach.with_calls, reach.call_cases) == (6, 1, 3)
    assert reach.no_call_families == ["bfcl/irrelevance"]
    # prose everywhere, prompts that held the tools: no call anywhere
    prose = [t.model_copy(update={"stats": TraceStats()}) for t in seen]
    reach = tool_reach(prose)
    assert reach.verdict == "no_tool_calls" and reach.unreliable
    assert "bfcl/irrelevance" in reach.message and "--tool-choice" in reach.message
    rows = {r["category"]: r for r in category_rows(prose, 1, reach=reach)}
    assert rows["bfcl/irrelevance"]["unreliable"] and rows["all"]["unreliable"]
    assert "unreliable" not in rows["bfcl/simple_python"]
    assert rows["bfcl/irrelevance"]["pass@1"] == 1.0 and rows["all"]["with calls"] == 0.0
    # prompts too short to have held the schemas, even with some calls
    short = [t.model_copy(update={"meta": {**t.meta, "first_prompt_tokens": chars // 20}})
             for t in seen]
    reach = tool_reach(short)
    assert reach.verdict == "tools_not_in_prompt" and reach.unreliable
    assert reach.schema_chars == 6 * chars and reach.prompt_tokens == 6 * (chars // 20)
    # no prompt counts reported (0): only the calls decide
    assert tool_reach([t.model_copy(update={"meta": {**t.meta, "first_prompt_tokens": None}})
                       for t in seen]).verdict == "ok"
    # only irrelevance, no call: it cannot be told; nothing recorded: not checked
    only = tool_reach(seen[3:])
    assert only.verdict == "unchecked" and not only.unreliable and only.cases == 3
    assert tool_reach([t.model_copy(update={"meta": {}}) for t in seen]).cases == 0
    # runs written before the traces recorded their tools: BFCL's and tau2's still count
    legacy = [t.model_copy(update={"meta": {"benchmark": "bfcl"}}) for t in prose]
    reach = tool_reach(legacy)
    assert reach.verdict == "no_tool_calls" and reach.no_call_families == ["bfcl/irrelevance"]
    assert tool_reach([t.model_copy(update={"meta": {"benchmark": "bfcl"}})
                       for t in seen]).verdict == "ok"


# -- BFCL end to end -----------------------------------------------------------------------

BFCL_CATEGORIES = ["simple_python", "irrelevance"]


def _bfcl_brain() -> Any:
    from bfcl_brain import BfclBrain

    brain = BfclBrain()
    for category in BFCL_CATEGORIES:
        for index in range(2):
            brain.add(category, index, "right")
    return brain


def _bfcl(url: str, folder: Path, shape: RequestShape) -> Any:
    from workgym.external import BfclConfig, EndpointSettings, resolve_categories, run_bfcl

    run, skipped = resolve_categories(BFCL_CATEGORIES)
    config = BfclConfig(
        endpoint=EndpointSettings(base_url=url, model="strict-fc", temperature=0.0,
                                  retries=0, timeout_s=30, request=shape),
        categories=run, skipped=skipped, limit=2, concurrency=2)
    return run_bfcl(config, folder)


class BfclRuns:
    """One run with the default request shape, one through the command line without
    ``tool_choice`` (what the adapter sent before), both against a strict server."""

    def __init__(self, root: Path) -> None:
        from typer.testing import CliRunner

        from workgym.cli import _load_commands, app

        self.good, self.bad = root / "good" / "bfcl", root / "bad" / "bfcl"
        with StrictServer(_bfcl_brain()) as server:
            self.result = _bfcl(server.url, self.good, RequestShape())
            self.good_seen = list(server.seen)
            server.seen.clear()
            _load_commands()
            self.cli = CliRunner().invoke(app, [
                "external", "bfcl", "--model", server.url, "--model-name", "strict-fc",
                "--categories", ",".join(BFCL_CATEGORIES), "--limit", "2", "--temperature",
                "0", "--retries", "0", "--tool-choice", "omit", "--no-progress",
                "-o", str(self.bad)], env={"COLUMNS": "200"})
            self.bad_seen = list(server.seen)


@pytest.fixture(scope="module")
def bfcl_runs(tmp_path_factory: pytest.TempPathFactory) -> BfclRuns:
    pytest.importorskip("bfcl_eval")
    return BfclRuns(tmp_path_factory.mktemp("strict-bfcl"))


def test_bfcl_requests_reach_the_tools_of_a_strict_server(bfcl_runs: BfclRuns) -> None:
    from workgym.eval import load_run

    result, seen = bfcl_runs.result, bfcl_runs.good_seen
    assert len(seen) == 4 and result.errors == 0
    assert all(r["tool_choice"] == "auto" and r["max_tokens"] == 4096 and r["tools"]
               for r in seen)
    rows = {r["category"]: r for r in result.rows}
    assert rows["bfcl/simple_python"]["pass@1"] == 1.0
    assert rows["bfcl/simple_python"]["with calls"] == 1.0
    assert rows["bfcl/irrelevance"]["pass@1"] == 1.0
    assert not any(r.get("unreliable") for r in result.rows)
    assert result.tool_reach is not None and result.tool_reach.verdict == "ok"
    for trace in load_run(bfcl_runs.good):
        assert trace.meta["tools_offered"] >= 1 and trace.meta["tool_schema_chars"] > 100
        assert trace.meta["first_prompt_tokens"] > 0  # the server's own count
        assert trace.meta["expects_call"] == (trace.spec.family != "bfcl/irrelevance")
    config = json.loads((bfcl_runs.good / "config.json").read_text())
    assert config["endpoint"]["request"] == {"tool_choice": "auto", "max_tokens": 4096,
                                             "system_message": False}


def test_bfcl_without_tool_choice_warns_and_marks_free_points(bfcl_runs: BfclRuns) -> None:
    from workgym.eval import load_run

    cli = bfcl_runs.cli
    assert cli.exit_code == 0, cli.output
    assert all("tool_choice" not in r and not r["tools"] for r in bfcl_runs.bad_seen)
    assert "warning:" in cli.output and "tools did not reach the model" in cli.output
    assert "bfcl/irrelevance (unreliable)" in cli.output
    traces = load_run(bfcl_runs.bad)
    assert all(t.stats.tool_calls == 0 for t in traces)
    by_family = {t.spec.family: t.grade.passed for t in traces if t.grade is not None}
    assert by_family == {"bfcl/simple_python": False, "bfcl/irrelevance": True}  # free points
    reach = tool_reach(traces)
    assert reach.verdict == "tools_not_in_prompt" and reach.no_call_families == [
        "bfcl/irrelevance"]


def test_transfer_marks_rows_a_run_without_tools_makes_unreliable(bfcl_runs: BfclRuns) -> None:
    from workgym.external import transfer_markdown, transfer_table

    table = transfer_table([bfcl_runs.bad], [bfcl_runs.good])
    rows = {r.group: r for r in table.rows}
    assert rows["bfcl/irrelevance"].unreliable and "base run" in rows["bfcl/irrelevance"].unreliable
    assert rows["all"].unreliable and rows["bfcl/simple_python"].unreliable is None
    assert rows["bfcl/simple_python"].pass1.delta == 1.0  # the tools now reach the model
    assert any(n.startswith("bfcl (base run): the tools did not reach") for n in table.notes)
    assert "irrelevance (unreliable)" in transfer_markdown(table)
    clean = transfer_table([bfcl_runs.good], [bfcl_runs.good])
    assert not any(r.unreliable for r in clean.rows)
    assert not any("tools" in n for n in clean.notes)


@pytest.mark.slow
def test_bfcl_tools_in_the_system_message_only(tmp_path: Path) -> None:
    pytest.importorskip("bfcl_eval")
    with StrictServer(_bfcl_brain(), tools_need_system=True) as server:
        hidden = _bfcl(server.url, tmp_path / "hidden", RequestShape())
        shown = _bfcl(server.url, tmp_path / "shown", RequestShape(system_message=True))
    assert hidden.tool_reach is not None and hidden.tool_reach.verdict == "tools_not_in_prompt"
    assert shown.tool_reach is not None and shown.tool_reach.verdict == "ok"
    assert {r["category"]: r["pass@1"] for r in shown.rows}["all"] == 1.0


# -- tau2 end to end -----------------------------------------------------------------------


def test_tau2_completes_against_a_strict_server_with_each_sides_shape(tmp_path: Path) -> None:
    pytest.importorskip("tau2")
    from tau2_brain import USER_MODEL, Tau2Brain, mock_plans

    from workgym.eval import load_run
    from workgym.external import EndpointSettings, Tau2Config, run_tau2

    brain = Tau2Brain(mock_plans({}))
    with StrictServer(brain) as server:
        config = Tau2Config(
            endpoint=EndpointSettings(base_url=server.url, model="agent-x", retries=0,
                                      request=RequestShape(max_tokens=300)),
            user_model=USER_MODEL, user_base_url=server.url,
            user_request=RequestShape(max_tokens=77), domains=["mock"],
            task_ids=["create_task_1", "update_task_1"], num_trials=1, k=1, concurrency=2)
        result = run_tau2(config, tmp_path / "tau2")
        seen = list(server.seen)
    assert result.errors == 0
    traces = load_run(tmp_path / "tau2")
    assert len(traces) == 2 and all(t.grade is not None and t.grade.passed for t in traces)
    agent = [r for r in seen if r["model"] == "agent-x"]
    user = [r for r in seen if r["model"] == USER_MODEL]
    assert agent and user
    assert all(r["max_tokens"] == 300 and r["tool_choice"] == "auto" and r["tools"]
               for r in agent)
    assert all(r["max_tokens"] == 77 and "tool_choice" not in r for r in user)
    # the agent's tool-call turn went back with an empty string content, not without one
    calls = [m for r in agent for m in r["messages"] if m.get("tool_calls")]
    assert calls and all(m["content"] == "" for m in calls)
    assert result.tool_reach is not None and result.tool_reach.verdict == "ok"
    assert all(t.meta["tools_offered"] > 0 and t.meta["first_prompt_tokens"] > 0
               for t in traces)


def test_tau2_model_calls_are_shaped_and_their_arguments_made_parseable() -> None:
    pytest.importorskip("tau2")
    from tau2.utils import llm_utils

    from workgym.external._tau2 import SHAPE_ARG, install_request_shaping

    raw = '{"title": "Important\nMeeting"}'  # what llama-cpp-python's grammar let through

    def brain(body: dict[str, Any]) -> dict[str, Any]:
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c0", "type": "function", "function": {"name": "add", "arguments": raw}}]}

    install_request_shaping()
    install_request_shaping()  # idempotent: one wrapper, not two
    with StrictServer(brain) as server:
        history = [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": None, "tool_calls": None}]
        response = llm_utils.completion(
            model="openai/strict", messages=history, tools=[TOOL], tool_choice=None,
            api_base=server.url, api_key="EMPTY", num_retries=0,
            **{SHAPE_ARG: RequestShape(max_tokens=64)})
        unshaped = llm_utils.completion(model="openai/strict",
                                        messages=[{"role": "user", "content": "hi"}],
                                        api_base=server.url, api_key="EMPTY", num_retries=0)
        seen = list(server.seen)
    args = response.choices[0].message.tool_calls[0].function.arguments
    assert json.loads(args) == {"title": "Important\nMeeting"}
    assert seen[0]["tool_choice"] == "auto" and seen[0]["max_tokens"] == 64
    assert seen[0]["messages"][1] == {"role": "assistant", "content": ""}
    assert "max_tokens" not in seen[1]  # calls without a shape pass unchanged
    assert unshaped.choices[0].message.tool_calls[0].function.arguments == raw
