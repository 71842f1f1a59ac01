"""tests/tally: the family check_family is tested on, and the mutations it must catch.

Description:
    Notes under ``notes/`` hold amounts; the agent writes their sum to ``total.txt``.
    Subclasses below break one rule each.

Apps:
    files.

Criteria:
    - ``total written``; guard ``notes untouched``.

Difficulty:
    easy 3 notes, medium 6, hard 25 (one read per note).

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from workgym.checks import CHECKS, FamilyCheckError, check_family
from workgym.core import (
    Criterion,
    GradeContext,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    rng_for,
)
from workgym.criteria import unchanged


class Knobs(BaseModel, frozen=True):
    notes: int
    """Notes, one amount each."""


class Tally(TaskFamily[Knobs]):
    """Add up the amounts in the notes and write the total to total.txt."""

    name = "tests/tally"
    version = 1
    apps = ("files",)
    levels = Levels(easy=Level(Knobs(notes=3), calls=4), medium=Level(Knobs(notes=6), calls=7),
                    hard=Level(Knobs(notes=25), calls=26))

    def stream(self, spec: TaskSpec) -> random.Random:
        return rng_for(spec, "amounts")

    def accepts(self, text: str, total: int) -> bool:
        return text.strip() == str(total)

    def generate(self, spec: TaskSpec) -> Task:
        rng = self.stream(spec)
        amounts = [rng.randint(1, 900) for _ in range(self.knobs(spec).notes)]
        files = {f"notes/n{i:02d}.txt": f"amount: {a}\n".encode() for i, a in enumerate(amounts)}
        if spec.richness > 0.5:
            files["archive/old.txt"] = b"amount: 1\n"
        total = sum(amounts)

        def written(ctx: GradeContext) -> tuple[bool, str]:
            text = ctx.read_text("total.txt")
            return self.accepts(text, total), f"total.txt holds {text[:20]!r}"

        return Task(
            spec=spec, prompt="Add up the amounts in notes/ and write the total to total.txt.",
            apps=self.apps, template=WorldTemplate(now=datetime(2026, 1, 5, tzinfo=UTC),
                                                   files=files),
            criteria=(Criterion("total written", written),
                      unchanged("notes untouched", folders=["notes"])),
            reference=(*(ToolCall("files.read", {"path": p}) for p in files
                         if p.startswith("notes/")),
                       ToolCall("files.write", {"path": "total.txt", "content": f"{total}\n"},
                                items={"content": ()})),
            artifacts=("total.txt",))


class IgnoresTheSeed(Tally):
    """Mutation 1: every seed gives the same task."""

    def stream(self, spec: TaskSpec) -> random.Random:
        return random.Random(7)


class AnswerFollowsRichness(Tally):
    """Mutation 2: the answer's stream depends on richness."""

    def stream(self, spec: TaskSpec) -> random.Random:
        return rng_for(spec, "amounts", spec.richness)


class AcceptsAnyTotal(Tally):
    """Mutation 3: once total.txt exists, any content passes."""

    def accepts(self, text: str, total: int) -> bool:
        return True


def _check(family: TaskFamily, seeds: int = 3, **options: object):  # type: ignore[no-untyped-def]
    return check_family(family, seeds=seeds, fresh_process=False, raise_on_failure=False,
                        **options)  # type: ignore[arg-type]


def test_the_test_family_meets_every_check():
    report = check_family(Tally(), seeds=3, raise_on_failure=False)
    assert report.ok, report.failures
    assert set(report.checks) == set(CHECKS)
    assert report.checks["fresh-process"].status == "ok"  # imported by name in the child
    assert {k: min(v) for k, v in report.reference_calls.items()} == {
        "easy": 4, "medium": 7, "hard": 26}


def test_a_generator_that_ignores_the_seed_fails_with_the_fix():
    report = _check(IgnoresTheSeed(), only=["seeds-differ"])
    outcome = report.checks["seeds-differ"]
    assert outcome.status == "failed"
    assert "seeds 0 and 1 give the same world" in outcome.messages[0]
    assert "rng_for(spec, ...)" in outcome.messages[0]


def test_an_answer_that_depends_on_richness_fails_with_the_fix():
    report = _check(AnswerFollowsRichness(), only=["richness"])
    outcome = report.checks["richness"]
    assert outcome.status == "failed"
    assert any("the answer depends on richness" in m and "which ignores richness" in m
               for m in outcome.messages)


def test_a_grader_that_accepts_wrong_content_fails_with_the_fix():
    report = _check(AcceptsAnyTotal(), only=["near-miss", "adversaries"])
    near = report.checks["near-miss"]
    assert near.status == "failed"
    assert "made wrong" in near.messages[0] or "wrong" in near.messages[0]
    assert "a criterion must check that item exactly" in near.messages[0]
    # the shipped attacks find it too: whitespace in total.txt earns full credit
    assert report.checks["adversaries"].status == "failed"
    with pytest.raises(FamilyCheckError, match="near-miss"):
        check_family(AcceptsAnyTotal(), seeds=2, fresh_process=False, only=["near-miss"])


def test_declared_lengths_and_apps_are_enforced():
    class ShortHard(Tally):
        levels = Levels(easy=Level(Knobs(notes=3), calls=4), medium=Level(Knobs(notes=6), calls=7),
                        hard=Level(Knobs(notes=9), calls=10))

    class Overclaims(Tally):
        levels = Levels(easy=Level(Knobs(notes=3), calls=9, apps=2),
                        medium=Level(Knobs(notes=6), calls=7),
                        hard=Level(Knobs(notes=25), calls=26))

    short = _check(ShortHard(), only=["declaration"]).checks["declaration"]
    assert short.status == "failed" and "hard tasks need 25+ tool calls" in short.messages[0]
    over = _check(Overclaims(), only=["declaration", "reference-length"])
    assert "declares apps=2" in over.checks["declaration"].messages[0]
    lengths = over.checks["reference-length"].messages
    assert any("takes 4 calls, fewer than the 9 its level declares" in m for m in lengths)
    assert any("uses 1 app(s) ['files'], fewer than the 2 declared" in m for m in lengths)


def test_a_guard_that_fails_before_the_agent_acts_is_reported():
    class BrokenGuard(Tally):
        def generate(self, spec: TaskSpec) -> Task:
            task = super().generate(spec)
            never = Criterion("never", lambda ctx: (False, "always fails"), guard=True)
            return replace(task, criteria=(*task.criteria, never))

    outcome = _check(BrokenGuard(), only=["untouched"]).checks["untouched"]
    assert outcome.status == "failed" and "guards fail before the agent acts" in outcome.messages[0]


def test_a_missing_items_declaration_is_reported():
    class NoItems(Tally):
        def generate(self, spec: TaskSpec) -> Task:
            task = super().generate(spec)
            return replace(task, reference=tuple(replace(c, items={}) for c in task.reference))

    outcome = _check(NoItems(), only=["near-miss"]).checks["near-miss"]
    assert outcome.status == "failed" and "no reference call declares items" in outcome.messages[0]


def test_variants_are_declared_and_must_change_the_task():
    with pytest.raises(ValueError, match="has no variant 'terse'"):
        Tally().task(Tally().spec(0, variant="terse"))

    class Idle(Tally):
        variants = ("default", "terse")

    class Terse(Tally):
        variants = ("default", "terse")

        def generate(self, spec: TaskSpec) -> Task:
            task = super().generate(spec)
            return replace(task, prompt="Sum notes/ into total.txt.") if spec.variant == "terse" \
                else task

    assert _check(Idle(), only=["variants"]).checks["variants"].status == "failed"
    assert _check(Terse(), only=["variants"]).checks["variants"].status == "ok"
    assert Terse().task(Terse().spec(0, variant="terse")).id != Terse().task(Terse().spec(0)).id


def test_a_broken_reference_fails_and_unknown_checks_are_refused():
    class Lazy(Tally):
        def generate(self, spec: TaskSpec) -> Task:
            task = super().generate(spec)
            return replace(task, reference=task.reference[:1])

    outcome = _check(Lazy(), only=["reference"]).checks["reference"]
    assert "reference scores 0.000" in outcome.messages[0]
    with pytest.raises(ValueError, match="unknown checks"):
        check_family(Tally(), only=["nope"])


def test_the_adversaries_meet_every_variant():
    class LenientTerse(Tally):
        """Mutation 4: the 'terse' variant accepts any total.txt at all."""

        variants = ("default", "terse")

        def generate(self, spec: TaskSpec) -> Task:
            task = super().generate(spec)
            if spec.variant != "terse":
                return task

            def written(ctx: GradeContext) -> tuple[bool, str]:
                return True, f"total.txt holds {ctx.read_text('total.txt')[:20]!r}"

            return replace(task, prompt="Sum notes/ into total.txt.",
                           criteria=(Criterion("total written", written), *task.criteria[1:]))

    report = _check(LenientTerse(), only=["adversaries"])
    messages = report.checks["adversaries"].messages
    assert report.checks["adversaries"].status == "failed"
    assert messages and all("(variant terse)" in m for m in messages), messages
    assert _check(Tally(), only=["adversaries"]).checks["adversaries"].status == "ok"
