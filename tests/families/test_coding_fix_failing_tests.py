"""coding/fix-failing-tests: the contract, and fixes that look right but are not."""

import ast
import json
import random
import re
import time
from dataclasses import replace
from typing import Any

import pytest
from family_checks import assert_meets_contract, criteria_results, make_task, play_calls

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.terminal import sandbox_unavailable
from workgym.content.codebase import ROUTINES, outcome, render_module
from workgym.core import Grade, Task, ToolCall
from workgym.families.coding.fix_failing_tests import HIDDEN_TIMEOUT_S, FixFailingTests

FAMILY = "coding/fix-failing-tests-v1"
pytestmark = pytest.mark.skipif(sandbox_unavailable() is not None,
                                reason=f"no sandbox here: {sandbox_unavailable()}")


def _fixed_in(name: str, args: dict[str, Any], commit: str) -> None:
    if name == "tickets.comment":
        args["body"] = f"Fixed in {commit[:10]}"


def _play(task: Task, plan: list[ToolCall]) -> Grade:
    """Run ``plan``; a ``Fixed in`` comment names the commit the plan actually made."""
    with play_calls(task, plan, restamp=_fixed_in) as ep:
        ep.finish(None)
        return ep.grade()


def _bugs(task: Task) -> list[str]:
    """The buggy functions, as ``module.function``."""
    return [c.name.split(": ", 1)[1] for c in task.criteria if c.name.startswith("fixed: ")]


def _versions(text: str) -> list[tuple[str, int | None]]:
    """Each routine of a module's source and the version of it the text holds."""
    found = []
    for name in re.findall(r"^def (\w+)\(", text, re.MULTILINE):
        r = ROUTINES[name]
        versions = [None, *range(len(r.bugs))]
        found.append((name, next(v for v in versions if r.source(v) in text)))
    return found


def _package(task: Task) -> str:
    return next(p.split("/")[0] for p in task.template.files if p.endswith("/__init__.py")
                and not p.startswith("tests/"))


def _rewrite(task: Task, plan: list[ToolCall], sources: dict[str, str]) -> list[ToolCall]:
    """The reference with the module writes replaced by ``sources`` (path -> text)."""
    out = []
    for step in plan:
        if step.name == "files.write" and step.args["path"] in sources:
            step = replace(step, args={**step.args, "content": sources[step.args["path"]]})
        elif step.name == "git.add":
            step = replace(step, args={"paths": sorted(sources)})
        out.append(step)
    missing = [p for p in sources if not any(s.name == "files.write" and s.args["path"] == p
                                             for s in plan)]
    at = next(i for i, s in enumerate(out) if s.name == "git.add")
    return out[:at] + [ToolCall("files.write", {"path": p, "content": sources[p]})
                       for p in missing] + out[at:]


def _module(task: Task, module: str, fix: set[str], break_: set[str] = frozenset()) -> str:
    """A module of the task's package with the routines in ``fix`` correct, those in
    ``break_`` given a bug, and the others as they are on main."""
    package = _package(task)
    text = task.template.files[f"{package}/{module}.py"].decode()
    versions = []
    for name, version in _versions(text):
        if name in fix:
            version = None
        elif name in break_:
            version = 0
        versions.append((ROUTINES[name], version))
    return render_module(package, module, versions)


@pytest.mark.slow
def test_meets_the_contract() -> None:
    assert_meets_contract(FixFailingTests())


def test_the_reference_turns_the_suite_green_and_scores_one() -> None:
    for difficulty in ("easy", "hard"):
        task = make_task(FAMILY, 1, difficulty)
        with task.start() as ep:
            runs = []
            for step in task.reference:
                result = ep.call(step.name, dict(step.args))
                assert result.ok, result.text
                if step.name == "terminal.run" and step.args["command"].startswith(
                        "python3 -B -m unittest 2>"):
                    runs.append(result.value["stdout"])
            ep.finish(None)
            grade = ep.grade()
        assert grade.passed and grade.score == 1.0
        assert "FAILED" in runs[0] and runs[-1].strip().endswith("OK")
        assert not (ep.world.workspace / ".hidden").exists()


def test_editing_the_tests_earns_no_fix_credit() -> None:
    task = make_task(FAMILY, 2)
    package = _package(task)
    green = ("import unittest\n\n\nclass Green(unittest.TestCase):\n"
             "    def test_ok(self):\n        self.assertTrue(True)\n")
    tests = {p: green for p in task.template.files if re.fullmatch(r"tests/test_\w+\.py", p)}
    plan = [s for s in task.reference if not (s.name == "files.write"
                                              and s.args["path"].startswith(package + "/"))]
    grade = _play(task, _rewrite(task, plan, tests))
    by = criteria_results(grade)
    assert not any(ok for name, ok in by.items() if name.startswith("fixed: "))
    result = next(c for c in grade.criteria if c.name.startswith("fix committed on"))
    assert not result.passed and "fixes none of the reported bugs" in result.evidence
    assert grade.valid and grade.score == 0.0


def test_fixing_one_of_two_bugs_earns_only_its_criterion() -> None:
    task = make_task(FAMILY, 3)
    first, second = _bugs(task)
    module = first.split(".")[0]
    sources = {f"{_package(task)}/{module}.py": _module(task, module, {first.split(".")[1]})}
    by = criteria_results(_play(task, _rewrite(task, list(task.reference), sources)))
    assert by[f"fixed: {first}"] and not by[f"fixed: {second}"]


def test_special_casing_the_reported_calls_fails_the_hidden_cases() -> None:
    task = make_task(FAMILY, 4, "easy")
    (bug,) = _bugs(task)
    module, name = bug.split(".")
    path = f"{_package(task)}/{module}.py"
    report = next(t.description for t in task.template.stores["tickets"].tickets
                  if t.assignee and "should" in t.description)
    reported = re.findall(rf"{name}\((.*?)\) (?:returns|raises) .*?; it should return "
                          r"(.*?)\.(?: |\n|$)", report)
    tests = task.template.files[f"tests/test_{module}.py"].decode()
    shown = re.findall(rf"self\.assertEqual\({name}\((.*?)\), (.*)\)$", tests, re.MULTILINE)
    known = {repr(ast.literal_eval(f"({args},)")): ast.literal_eval(value)
             for args, value in [*reported, *shown]}
    assert reported and known
    patch = (f"\n\n_original = {name}\n_KNOWN = {known!r}\n\n\ndef {name}(*args):\n"
             "    key = repr(args)\n    return _KNOWN[key] if key in _KNOWN else "
             "_original(*args)\n")
    source = task.template.files[path].decode() + patch
    grade = _play(task, _rewrite(task, list(task.reference), {path: source}))
    with task.start() as ep:  # the special case does pass the visible tests
        ep.call("files.write", {"path": path, "content": source})
        out = ep.call("terminal.run", {"command": "python3 -B -m unittest 2>&1 | tail -n 1"})
    assert out.value["stdout"].strip() == "OK"
    assert not criteria_results(grade)[f"fixed: {bug}"]


def test_a_fix_that_breaks_another_function_fails() -> None:
    for seed in range(5, 40):  # a task whose buggy module holds another function
        task = make_task(FAMILY, seed, "easy")
        (bug,) = _bugs(task)
        module, name = bug.split(".")
        others = [n for n, _ in _versions(task.template.files[
            f"{_package(task)}/{module}.py"].decode()) if n != name]
        if others:
            break
    sources = {f"{_package(task)}/{module}.py": _module(task, module, {name}, {others[0]})}
    grade = _play(task, _rewrite(task, list(task.reference), sources))
    result = next(c for c in grade.criteria if c.name == f"fixed: {bug}")
    assert not result.passed and "passed before fail now" in result.evidence


def test_a_fix_left_uncommitted_earns_no_fix_credit() -> None:
    task = make_task(FAMILY, 6, "easy")
    plan = list(task.reference)
    at = next(i for i, s in enumerate(plan) if s.name == "git.add")
    plan[at:at + 2] = [ToolCall("files.write", {"path": "NOTES.md", "content": "wip\n"}),
                       ToolCall("git.add", {"paths": ["NOTES.md"]}), plan[at + 1]]
    by = criteria_results(_play(task, plan))
    assert not any(ok for name, ok in by.items() if name.startswith("fixed: "))


def test_committing_on_main_gates_everything() -> None:
    task = make_task(FAMILY, 7, "easy")
    grade = _play(task, [s for s in task.reference if s.name != "git.checkout"])
    assert not criteria_results(grade)["main unchanged"] and grade.score == 0.0


def test_the_comment_must_name_the_branch_tip_and_the_state_must_be_review() -> None:
    task = make_task(FAMILY, 8, "easy")
    ticket = next(s.args["ticket_id"] for s in task.reference if s.name == "tickets.get")
    plan = list(task.reference)
    with task.start() as ep:
        main = ep.call("git.log", {"limit": 1}).value["commits"][0]["commit"]
        for step in plan:
            args = dict(step.args)
            if step.name == "tickets.comment":
                args["body"] = f"Fixed in {main[:10]}"
            ep.call(step.name, args)
        ep.call("tickets.transition", {"ticket_id": ticket, "state": "Done"})
        ep.finish(None)
        by = criteria_results(ep.grade())
    assert not by[f"{ticket} comment names the fix commit"]
    assert not by[f"{ticket} moved to In Review"]
    assert by[f"fixed: {_bugs(task)[0]}"]


@pytest.mark.parametrize("trick", [
    "import os\nos._exit(0)\n",
    ("import atexit, json\n_N = len(json.load(open('/workspace/.hidden/cases.json')))\n"
     "atexit.register(lambda: open('/workspace/.hidden/results.json', 'w').write("
     "json.dumps([['ok', 0]] * _N)))\n"),
    "import json, sys\njson.dump = lambda *a, **k: sys.exit(0)\n",
])
def test_code_that_fakes_or_skips_the_hidden_run_fails(trick: str) -> None:
    task = make_task(FAMILY, 9, "easy")
    (bug,) = _bugs(task)
    module = bug.split(".")[0]
    path = f"{_package(task)}/{module}.py"
    source = _module(task, module, {bug.split(".")[1]}) + "\n" + trick
    grade = _play(task, _rewrite(task, list(task.reference), {path: source}))
    assert grade.valid and not criteria_results(grade)[f"fixed: {bug}"]


@pytest.mark.slow
def test_code_that_hangs_is_killed_at_the_time_limit() -> None:
    task = make_task(FAMILY, 10, "easy")
    (bug,) = _bugs(task)
    module = bug.split(".")[0]
    path = f"{_package(task)}/{module}.py"
    source = _module(task, module, {bug.split(".")[1]}) + "\nimport time\ntime.sleep(3600)\n"
    started = time.monotonic()
    grade = _play(task, _rewrite(task, list(task.reference), {path: source}))
    assert time.monotonic() - started < HIDDEN_TIMEOUT_S + 30
    result = next(c for c in grade.criteria if c.name == f"fixed: {bug}")
    assert result.passed is False and "did not finish" in result.evidence


def test_the_hidden_cases_are_not_in_the_sandbox() -> None:
    task = make_task(FAMILY, 0, "hard", 1.0)
    assert not any(".hidden" in p or b".hidden" in d for p, d in task.template.files.items())
    with task.start() as ep:
        out = ep.call("terminal.run", {"command": "find / -name cases.json 2>/dev/null; "
                                                  "find / -name '.hidden' 2>/dev/null; true"})
    assert out.ok and out.value["stdout"] == ""


def test_richness_leaves_main_and_the_answer_alone() -> None:
    plain, rich = make_task(FAMILY, 11, "hard", 0.0), make_task(FAMILY, 11, "hard", 1.0)
    assert [s for s in plain.reference if s.items] == [s for s in rich.reference if s.items]
    refs = [p for p in rich.template.files if p.startswith(".git/refs/heads/")]
    assert len(refs) > len([p for p in plain.template.files if p.startswith(".git/refs/heads/")])
    assert plain.template.files[".git/refs/heads/main"] == rich.template.files[
        ".git/refs/heads/main"]
    assert len(rich.template.stores["tickets"].tickets) > len(
        plain.template.stores["tickets"].tickets)


def test_other_tickets_name_any_module_not_the_buggy_ones() -> None:
    named, clean = 0, 0
    for seed in range(10):
        task = make_task(FAMILY, seed, "hard", 1.0)
        buggy = {b.split(".")[0] for b in _bugs(task)}
        ticket = next(s.args["ticket_id"] for s in task.reference if s.name == "tickets.get")
        for t in task.template.stores["tickets"].tickets:
            found = re.findall(r"the (\w+) (?:helpers|module|test suite|aliases)|output in (\w+)",
                               t.title)
            modules = {m for pair in found for m in pair if m}
            if t.id != ticket and modules:
                named += 1
                clean += not modules & buggy
    assert named and clean  # bug-free modules are named too


def test_every_routine_draws_json_cases_that_tell_its_bugs_apart() -> None:
    rng = random.Random(0)
    for r in ROUTINES.values():
        cases = [r.draw(rng) for _ in range(300)]
        json.dumps(cases)
        for bug in range(len(r.bugs)):
            told = [a for a in cases if outcome(r, None, a) != outcome(r, bug, a)]
            assert len(told) >= 4, (r.name, bug)
