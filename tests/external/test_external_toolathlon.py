"""Toolathlon: reading a results folder, classifying tasks, driving the scripts.

Toolathlon itself (containers, MCP accounts) is not installed in tests: a fake checkout
holds task configs and a ``scripts/run_parallel.sh`` that writes results the way
Toolathlon's does (``<dump>/finalpool/<task>/eval_res.json`` and ``traj_log.json``).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from workgym.eval import load_run, load_run_config
from workgym.external import (
    EndpointSettings,
    ToolathlonConfig,
    list_tasks,
    read_results,
    run_toolathlon,
    task_group,
)

TASKS = {
    "excel-market-research": (["excel", "filesystem", "terminal"], []),
    "canvas-art-quiz": (["canvas"], ["claim_done"]),
    "youtube-repo": (["youtube", "filesystem", "github"], ["web_search"]),
    "git-repo": (["github"], []),
    "woocommerce-update-cover": (["woocommerce"], []),
}

FAKE_RUN_PARALLEL = """#!/bin/bash
# args: MODEL DUMP PROVIDER WORKERS; passes the tasks whose names start with a-m
model=$1; dump=$2
while read -r task; do
  dir="$dump/finalpool/$task"; mkdir -p "$dir"
  case "$task" in
    [a-m]*) pass=true; status=success ;;
    *) pass=false; status=success ;;
  esac
  if [ "$task" = "canvas-art-quiz" ]; then echo '{"pass": null, "details": "Task status: max_turns_reached"}' > "$dir/eval_res.json"; status=max_turns_reached
  else echo "{\\"pass\\": $pass, \\"failure\\": \\"checked $task\\"}" > "$dir/eval_res.json"; fi
  cat > "$dir/traj_log.json" <<EOF
{"status": "$status", "config": {}, "key_stats": {"input_tokens": 100, "output_tokens": 20},
 "messages": [{"role": "user", "content": "do $task"},
   {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
     "function": {"name": "filesystem-read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}}]},
   {"role": "tool", "tool_call_id": "c1", "content": "hello from $model at $TOOLATHLON_OPENAI_BASE_URL"},
   {"role": "assistant", "content": "done"}]}
EOF
done < "$TASK_LIST"
"""


def _checkout(root: Path) -> Path:
    for name, (servers, tools) in TASKS.items():
        task = root / "tasks" / "finalpool" / name
        task.mkdir(parents=True)
        (task / "task_config.json").write_text(json.dumps(
            {"id": name, "needed_mcp_servers": servers, "needed_local_tools": tools}))
    script = root / "scripts" / "run_parallel.sh"
    script.parent.mkdir(parents=True)
    script.write_text(FAKE_RUN_PARALLEL)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return root


def test_task_groups_and_local_selection(tmp_path: Path) -> None:
    home = _checkout(tmp_path / "toolathlon")
    assert task_group({"needed_mcp_servers": ["excel", "canvas", "emails"]}) == "local"
    assert task_group({"needed_mcp_servers": ["filesystem", "fetch"]}) == "remote"
    assert task_group({"needed_mcp_servers": ["notion"]}) == "remote"
    assert task_group({}) == "unknown"
    assert list_tasks(home, "finalpool", "local") == [
        "canvas-art-quiz", "excel-market-research", "woocommerce-update-cover"]
    assert len(list_tasks(home, "finalpool", "all")) == len(TASKS)
    chosen = tmp_path / "list.txt"
    chosen.write_text("# mine\ngit-repo\n\nyoutube-repo\n")
    assert list_tasks(home, "finalpool", str(chosen)) == ["git-repo", "youtube-repo"]


def test_run_drives_the_script_and_reads_its_results(tmp_path: Path) -> None:
    home = _checkout(tmp_path / "toolathlon")
    folder = tmp_path / "run"
    tasks = list_tasks(home, "finalpool", "all")
    config = ToolathlonConfig(
        toolathlon_dir=str(home), k=2, tasks=tasks,
        endpoint=EndpointSettings(base_url="http://127.0.0.1:9/v1", model="my-model"))
    result = run_toolathlon(config, folder)
    traces = load_run(folder)
    assert len(traces) == 2 * len(TASKS) and result.errors == 0
    by_task = {(t.meta["case_id"], t.sample): t for t in traces}
    good = by_task[("excel-market-research", 1)]
    assert good.spec.family == "toolathlon/local" and good.grade is not None and good.grade.passed
    assert good.calls[0].name == "filesystem-read_file" and "my-model" in good.calls[0].output
    assert good.usage.prompt_tokens == 100 and good.stats.tool_calls == 1
    bad = by_task[("youtube-repo", 0)]
    assert bad.spec.family == "toolathlon/remote" and bad.grade is not None
    assert not bad.grade.passed and "checked youtube-repo" in bad.grade.criteria[0].evidence
    unfinished = by_task[("canvas-art-quiz", 0)]  # pass: null counts as a failure
    assert unfinished.grade is not None and not unfinished.grade.passed and unfinished.truncated
    assert load_run_config(folder)["benchmark"] == "toolathlon"
    # rerunning finds every task evaluated and does not call the script again
    os.chmod(home / "scripts" / "run_parallel.sh", 0)
    assert run_toolathlon(config, folder).traces == 2 * len(TASKS)


def test_import_marks_unevaluated_tasks_as_errors(tmp_path: Path) -> None:
    dump = tmp_path / "dump" / "finalpool"
    (dump / "done").mkdir(parents=True)
    (dump / "done" / "eval_res.json").write_text('{"pass": true}')
    (dump / "crashed").mkdir()  # no eval_res.json: never evaluated
    traces = read_results(tmp_path / "dump", sample=0, tasks_folder="finalpool", tasks=[],
                          model=None, toolathlon_dir=None)
    status = {t.meta["case_id"]: t for t in traces}
    assert status["done"].grade is not None and status["done"].grade.passed
    assert status["crashed"].error is not None and status["crashed"].grade is None
    assert status["done"].spec.family == "toolathlon/unknown"
    with pytest.raises(ValueError, match="toolathlon-dir"):
        run_toolathlon(ToolathlonConfig(), tmp_path / "out")
