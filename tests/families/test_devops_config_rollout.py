"""devops/config-rollout: the contract, and roll-outs that look right but are not."""

import re
import shlex
import tomllib
from dataclasses import replace
from typing import Any

import pytest
from family_checks import assert_meets_contract, criteria_results, make_task, play_calls

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.terminal import sandbox_unavailable
from workgym.core import Grade, Task, ToolCall
from workgym.families.devops.config_rollout import VALIDATOR, ConfigRollout

FAMILY = "devops/config-rollout-v2"
pytestmark = pytest.mark.skipif(sandbox_unavailable() is not None,
                                reason=f"no sandbox here: {sandbox_unavailable()}")


def _commit_line(name: str, args: dict[str, Any], commit: str) -> None:
    if name == "chat.post":
        args["text"] = re.sub(r"Commit: \w+", f"Commit: {commit[:10]}", args["text"])


def _play(task: Task, plan: list[ToolCall]) -> Grade:
    """Run ``plan``; the announcement's Commit line names the commit the plan made."""
    with play_calls(task, plan, restamp=_commit_line) as ep:
        ep.finish(None)
        return ep.grade()


def _edit(text: str, key: str, value: str) -> str:
    """``text`` (a rendered config) with ``section.key`` set to ``value``."""
    section, name = key.split(".")
    out, current = [], ""
    for line in text.split("\n"):
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and line.startswith(f"{name} = "):
            line = f"{name} = {value}"
        out.append(line)
    return "\n".join(out)


def _before_checkout(plan: list[ToolCall], *extra: ToolCall) -> list[ToolCall]:
    at = next(i for i, s in enumerate(plan) if s.name == "git.checkout")
    return plan[:at] + list(extra) + plan[at:]


def _with_paths(plan: list[ToolCall], more: list[str]) -> list[ToolCall]:
    return [replace(s, args={"paths": [*s.args["paths"], *more]}) if s.name == "git.add" else s
            for s in plan]


@pytest.mark.slow
def test_meets_the_contract() -> None:
    assert_meets_contract(ConfigRollout())


def test_the_validator_catches_the_pool_rule_and_the_reference_passes_it() -> None:
    task = make_task(FAMILY, 1, "hard")
    with task.start() as ep:
        runs = []
        for step in task.reference:
            result = ep.call(step.name, dict(step.args))
            assert result.ok, result.text
            if step.name == "terminal.run" and VALIDATOR in step.args["command"]:
                runs.append(result.value)
        ep.finish(None)
        grade = ep.grade()
    assert grade.passed and grade.score == 1.0
    assert runs[0]["exit_code"] == 1 and "set it to" in runs[0]["stdout"]
    assert runs[-1]["exit_code"] == 0 and "error" not in runs[-1]["stdout"]


def test_every_config_passes_the_validator_before_the_change() -> None:
    task = make_task(FAMILY, 2, "hard", 1.0)
    with task.start() as ep:
        out = ep.call("terminal.run", {"command": f"python3 {VALIDATOR} services/*/*.toml"})
    assert out.value["exit_code"] == 0, out.value["stdout"]


def test_missing_the_thread_correction_costs_that_setting() -> None:
    task = make_task(FAMILY, 3)
    chat = task.template.stores["chat"]
    fix = next(m.text for m in chat.messages if m.text.startswith("Correction for"))
    key, _, wrong = re.match(r"Correction for \S+: (\S+) should be (\S+), not (\S+)\.",
                                 fix).groups()
    plan = [replace(s, args={**s.args, "content": _edit(s.args["content"], key, wrong)})
            if s.name == "files.write" else s for s in task.reference]
    grade = _play(task, plan)
    settings = criteria_results(grade, group="setting")
    mine = [ok for name, ok in settings.items() if f"{key} = " in name]
    others = [ok for name, ok in settings.items() if f"{key} = " not in name]
    assert mine and not any(mine)
    # each wrong value also cancels the credit of one right one (precision-aware)
    assert sum(map(bool, others)) == max(0, len(others) - len(mine))
    assert not criteria_results(grade)["configs match the change"] and 0 < grade.score < 1


def test_touching_the_excluded_service_or_staging_costs_credit() -> None:
    task = make_task(FAMILY, 4, "hard")
    chat = task.template.stores["chat"]
    excluded = re.search(r"leave (\S+) out of", next(
        m.text for m in chat.messages if "out of CHG" in m.text)).group(1)
    base = _play(task, list(task.reference))
    for path in (f"services/{excluded}/production.toml",
                 f"services/{task.artifacts[0].split('/')[1]}/staging.toml"):
        text = task.template.files[path].decode()
        edited = _edit(text, "http.port", "9999")
        plan = _with_paths(_before_checkout(list(task.reference), ToolCall(
            "files.write", {"path": path, "content": edited})), [path])
        grade = _play(task, plan)
        passed = sum(bool(ok) for ok in criteria_results(grade, group="setting").values())
        before = sum(bool(ok) for ok in criteria_results(base, group="setting").values())
        assert passed == before - 1
        assert not criteria_results(grade)["configs match the change"]


def test_changing_every_production_config_never_pays() -> None:
    task = make_task(FAMILY, 5, "medium")
    writes = {s.args["path"]: s for s in task.reference if s.name == "files.write"}
    paths = sorted(p for p in task.template.files
                   if p.startswith("services/") and p.endswith("production.toml"))
    changed = dict(next(iter(writes.values())).args)
    spec_lines = [line for line in changed["content"].split("\n")
                  if " = " in line and line not in task.template.files[
                      changed["path"]].decode().split("\n")]
    extra = []
    for path in paths:
        if path in writes:
            continue
        text = task.template.files[path].decode()
        for line in spec_lines:
            name = line.split(" = ")[0]
            text = re.sub(rf"^{name} = .*$", line, text, count=1, flags=re.MULTILINE)
        extra.append(ToolCall("files.write", {"path": path, "content": text}))
    plan = _with_paths(_before_checkout(list(task.reference), *extra), paths)
    grade = _play(task, plan)
    assert grade.score < 0.5 and not criteria_results(grade)["configs match the change"]


def test_validating_before_the_last_edit_fails_the_validation() -> None:
    task = make_task(FAMILY, 6, "hard")
    plan = list(task.reference)
    last = max(i for i, s in enumerate(plan) if s.name == "terminal.run")
    del plan[last]
    grade = _play(task, plan)
    assert not criteria_results(grade)["validator passed on the committed configs"]


def test_a_forged_validator_run_does_not_count() -> None:
    """The validator's output printed by echo (or a run beside a planted module) earns
    nothing, though the output is byte for byte the real one."""
    task = make_task(FAMILY, 6, "hard")
    plan = list(task.reference)
    last = max(i for i, s in enumerate(plan) if s.name == "terminal.run")
    with task.start() as ep:
        for step in plan[:last + 1]:
            assert ep.call(step.name, dict(step.args)).ok
        real = ep.call(step.name, dict(plan[last].args)).value["stdout"]
    forged = "printf '%s' " + shlex.quote(real) + f" # {VALIDATOR}"
    plan[last] = ToolCall("terminal.run", {"command": forged})
    grade = _play(task, plan)
    assert not criteria_results(grade)["validator passed on the committed configs"]
    planted = list(task.reference)
    planted.insert(last, ToolCall("files.write", {"path": "tools/sitecustomize.py",
                                                  "content": "pass\n"}))
    grade = _play(task, planted)
    assert not criteria_results(grade)["validator passed on the committed configs"]
    assert "sits beside the validator" in {c.name: c.evidence for c in grade.criteria}[
        "validator passed on the committed configs"]


def test_editing_the_validator_gates_everything() -> None:
    task = make_task(FAMILY, 7, "medium")
    source = task.template.files[VALIDATOR].decode().replace("most < 2 * pool", "False")
    plan = _with_paths(_before_checkout(list(task.reference), ToolCall(
        "files.write", {"path": VALIDATOR, "content": source})), [VALIDATOR])
    grade = _play(task, plan)
    assert not criteria_results(grade)["validator unchanged"] and grade.score == 0.0


def test_posting_in_the_wrong_channel_gates_and_the_list_must_be_sorted() -> None:
    task = make_task(FAMILY, 8, "medium")
    plan = list(task.reference)
    post = plan[-1]
    wrong = _play(task, [*plan[:-1], replace(post, args={**post.args,
                                                          "channel": "#deploys-staging"})])
    assert not criteria_results(wrong)["nothing posted elsewhere"] and wrong.score == 0.0
    text = post.args["text"]
    names = text.split("Services: ")[1].split(", ")
    shuffled = text.replace(", ".join(names), ", ".join(reversed(names)))
    grade = _play(task, [*plan[:-1], replace(post, args={**post.args, "text": shuffled})])
    assert not criteria_results(grade)["announcement lists the services"]
    assert criteria_results(grade)["announcement names the commit"]


def test_announcing_twice_fails_the_announcement() -> None:
    task = make_task(FAMILY, 11, "easy")
    plan = list(task.reference)
    grade = _play(task, [*plan, plan[-1]])
    by = criteria_results(grade)
    assert not by["announced in #deploys"] and not by["announcement lists the services"]
    assert by["configs match the change"]


def test_an_uncommitted_rollout_earns_no_setting() -> None:
    task = make_task(FAMILY, 9, "easy")
    grade = _play(task, [s for s in task.reference if s.name not in ("git.add", "git.commit")])
    assert not any(criteria_results(grade, group="setting").values()) and grade.score == 0.0


def test_the_committed_configs_parse_and_hold_the_change() -> None:
    task = make_task(FAMILY, 10, "hard")
    with task.start() as ep:
        for step in task.reference:
            ep.call(step.name, dict(step.args))
        for path in task.artifacts:
            shown = ep.call("git.show", {"revision": "HEAD", "path": path}).text
            assert tomllib.loads(shown)["service"]["name"] == path.split("/")[1]
