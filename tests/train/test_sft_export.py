"""SFT export: reference trajectories and rejection-sampled traces as chat rows."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest
from train_helpers import FAMILY
from typer.testing import CliRunner

from workgym.agent import (
    LocalPolicy,
    LoopConfig,
    NoopPolicy,
    ReferencePolicy,
    is_holdout,
    run_episode,
)
from workgym.cli import _load_commands, app
from workgym.core import TaskSpec, get_family, make_from_spec
from workgym.core._family import ToolCall, run_plan
from workgym.train import (
    ExportStats,
    SFTTrainConfig,
    chat_row_messages,
    reference_rows,
    rows_from_traces,
    write_rows,
)

HAS_DATASETS = importlib.util.find_spec("datasets") is not None


def _seeds(n: int, holdout: bool) -> list[int]:
    name = get_family(FAMILY).name
    return [s for s in range(200) if is_holdout(name, s) == holdout][:n]


def test_reference_rows_are_chat_conversations_that_solve_the_task():
    family = get_family(FAMILY)
    train, held = _seeds(3, holdout=False), _seeds(2, holdout=True)
    stats = ExportStats()
    rows = list(reference_rows([family.spec(s, "easy") for s in train + held], stats))
    assert stats.rows == len(rows) == 3
    assert stats.dropped["holdout"] == 2

    row = rows[0]
    assert {"messages", "tools", "task_id", "family", "difficulty", "score", "source",
            "spec"} <= set(row)
    assert (row["family"], row["difficulty"], row["score"], row["source"]) == (
        FAMILY, "easy", 1.0, "reference")
    task = make_from_spec(TaskSpec.from_json(row["spec"]))
    assert row["task_id"] == task.id
    with task.start() as episode:
        assert row["tools"] == episode.tools("openai")

    roles = [m["role"] for m in row["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert row["messages"][1]["content"] == task.prompt
    calls = [m for m in row["messages"] if m.get("tool_calls")]
    tool_names = {t["function"]["name"] for t in row["tools"]}
    for msg in calls:
        (call,) = msg["tool_calls"]
        assert call["function"]["name"] in tool_names  # OpenAI form, e.g. files_read
        assert isinstance(call["function"]["arguments"], dict)
        assert msg["content"] == ""
    answers = [m for m in row["messages"] if m["role"] == "tool"]
    assert [a["name"] for a in answers] == ["files_read", "files_write"]
    assert [a["tool_call_id"] for a in answers] == [m["tool_calls"][0]["id"] for m in calls]
    assert "tool_calls" not in row["messages"][-1]

    # The recorded calls, replayed into a fresh episode, solve the task.
    plan = [ToolCall(m["tool_calls"][0]["function"]["name"],
                     m["tool_calls"][0]["function"]["arguments"]) for m in calls]
    with run_plan(task, plan) as episode:
        assert episode.grade().score == 1.0


def test_string_arguments_keep_the_openai_wire_format():
    family = get_family(FAMILY)
    (row,) = reference_rows([family.spec(_seeds(1, False)[0], "easy")], arguments="string")
    call = row["messages"][2]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"path": "notes/amounts.txt"}


def _trace(seed: int, policy: object, max_turns: int = 10):
    task = get_family(FAMILY).task(get_family(FAMILY).spec(seed, "easy"))
    return asyncio.run(run_episode(task, policy, LoopConfig(max_turns=max_turns)))  # type: ignore[arg-type]


def test_rejection_sampling_keeps_successful_train_traces_only():
    train, held = _seeds(2, holdout=False), _seeds(1, holdout=True)
    traces = [
        _trace(train[0], ReferencePolicy()),            # kept
        _trace(train[1], NoopPolicy()),                 # score 0
        _trace(train[1], ReferencePolicy(), max_turns=1),  # cut off by the turn limit
        _trace(held[0], ReferencePolicy()),             # holdout
    ]
    errored = traces[0].model_copy(update={"error": "endpoint down", "grade": None})
    stats = ExportStats()
    rows = list(rows_from_traces([*traces, errored], stats))
    assert [r["task_id"] for r in rows] == [traces[0].task_id]
    assert rows[0]["source"] == "trace" and rows[0]["score"] == 1.0
    assert dict(stats.dropped) == {"below_min_score": 1, "truncated": 1, "holdout": 1,
                                   "error": 1}
    # A lower bar lets the zero-score trace through; the holdout one never passes.
    assert len(list(rows_from_traces(traces, min_score=0.0))) == 2
    with pytest.raises(ValueError):
        list(rows_from_traces(traces, min_score=1.5))


def test_malformed_tool_calls_are_refused():
    tools = [{"type": "function", "function": {"name": "files_read", "parameters": {}}}]
    bad = [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "files.read", "arguments": "{oops"}}]}]
    with pytest.raises(ValueError, match="not valid JSON"):
        chat_row_messages(bad, tools)
    orphan = [{"role": "tool", "tool_call_id": "nope", "content": "x"}]
    with pytest.raises(ValueError, match="unknown call id"):
        chat_row_messages(orphan, tools)


@pytest.mark.skipif(not HAS_DATASETS, reason="needs the datasets package (the [train] extra)")
@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_rows_load_back_with_datasets_unchanged(tmp_path: Path, suffix: str):
    import datasets

    family = get_family(FAMILY)
    rows = list(reference_rows([family.spec(s, "easy") for s in _seeds(3, False)]))
    # A row whose calls carry other argument keys and whose tools differ must not gain
    # null-filled keys from the others when Arrow unifies the columns.
    odd = json.loads(json.dumps(rows[0]))
    odd["messages"][2]["tool_calls"][0]["function"]["arguments"] = {"path": ".", "recursive": True}
    odd["tools"] = odd["tools"][:1]
    rows.append(odd)
    path = tmp_path / f"sft.{suffix}"
    assert write_rows(rows, path) == len(rows)
    builder = "json" if suffix == "jsonl" else "parquet"
    loaded = datasets.load_dataset(builder, data_files=str(path), split="train")
    assert [dict(r) for r in loaded] == rows


def test_export_sft_command(tmp_path: Path):
    _load_commands()
    out = tmp_path / "ref.jsonl"
    result = CliRunner().invoke(app, ["export-sft", str(out), "--family", FAMILY,
                                      "--seeds", "0-19", "--difficulty", "easy"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    holdout = sum(is_holdout(get_family(FAMILY).name, s) for s in range(20))
    assert summary["rows"] == 20 - holdout == len(out.read_text().splitlines())
    assert summary["reference"]["dropped"] == {"holdout": holdout}

    missing = CliRunner().invoke(app, ["export-sft", str(tmp_path / "x.jsonl")])
    assert missing.exit_code != 0
    bad_name = CliRunner().invoke(app, ["export-sft", str(tmp_path / "x.csv"), "--family", FAMILY])
    assert bad_name.exit_code != 0


def test_config_validation():
    with pytest.raises(ValueError, match="lm_head"):
        SFTTrainConfig(model={"path": "m"}, data="d.jsonl", output_dir="o",
                       lora={"target_modules": ["q_proj", "lm_head"]})
    with pytest.raises(ValueError):
        SFTTrainConfig(model={"path": "m"}, data="d.jsonl", output_dir="o", learning_rate=0)
    config = SFTTrainConfig(model={"path": "m"}, data="d.jsonl", output_dir="o")
    assert config.lora is not None and (config.lora.rank, config.lora.alpha) == (32, 32)


def test_task_selection_keeps_the_train_split_only():
    from workgym.train import TaskSelection, mixture_specs

    name = get_family(FAMILY).name
    specs, holdout = mixture_specs(TaskSelection(families=(FAMILY,), seeds="0-29",
                                                difficulties=("easy", "hard")))
    expected = [s for s in range(30) if not is_holdout(name, s)]
    assert [s.seed for s in specs] == expected * 2
    assert holdout == 2 * (30 - len(expected)) > 0
    with pytest.raises(ValueError, match="no train-split task"):
        mixture_specs(TaskSelection(families=(FAMILY,), seeds=str(_seeds(1, True)[0])))
    with pytest.raises(ValueError, match="either 'suite' or 'families'"):
        TaskSelection()


class _ReplayingLocal(LocalPolicy):
    """The local policy with its generation replaced by the assistant turns of an exported
    text row; what each turn is shown is recorded."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__()
        self.replies, self.shown = list(replies), []

    def _generate(self, chat, prefix, sampling, seed, cancel):  # type: ignore[no-untyped-def]
        self.shown.append(chat)
        reply = self.replies.pop(0)
        assert reply.startswith(prefix)
        return reply, 0, 0, False


def test_text_rows_are_what_the_local_model_is_shown_and_they_solve_the_task():
    family = get_family(FAMILY)
    spec = family.spec(_seeds(1, holdout=False)[0], "easy")
    (row,) = reference_rows([spec], render="text", max_tool_output_chars=300)
    assert row["tools"] == [] and row["source"] == "reference"
    assert all(set(m) == {"role", "content"} for m in row["messages"])
    system = row["messages"][0]["content"]
    assert "<tools>" in system and "files_read(" in system
    assistant = [i for i, m in enumerate(row["messages"]) if m["role"] == "assistant"]
    assert row["messages"][assistant[0]]["content"].startswith('<tool_call>[\n{"name": "')
    assert row["messages"][assistant[-1]]["content"].startswith("<tool_call>[]</tool_call>")
    results = [m["content"] for m in row["messages"] if m["role"] == "user"][1:]
    assert results and all(r.startswith("<tool_response>") for r in results)

    # The local policy, generating exactly the row's assistant turns, is shown exactly
    # the row's earlier messages at every turn, and its parsed calls solve the task.
    policy = _ReplayingLocal([row["messages"][i]["content"] for i in assistant])
    task = make_from_spec(spec)
    trace = asyncio.run(run_episode(task, policy, LoopConfig(
        max_turns=len(task.reference) + 1, max_tool_output_chars=300)))
    assert policy.shown == [row["messages"][:i] for i in assistant]
    assert trace.grade is not None and trace.grade.score == 1.0


def test_export_sft_renders_text_rows(tmp_path: Path):
    _load_commands()
    out = tmp_path / "rows.jsonl"
    result = CliRunner().invoke(app, ["export-sft", str(out), "--family", FAMILY, "--seeds",
                                      "0-3", "--difficulty", "easy", "--render", "text",
                                      "--max-tool-output", "300"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["tools"] == [] and "<tools>" in r["messages"][0]["content"]
                        for r in rows)
    bad = CliRunner().invoke(app, ["export-sft", str(out), "--family", FAMILY,
                                   "--render", "xml"])
    assert bad.exit_code == 2 and "--render" in bad.output
