"""check_family: the contract every family must meet, as named checks.

Each check is one small function over one property. It fails with messages that say what
is wrong and what to change; ``CHECKS`` lists them with what each catches.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from workgym.checks._fresh import CHILD_ENV, fresh_digest, unimportable
from workgym.checks._probes import probes
from workgym.core import (
    DIFFICULTIES,
    HARD_MIN_CALLS,
    App,
    Difficulty,
    Episode,
    Grade,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    get_family,
)

ADVERSARY_CEILING = 0.05
"""Highest mean dense score an adversarial policy may reach on any family and level."""
SECTIONS = ("Description", "Apps", "Criteria", "Difficulty", "Version history")
"""Sections a family module's docstring holds."""
MAX_MESSAGES = 5
"""Messages kept per failed check (the count of the rest is reported)."""
MAX_PROBES = 8
"""Near-miss probes run per task."""

Status = Literal["ok", "failed", "skipped"]


class FamilyCheckError(AssertionError):
    """A family broke its contract; the message lists every failure."""


@dataclass
class CheckOutcome:
    """The result of one named check."""

    name: str
    status: Status = "ok"
    messages: list[str] = field(default_factory=list)
    dropped: int = 0
    """Failure messages beyond ``MAX_MESSAGES``, counted but not kept."""

    def fail(self, message: str) -> None:
        self.status = "failed"
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        else:
            self.dropped += 1

    def skip(self, note: str) -> None:
        if self.status == "ok":
            self.status = "skipped"
        self.messages.append(note)


@dataclass
class FamilyCheckReport:
    """What ``check_family`` found: every named check's outcome."""

    family_id: str
    seeds: int
    checks: dict[str, CheckOutcome] = field(default_factory=dict)
    reference_calls: dict[str, list[int]] = field(default_factory=dict)
    """Reference length per level, one entry per seed checked."""

    @property
    def ok(self) -> bool:
        return all(c.status != "failed" for c in self.checks.values())

    @property
    def failures(self) -> list[str]:
        """``check: message`` of every failure."""
        found = []
        for c in self.checks.values():
            if c.status == "failed":
                found += [f"{c.name}: {m}" for m in c.messages]
                if c.dropped:
                    found.append(f"{c.name}: ... and {c.dropped} more")
        return found

    @property
    def notes(self) -> list[str]:
        """``check: note`` of every skipped check."""
        return [f"{c.name}: {m}" for c in self.checks.values() if c.status == "skipped"
                for m in c.messages]


# -- shared work --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """A plan run on a fresh episode and graded."""

    failed_calls: list[str]
    grade: Grade
    digest: str
    calls: int


def _valid(grade: Grade) -> bool:
    return all(c.passed is not None for c in grade.criteria)


def _score(grade: Grade) -> float:
    return grade.score if _valid(grade) else math.nan


def _solved(run: _Run) -> bool:
    return _valid(run.grade) and run.grade.score == 1.0 and run.grade.passed


def _errors(grade: Grade) -> list[str]:
    return [f"{c.name}: {c.evidence}" for c in grade.criteria if c.passed is None]


class _Session:
    """The family under check, and the runs that several checks share."""

    def __init__(self, family: TaskFamily[Any], seeds: int, fresh_process: bool) -> None:
        self.family = family
        self.seeds = seeds
        self.fresh_process = fresh_process
        self._runs: dict[tuple[str, tuple[Any, ...] | None], _Run] = {}

    def task(self, seed: int, level: Difficulty, richness: float = 0.5) -> Task:
        return self.family.task(self.family.spec(seed, level, richness))

    def run(self, task: Task, plan: Sequence[Any] | None = None) -> _Run:
        key = (task.spec.canonical_json(), None if plan is None else tuple(map(id, plan)))
        if plan is None and key in self._runs:
            return self._runs[key]
        with task.start() as episode:
            for step in task.reference if plan is None else plan:
                episode.call(*_wire(episode, step))
            episode.finish(task.reference_answer)
            run = _Run([f"{c.name}: {c.output}" for c in episode.calls if not c.ok],
                       episode.grade(), episode.world.digest(), len(episode.calls))
        if plan is None:
            self._runs[key] = run
        return run


def _wire(episode: Episode, step: ToolCall) -> tuple[str, dict[str, Any]]:
    """A plan's step as the episode's dialect spells it (an unknown tool as it is)."""
    try:
        return episode.to_wire(step.name, dict(step.args))
    except ValueError:
        return step.name, dict(step.args)


def _answer(task: Task) -> str:
    """The answer a task poses: the declared items of its reference, and its answer."""
    items = [(c.name, {a: c.args.get(a) for a in c.items}) for c in task.reference if c.items]
    return json.dumps([items, task.reference_answer], sort_keys=True, default=str)


def _template_digest(task: Task) -> str:
    h = hashlib.sha256()
    for rel in sorted(task.template.files):
        h.update(rel.encode() + b"\x1f" + hashlib.sha256(task.template.files[rel]).digest())
    for name, store in sorted(task.template.stores.items()):
        h.update(name.encode() + b"\x1f" + store.model_dump_json().encode())
    return h.hexdigest()


def _signature(task: Task) -> list[tuple[Any, ...]]:
    return [(c.name, c.kind, c.weight, c.guard, c.group) for c in task.criteria]


def _failing(grade: Grade) -> list[str]:
    return [f"{c.name} ({c.evidence[:120]})" for c in grade.criteria if c.passed is not True]


# -- the checks ---------------------------------------------------------------------------


def check_declaration(s: _Session, out: CheckOutcome) -> None:
    """Levels, apps, reference lengths and the module docstring are declared as asked."""
    fam, cls = s.family, type(s.family)
    hard = fam.levels.hard.calls
    if hard < HARD_MIN_CALLS:
        out.fail(f"hard declares Level(calls={hard}); hard tasks need {HARD_MIN_CALLS}+ tool "
                 f"calls: raise the hard knobs until the reference takes {HARD_MIN_CALLS}, "
                 f"then declare Level(..., calls={HARD_MIN_CALLS})")
    for level, lv in fam.levels.items():
        if lv.apps is not None and lv.apps > len(fam.apps):
            out.fail(f"{level} declares apps={lv.apps}, but the family lists only "
                     f"{len(fam.apps)} apps {fam.apps}")
        if not type(lv.knobs).model_config.get("frozen"):
            out.fail(f"{level}: knobs {type(lv.knobs).__name__} are not frozen; declare "
                     f"class {type(lv.knobs).__name__}(BaseModel, frozen=True)")
    unknown = [a for a in fam.apps if a not in App.registry]
    if unknown:
        out.fail(f"apps {unknown} are not registered (known: {sorted(App.registry)}); fix "
                 "the names or import the module that defines them")
    doc = getattr(sys.modules.get(cls.__module__), "__doc__", None) or ""
    missing = [section for section in SECTIONS if f"{section}:" not in doc]
    if missing:
        out.fail(f"the docstring of module {cls.__module__} lacks the sections {missing}; "
                 "see docs/families.md for the template")
    if not fam.summary():
        out.fail(f"{cls.__name__} has no class docstring; its first line is the summary "
                 "'workgym list' shows")


def check_spec_round_trip(s: _Session, out: CheckOutcome) -> None:
    """A spec survives JSON and keeps its id."""
    spec = s.family.spec(0, "medium")
    again = TaskSpec.from_json(spec.to_json())
    if again != spec or again.id != spec.id:
        out.fail("the spec does not round-trip through JSON; do not override TaskFamily.spec")


def check_determinism(s: _Session, out: CheckOutcome) -> None:
    """The same spec gives the same world, prompt, criteria and reference in one process."""
    spec = s.family.spec(0, "medium")
    task, again = s.family.task(spec), s.family.generate(spec)
    with task.start() as a, task.start() as b, again.start() as c:
        if a.world.digest() != b.world.digest():
            out.fail("two episodes of one task start from different worlds: materialize only "
                     "what the template holds (no clock, no random state in the apps)")
        if c.world.digest() != a.world.digest():
            out.fail("generating the same spec twice gives different worlds: take every random "
                     "draw from rng_for(spec, ...), never from random or an unordered set")
    if (again.prompt, _signature(again), again.reference) != (
            task.prompt, _signature(task), task.reference):
        out.fail("generating the same spec twice gives a different prompt, criteria or "
                 "reference: generation must be a pure function of the spec")


def check_fresh_process(s: _Session, out: CheckOutcome) -> None:
    """A fresh interpreter builds the same world (no hash seeds, no import-order state)."""
    if not s.fresh_process:
        out.skip("not run (fresh_process=False)")
        return
    reason = unimportable(s.family)
    if reason:
        out.skip(f"not run: {reason}")
        return
    spec = s.family.spec(0, "medium")
    with s.family.task(spec).start() as episode:
        here = episode.world.digest()
    try:
        there = fresh_digest(s.family, spec)
    except RuntimeError as exc:
        out.fail(f"the fresh process failed: {exc}")
        return
    if there != here:
        out.fail("a fresh process builds a different world for the same spec: something "
                 "depends on PYTHONHASHSEED or import order (iterate sorted(), not sets)")


def check_schemas(s: _Session, out: CheckOutcome) -> None:
    """Every tool's schema is valid JSON Schema with a description, in both formats."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    with s.task(0, "medium").start() as episode:
        for fmt in ("openai", "mcp"):
            for entry in episode.tools(fmt):  # type: ignore[arg-type]
                body = entry["function"] if fmt == "openai" else entry
                schema = body["parameters"] if fmt == "openai" else body["inputSchema"]
                name = body["name"]
                if schema.get("type") != "object":
                    out.fail(f"{fmt} {name}: the parameters schema is not an object")
                if not body.get("description"):
                    out.fail(f"{fmt} {name}: no description; give the tool a docstring")
                try:
                    Draft202012Validator.check_schema(schema)
                except SchemaError as exc:
                    out.fail(f"{fmt} {name}: invalid JSON Schema: {exc.message}")


def check_seeds_differ(s: _Session, out: CheckOutcome) -> None:
    """Different seeds give different worlds and different answers."""
    n = max(2, min(s.seeds, 10))
    tasks = [s.task(seed, "medium") for seed in range(n)]
    seen: dict[str, int] = {}
    for seed, task in enumerate(tasks):
        digest = _template_digest(task)
        if digest in seen:
            out.fail(f"seeds {seen[digest]} and {seed} give the same world: draw it from "
                     "rng_for(spec, ...), which depends on the seed")
        seen.setdefault(digest, seed)
    answers = {_answer(t) for t in tasks}
    if len(answers) < math.ceil(n / 2):
        out.fail(f"the answer takes {len(answers)} value(s) over {n} seeds: derive it from "
                 "the seed's own draws (rng_for(spec, ...)) so each seed poses a new problem")


def check_reference(s: _Session, out: CheckOutcome, report: FamilyCheckReport) -> None:
    """The reference solution scores 1.0 and passes, with no failed call, on every level."""
    for level in DIFFICULTIES:
        counts = report.reference_calls.setdefault(level, [])
        for seed in range(s.seeds):
            run = s.run(s.task(seed, level))
            counts.append(run.calls)
            if run.failed_calls:
                out.fail(f"{level} seed {seed}: a reference call failed: "
                         f"{run.failed_calls[0][:300]}")
            if not _valid(run.grade):
                out.fail(f"{level} seed {seed}: the grade is invalid (grader errors): "
                         f"{_errors(run.grade)[:2]}")
            elif run.grade.score != 1.0 or not run.grade.passed:
                out.fail(f"{level} seed {seed}: reference scores {run.grade.score:.3f}; failed: "
                         f"{_failing(run.grade)[:3]}")


def check_reference_length(s: _Session, out: CheckOutcome) -> None:
    """Each level's reference takes at least the calls and apps the level declares."""
    fam = s.family
    for level, lv in fam.levels.items():
        need_apps = lv.apps if lv.apps is not None else len(fam.apps)
        for seed in range(s.seeds):
            task = s.task(seed, level)
            if len(task.reference) < lv.calls:
                out.fail(f"{level} seed {seed}: the reference takes {len(task.reference)} calls, "
                         f"fewer than the {lv.calls} its level declares: raise the knobs or "
                         "declare the true minimum")
            used = sorted({c.name.split(".", 1)[0] for c in task.reference})
            if len(used) < need_apps:
                out.fail(f"{level} seed {seed}: the reference uses {len(used)} app(s) {used}, "
                         f"fewer than the {need_apps} declared (Level(apps=...) or all of "
                         f"{fam.apps})")


def check_untouched(s: _Session, out: CheckOutcome) -> None:
    """The untouched world fails every outcome criterion, passes every guard, scores 0."""
    for level in DIFFICULTIES:
        for seed in range(s.seeds):
            with s.task(seed, level).start() as episode:
                episode.finish(None)
                grade = episode.grade()
            if not _valid(grade):
                out.fail(f"{level} seed {seed}: grading the untouched world hits grader errors "
                         f"{_errors(grade)[:2]}: raise GradeError for what the agent causes")
                continue
            passing = [c.name for c in grade.outcomes if c.passed]
            if passing:
                out.fail(f"{level} seed {seed}: the untouched world passes outcome criteria "
                         f"{passing[:4]}: each must need the agent's work")
            broken = [f"{c.name} ({c.evidence[:100]})" for c in grade.criteria
                      if c.guard and not c.passed]
            if broken:
                out.fail(f"{level} seed {seed}: guards fail before the agent acts: {broken[:3]}")


def check_richness(s: _Session, out: CheckOutcome) -> None:
    """Richness adds distractors only: same answer and criteria at 0 and 1, both solved."""
    for level in DIFFICULTIES:
        for seed in range(min(s.seeds, 5)):
            plain, rich = s.task(seed, level, 0.0), s.task(seed, level, 1.0)
            if _signature(plain) != _signature(rich):
                names = sorted({c[0] for c in _signature(plain)} ^ {c[0] for c in _signature(rich)})
                out.fail(f"{level} seed {seed}: the criteria differ between richness 0 and 1 "
                         f"({names[:4] or 'weights or kinds'}): build them from the core only")
            if _answer(plain) != _answer(rich):
                out.fail(f"{level} seed {seed}: the answer depends on richness: draw the answer "
                         "from rng_for(spec, ...), which ignores richness, and only distractors "
                         "from a stream of their own")
            if not _solved(s.run(s.task(seed, level))):
                continue  # the reference check reports it
            for richness, task in ((0.0, plain), (1.0, rich)):
                run = s.run(task)
                if not _solved(run):
                    out.fail(f"{level} seed {seed} richness {richness:g}: the reference does not "
                             f"solve it ({_failing(run.grade)[:2]}): distractors changed the task")


def check_near_miss(s: _Session, out: CheckOutcome) -> None:
    """One required item wrong, missing or repeated costs credit and fails binary."""
    declared = any(c.items for c in s.task(0, "medium").reference)
    if not declared:
        out.fail("no reference call declares items: mark the arguments that carry the answer, "
                 "e.g. ToolCall('files.write', {...}, items={'content': ()}), so near misses "
                 "can be probed")
        return
    ran = effective = 0
    for level in DIFFICULTIES:
        for seed in range(min(s.seeds, 2)):
            task = s.task(seed, level)
            baseline = s.run(task)
            for probe in list(probes(task.reference, pick=seed))[:MAX_PROBES]:
                ran += 1
                run = s.run(task, probe.plan)
                if run.digest == baseline.digest:
                    continue  # the change left the world as the reference does (a no-op)
                effective += 1
                if _valid(run.grade) and (run.grade.score >= 1.0 or run.grade.passed):
                    out.fail(f"{level} seed {seed}: with the {probe.description}, the reference "
                             f"still scores {run.grade.score:.2f} (binary {run.grade.passed}): a "
                             "criterion must check that item exactly and count repeats as wrong "
                             "(workgym.criteria.item_credit)")
    if ran and not effective:
        out.fail(f"none of the {ran} probes changed the world: the items declared in ToolCall."
                 "items are not what the task's artifacts hold")


def check_mcp(s: _Session, out: CheckOutcome) -> None:
    """The reference replays identically over MCP (official client, in memory)."""
    from workgym.checks._mcp import replay_differences

    for level in DIFFICULTIES:
        for difference in replay_differences(s.task(0, level)):
            out.fail(f"{level} seed 0: {difference}; the MCP path must give exactly what "
                     "Episode.call gives")


def check_adversaries(s: _Session, out: CheckOutcome) -> None:
    """The shipped adversarial policies score at most ADVERSARY_CEILING mean dense."""
    try:
        adversarial = importlib.import_module("workgym.agent.adversarial")
    except ModuleNotFoundError as exc:
        if exc.name not in ("workgym.agent.adversarial", "workgym.agent"):
            raise
        out.skip("not run: workgym.agent.adversarial is not available in this installation")
        return
    # Every declared variant poses the task its own way (another artifact, the browser
    # instead of the API), so each meets the adversaries: the default on up to 3 seeds
    # per level, the others on one.
    variants = [("default", min(s.seeds, 3))] + [
        (v, 1) for v in s.family.variants if v != "default"]
    for name, adversary in adversarial.ADVERSARIES.items():
        for variant, seeds in variants:
            on = "" if variant == "default" else f" (variant {variant})"
            for level in DIFFICULTIES:
                scores = []
                for seed in range(seeds):
                    task = s.family.task(s.family.spec(seed, level, variant=variant))
                    grade = adversary(task, seed)
                    if not _valid(grade):
                        out.fail(f"{name} on {level} seed {seed}{on}: the grade is invalid "
                                 f"(grader errors {_errors(grade)[:2]}): raise GradeError for "
                                 "what the agent causes")
                        continue
                    scores.append(grade.score)
                mean = sum(scores) / len(scores) if scores else 0.0
                if mean > ADVERSARY_CEILING:
                    out.fail(f"{name} on {level}{on}: mean dense {mean:.3f} > "
                             f"{ADVERSARY_CEILING}: the criteria pay for something other than "
                             f"the task; see the table of 'workgym check "
                             f"{s.family.family_id()} --adversarial'")


def check_variants(s: _Session, out: CheckOutcome) -> None:
    """Every declared variant other than ``default`` changes the task."""
    others = [v for v in s.family.variants if v != "default"]
    if not others:
        out.skip("the family declares only the default variant")
        return
    base = s.task(0, "medium")
    for variant in others:
        task = s.family.task(s.family.spec(0, "medium", variant=variant))
        if task.prompt == base.prompt and _template_digest(task) == _template_digest(base):
            out.fail(f"variant {variant!r} gives the same task as 'default': apply it in "
                     "generate (a paraphrase, a dialect) or drop it from variants")


INTERFACE_VARIANTS = ("dialect=mcp-public", "dialect=proc-0", "dialect=proc-1,phrasing=1",
                      "phrasing=2", "phrasing=3")
"""The dialects and phrasings ``check_interface`` poses a task through (a dialect changes
only the tool layer and a phrasing only the prompt, so one seed and level tell)."""


def check_interface(s: _Session, out: CheckOutcome) -> None:
    """Under every dialect and phrasing the criteria are the same and the reference,
    translated to the dialect, still solves the task."""
    base = s.task(0, "medium")
    if not _solved(s.run(base)):
        out.skip("not run: the reference fails without a variant (see the reference check)")
        return
    for variant in INTERFACE_VARIANTS:
        task = s.family.task(s.family.spec(0, "medium", variant=variant))
        if _signature(task) != _signature(base):
            out.fail(f"{variant}: the criteria differ from the default variant's: build "
                     "them in generate from the spec's draws only, never from the variant")
            continue
        if "phrasing" in variant and task.prompt == base.prompt:
            out.fail(f"{variant}: the prompt is the default's: do not override TaskFamily.task")
        run = s.run(task)
        if run.failed_calls or not _solved(run):
            why = run.failed_calls[0][:200] if run.failed_calls else _failing(run.grade)[:2]
            out.fail(f"{variant}: the reference does not solve it ({why}): a reference step "
                     "names a tool or argument the apps do not have, or a grader reads what "
                     "the model sees instead of the call log")


Check = Callable[[_Session, CheckOutcome], None]
_ORDER: tuple[tuple[str, Check], ...] = (
    ("declaration", check_declaration),
    ("spec-round-trip", check_spec_round_trip),
    ("determinism", check_determinism),
    ("fresh-process", check_fresh_process),
    ("schemas", check_schemas),
    ("seeds-differ", check_seeds_differ),
    ("reference", lambda s, out: None),  # run with the report, see check_family
    ("reference-length", check_reference_length),
    ("untouched", check_untouched),
    ("richness", check_richness),
    ("near-miss", check_near_miss),
    ("mcp-replay", check_mcp),
    ("adversaries", check_adversaries),
    ("variants", check_variants),
    ("interface", check_interface),
)
CHECKS: dict[str, str] = {
    "declaration": "levels as Levels, hard declaring 25+ calls, registered apps, frozen "
                   "knobs, the docstring sections",
    "spec-round-trip": "a spec that does not survive JSON",
    "determinism": "randomness outside rng_for (global random, set order): two builds differ",
    "fresh-process": "state that differs between processes (hash seeds, import order)",
    "schemas": "tool schemas that are not valid JSON Schema or lack a description",
    "seeds-differ": "a generator that ignores the seed (same world or same answer)",
    "reference": "a reference solution that fails a call or scores below 1.0",
    "reference-length": "references shorter than their level declares, or using fewer apps",
    "untouched": "outcome criteria the untouched world passes; guards failing before any act",
    "richness": "an answer or criteria that depend on richness; distractors that break the task",
    "near-miss": "a grader that accepts a wrong, missing or repeated required item",
    "mcp-replay": "a reference whose replay over MCP differs from the direct path",
    "adversaries": "criteria that the shipped adversarial policies game (> 0.05 mean dense)",
    "variants": "declared variants that change nothing",
    "interface": "a task that a dialect or a phrasing breaks, or whose criteria it changes",
}
"""Every check's name and what it catches, in the order they run."""


def check_family(
    family: TaskFamily[Any] | str,
    *,
    seeds: int = 100,
    fresh_process: bool = True,
    raise_on_failure: bool = True,
    only: Sequence[str] | None = None,
) -> FamilyCheckReport:
    """Check a family's contract (see ``CHECKS`` for the checks and what each catches).

    Args:
        family: a family, or a registered id.
        seeds: seeds per level for the reference and untouched checks (the costlier
            checks use the first few of them).
        fresh_process: also build a world in a fresh interpreter.
        raise_on_failure: raise ``FamilyCheckError`` when a check fails.
        only: run just these checks (names from ``CHECKS``).

    Raises:
        FamilyCheckError: listing every failure (unless ``raise_on_failure`` is false).
        ValueError: ``seeds`` below 1 or an unknown check name in ``only``.
    """
    fam = get_family(family) if isinstance(family, str) else family
    report = FamilyCheckReport(fam.family_id(), seeds)
    if os.environ.get(CHILD_ENV):
        # Imported by check_family's own fresh process: a module that calls check_family
        # at import time must not start another round (or another process).
        report.checks["fresh-process"] = CheckOutcome(
            "fresh-process", "skipped", ["check_family is not run inside its fresh process"])
        return report
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    unknown = sorted(set(only or ()) - set(CHECKS))
    if unknown:
        raise ValueError(f"unknown checks {unknown}; the checks are {', '.join(CHECKS)}")
    session = _Session(fam, seeds, fresh_process)
    for name, run in _ORDER:
        if only and name not in only:
            continue
        outcome = report.checks[name] = CheckOutcome(name)
        try:
            if name == "reference":
                check_reference(session, outcome, report)
            else:
                run(session, outcome)
        except Exception as exc:  # noqa: BLE001 - a crash in the family is a failed check
            outcome.fail(f"crashed: {type(exc).__name__}: {str(exc)[:300]}")
    if not report.ok and raise_on_failure:
        raise FamilyCheckError(f"{fam.family_id()} fails its checks:\n- "
                               + "\n- ".join(report.failures))
    return report

