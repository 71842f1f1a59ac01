"""What the family tests share: make a task, run or grade a plan, read the criteria.

The tests import it by its bare name (pytest puts this folder on ``sys.path``).
"""

import statistics
from collections.abc import Callable, Sequence
from typing import Any, cast

import workgym  # noqa: F401  (registers apps and families)
from workgym.agent.adversarial import ADVERSARIES
from workgym.checks import FamilyCheckReport, check_family
from workgym.core import Difficulty, Episode, Grade, Task, TaskFamily, ToolCall, make, run_plan


def make_task(family: str, seed: int = 0, difficulty: str = "medium", richness: float = 0.5,
              variant: str = "default") -> Task:
    """The registered family's task at ``seed``, ``difficulty``, ``richness`` and ``variant``."""
    return make(family, seed=seed, difficulty=cast(Difficulty, difficulty), richness=richness,
                variant=variant)


def grade_plan(task: Task, plan: list[ToolCall], *, calls_ok: bool = True) -> Grade:
    """Grade ``plan`` run as ``run_plan`` runs it; with ``calls_ok`` every call must succeed
    (the failing calls' outputs are the assertion's message)."""
    with run_plan(task, plan) as episode:
        if calls_ok:
            assert all(c.ok for c in episode.calls), [c.output for c in episode.calls
                                                      if not c.ok]
        return episode.grade()


def play_calls(task: Task, plan: list[ToolCall], *,
               restamp: Callable[[str, dict[str, Any], str], None] | None = None) -> Episode:
    """Start an episode and make the plan's calls by their canonical names, asserting each
    succeeds; the open episode is the caller's to finish, grade and close.

    ``restamp(name, args, commit)`` may rewrite the arguments of each call after the plan's
    latest ``git.commit``, so that a message names the commit actually made.
    """
    episode = task.start()
    try:
        made: str | None = None
        for step in plan:
            args = dict(step.args)
            if restamp is not None and made is not None:
                restamp(step.name, args, made)
            result = episode.call(step.name, args)
            assert result.ok, (step.name, result.text)
            if restamp is not None and step.name == "git.commit":
                made = result.value["commit"]
    except BaseException:
        episode.close()
        raise
    return episode


def failed_criteria(grade: Grade, *prefixes: str) -> set[str]:
    """Names of the criteria that failed (``passed is False``; an unscored one is not
    counted), only those starting with one of ``prefixes`` when any are given."""
    return {c.name for c in grade.criteria
            if c.passed is False and (not prefixes or c.name.startswith(prefixes))}


def unmet_criteria(grade: Grade, *prefixes: str) -> set[str]:
    """Names of the criteria that did not pass: failed or could not be scored (``passed``
    is not True), only those starting with one of ``prefixes`` when any are given."""
    return {c.name for c in grade.criteria
            if c.passed is not True and (not prefixes or c.name.startswith(prefixes))}


def passed_criteria(grade: Grade, *prefixes: str, group: str | None = None) -> list[str]:
    """Names of the criteria that passed, in the grade's order, only those starting with
    one of ``prefixes`` when any are given, and only those of ``group`` when it is given."""
    return [c.name for c in grade.criteria
            if c.passed is True and (not prefixes or c.name.startswith(prefixes))
            and (group is None or c.group == group)]


def criteria_results(grade: Grade, *, group: str | None = None) -> dict[str, bool | None]:
    """Each criterion's name -> its ``passed`` (None when unscored), only ``group``'s when
    given."""
    return {c.name: c.passed for c in grade.criteria if group is None or c.group == group}


def assert_meets_contract(family: TaskFamily[Any] | str, seeds: int = 10) -> FamilyCheckReport:
    """Assert the family (or registered family id) keeps the contract over ``seeds`` seeds
    (the failures are the message); the report, for a test's further checks."""
    report = check_family(family, seeds=seeds, raise_on_failure=False)
    assert report.ok, "\n".join(report.failures)
    return report


def assert_reference_solves(task: Task, *, calls_ok: bool = True) -> None:
    """Assert the task's reference plan, graded by ``grade_plan``, passes with score 1 (the
    failed criteria are the message)."""
    grade = grade_plan(task, list(task.reference), calls_ok=calls_ok)
    assert grade.passed and grade.score == 1.0, failed_criteria(grade)


def assert_surfaces_agree(family: str, app: str, difficulty: str, seed: int = 1) -> list[Any]:
    """Assert the family poses one task through the ``app`` API (the default variant) and
    through the browser (variant ``browser``): the same criteria, each reference scoring
    1.0 with every call succeeding, and the same ``app`` store after both. The two final
    stores (API first), for a test's further checks."""
    api = make_task(family, seed, difficulty)
    gui = make_task(family, seed, difficulty, variant="browser")
    assert app in api.apps and "browser" not in api.apps, api.apps
    assert "browser" in gui.apps and app not in gui.apps, gui.apps
    assert [c.name for c in api.criteria] == [c.name for c in gui.criteria]
    stores = []
    for task in (api, gui):
        with run_plan(task, list(task.reference)) as episode:
            assert all(c.ok for c in episode.calls), [c.output for c in episode.calls
                                                      if not c.ok]
            grade = episode.grade()
            assert grade.score == 1.0, (task.spec.variant, failed_criteria(grade))
            stores.append(episode.world.stores[app].model_copy(deep=True))
    assert stores[0].model_dump() == stores[1].model_dump()
    return stores


def assert_adversaries_fail(family: str, difficulties: Sequence[str] = ("easy", "hard"), *,
                            variant: str = "default", seeds: int = 2,
                            most: float = 0.05) -> None:
    """Assert every adversarial policy scores at most ``most`` on average over ``seeds``
    seeds of each of ``difficulties`` under ``variant``."""
    for name, adversary in ADVERSARIES.items():
        for difficulty in difficulties:
            scores = [adversary(make_task(family, seed, difficulty, variant=variant), seed).score
                      for seed in range(seeds)]
            assert statistics.fmean(scores) <= most, (name, difficulty, scores)
