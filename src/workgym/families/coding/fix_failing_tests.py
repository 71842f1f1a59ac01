"""coding/fix-failing-tests: fix the bugs a ticket reports, on a branch, and close the loop.

Description:
    A small Python utility package lives in a real Git repository in the workspace
    (``<package>/<module>.py``, ``tests/test_<module>.py``, README, CONTRIBUTING). Commits
    in its history slipped bugs into some functions; a ticket assigned to the agent
    reports them, each with a call, what it returns and what it should (some reports
    arrive as comments), and the visible tests fail for most of them. The agent fixes the
    code on a branch ``fix/<ticket id>`` made from main, runs the tests in the terminal,
    commits with a subject naming the ticket, moves the ticket to In Review through its
    workflow and comments ``Fixed in <commit id>``.

    Hidden tests decide whether the code is fixed: after the episode the grader writes
    the tree committed at the branch's tip (not the visible tests, not the working tree)
    into a fresh folder with its own cases, and runs them there in the terminal's
    bubblewrap sandbox (no network, the same process, memory and file limits, at most
    ``HIDDEN_CPU_S`` CPU seconds and ``HIDDEN_TIMEOUT_S`` seconds). The cases call every
    function of the package with drawn arguments; the sandboxed run only reports what the
    calls returned, and the expected values are compared outside the sandbox, so code
    that edits, skips or fakes tests earns nothing. The cases exist only in the task's
    criteria: nothing of them is in the workspace.

Apps:
    terminal, git, tickets, files.

Criteria:
    - ``fixed: <module>.<function>`` (weight 2, one per bug): every hidden case of the
      function gives what the correct code gives, and no hidden case of any function
      that the original code got right fails now (no regression).
    - ``fix committed on fix/<id>``: the branch starts at main's commit and adds commits.
    - ``commit subjects name <ID>``: each added commit's subject is ``<ID>: <summary>``.
    - ``<ID> moved to In Review``; ``<ID> comment names the fix commit``: exactly one
      ``Fixed in <id>`` line in the agent's comments, naming the branch's tip.
    - These four count only when the branch fixes at least one reported bug: bookkeeping
      around a non-fix (edited tests, an unrelated commit) earns nothing.
    - guards: main still at its commit; every other ticket unchanged and none added.

    Cost: a grade runs the hidden cases once (one sandboxed ``python3``, about 0.1 s);
    code that loops or sleeps is killed at ``HIDDEN_TIMEOUT_S``, the worst case. Without
    the branch no sandbox starts.

Difficulty:
    Knobs set the functions (4, 6, 9), the bugs (1, 2, 3), bugs reported only in
    comments, a bug no visible test catches (hard), the ticket starting in Backlog
    (hard: three transitions) and how much of the code the reference reads. Reference
    calls, at least: easy 17, medium 17, hard 25 (each module with a bug is written and
    its tests run once, so bugs that share a module take fewer calls). ``richness`` adds
    other tickets (some with comments) in the project and in an infrastructure project,
    and feature branches; the history of main, and so every commit id, stays the same.

Version history:
    v1: first version.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from workgym.apps.git import CommitSpec, GitStore, repository_files
from workgym.apps.terminal import SandboxLimits, TerminalApp, sandbox_unavailable
from workgym.apps.tickets import Ticket, TicketsStore
from workgym.content.codebase import (
    ROUTINES,
    Routine,
    call_text,
    outcome,
    render_module,
    render_tests,
)
from workgym.content.distractors import scaled
from workgym.content.people import Person, people
from workgym.content.repos import BranchWork, branch_head, branch_work, planned_commit, ref_tip
from workgym.core import (
    Criterion,
    GradeContext,
    GradeError,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    ToolError,
    World,
    WorldTemplate,
    register_family,
    rng_for,
)
from workgym.criteria import per_grade

HIDDEN_TIMEOUT_S = 15.0
"""Wall-clock limit of the hidden run."""
HIDDEN_CPU_S = 10
"""CPU seconds of the hidden run."""
MAX_TREE_FILES = 500
MAX_TREE_BYTES = 4_000_000
MAX_RESULTS_BYTES = 1_000_000
TEST_COMMAND = "python3 -B -m unittest 2>&1 | grep -v '^Ran '"
"""The suite, without the line that prints its (wall-clock) duration."""
REVIEW = "In Review"
PACKAGES = ("ledgerkit", "tallyhub", "brightline", "papertrail", "quillcore", "harborlib")
_HARNESS = """\
import importlib, json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "/workspace")
with open("/workspace/.hidden/cases.json") as handle:
    cases = json.load(handle)
results = []
for module, function, args in cases:
    try:
        results.append(["ok", getattr(importlib.import_module(module), function)(*args)])
    except Exception as exc:
        results.append(["raised", type(exc).__name__])
with open("/workspace/.hidden/results.json", "w") as handle:
    json.dump(results, handle, default=repr)
"""
_CHORES = ("Add a CSV export of the {m} helpers' results", "Document the release process",
           "Upgrade the CI image to the new Python", "Type-check the {m} module in CI",
           "Speed up the {m} test suite", "Add examples to the README", "Publish the docs site",
           "Support locale-aware output in {m}", "Drop the deprecated {m} aliases")
_INFRA = ("Rotate the deploy keys", "Renew the staging certificate",
          "Move the runners to the new cluster", "Archive last year's build logs")


class Knobs(BaseModel, frozen=True):
    functions: int
    """Functions in the package."""
    bugs: int
    """Functions with a bug the ticket reports."""
    in_comments: int
    """Bugs reported in comments on the ticket rather than its description."""
    untested: int
    """Bugs that no visible test catches (only the ticket tells)."""
    backlog: bool
    """The ticket starts in Backlog (else To Do)."""
    read_all: bool
    """The reference reads every module and test file, not only the failing ones."""
    distractors: int
    """Distractor tickets and branches at richness 1."""


@dataclass(frozen=True)
class _Bug:
    routine: Routine
    variant: int
    module: str
    report: str
    """The sentence of the ticket that reports it."""


@register_family
class FixFailingTests(TaskFamily[Knobs]):
    """Fix the bugs a ticket reports on a branch; commit, move the ticket, comment."""

    name = "coding/fix-failing-tests"
    version = 1
    apps = ("terminal", "git", "tickets", "files")
    levels = Levels(
        easy=Level(Knobs(functions=4, bugs=1, in_comments=0, untested=0, backlog=False,
                         read_all=False, distractors=4), calls=17),
        medium=Level(Knobs(functions=6, bugs=2, in_comments=1, untested=0, backlog=False,
                           read_all=False, distractors=7), calls=17),
        hard=Level(Knobs(functions=9, bugs=3, in_comments=1, untested=1, backlog=True,
                         read_all=True, distractors=10), calls=25),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: richness never reaches it
        package = rng.choice(PACKAGES)
        key = package[:4].upper()
        me, lead, dev, reporter, colleague = people(rng, 5, domain=f"{package}.example")
        now = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=rng.randrange(300),
                                                              hours=rng.randrange(8))
        names = sorted(rng.sample(sorted(ROUTINES), k.functions),
                       key=lambda n: (ROUTINES[n].theme, n))
        modules: dict[str, list[Routine]] = {}
        for name in names:
            modules.setdefault(ROUTINES[name].theme, []).append(ROUTINES[name])
        buggy = rng.sample(names, k.bugs)
        variants = {n: rng.randrange(len(ROUTINES[n].bugs)) for n in buggy}
        drawn: dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}
        for name in names:  # (cases the bug shows in, cases it does not)
            r, bug = ROUTINES[name], variants.get(name)
            pool = _draws(rng, r, 600 if bug is not None else 40)
            drawn[name] = ([a for a in pool if bug is not None
                            and outcome(r, None, a) != outcome(r, bug, a)][:4],
                           [a for a in pool if bug is None
                            or outcome(r, None, a) == outcome(r, bug, a)][:9])
            if bug is not None and len(drawn[name][0]) < 4 or len(drawn[name][1]) < 3:
                raise ValueError(f"routine {name} draws too few cases; widen its draw")
        untested = set(rng.sample(buggy, k.untested))

        visible: dict[str, list[tuple[Routine, tuple[Any, ...]]]] = {m: [] for m in modules}
        hidden: list[tuple[str, Routine, tuple[Any, ...]]] = []
        bugs: list[_Bug] = []
        for name in names:
            r, bug = ROUTINES[name], variants.get(name)
            revealing, plain = drawn[name]
            shown = plain[:3] + (revealing[1:2] if bug is not None and name not in untested
                                 else [])
            visible[r.theme] += [(r, a) for a in shown]
            hidden += [(r.theme, r, a) for a in [*shown, *plain[3:], *revealing[2:]]]
            if bug is not None:
                example = next((a for a in revealing if json.loads(outcome(r, None, a))[0]
                                == "ok"), revealing[0])
                bugs.append(_Bug(r, bug, r.theme, _report(r, bug, example)))
        ticket_id = f"{key}-{rng.randint(3, 7)}"
        title = _title(bugs, bugs[k.in_comments])
        branch = f"fix/{ticket_id.lower()}"

        history = _history(rng, package, key, modules, visible, variants, bugs,
                           (lead, dev, colleague), now)
        fixed = {f"{package}/{m}.py": render_module(package, m, [(r, None) for r in rs])
                 for m, rs in modules.items() if any(r.name in variants for r in rs)}
        message = f"{ticket_id}: fix {', '.join(sorted(b.routine.name for b in bugs))}"
        author = f"{me.name} <{me.email}>"
        fix = CommitSpec(message, dict(fixed), now, author=author, branch=branch)
        tip = planned_commit(history, fix, author=author)
        base = ref_tip(repository_files(history, author=author), "main")

        rich = rng_for(spec, "distractors")
        count = scaled(spec.richness, k.distractors)
        history += _branches(rich, count // 2, package, modules, (lead, dev, colleague), now)
        files = repository_files(history, author=author)
        store = self._tracker(rng, rich, count - count // 2, k, key, package, ticket_id, title,
                              bugs, sorted(modules), (me, lead, dev, reporter, colleague), now)

        cases = [(f"{package}.{m}", r.name, list(a)) for m, r, a in hidden]
        expected = [outcome(r, None, a) for _, r, a in hidden]
        original = [outcome(r, variants.get(r.name), a) for _, r, a in hidden]
        run = per_grade(_hidden_run(branch, base, cases))
        fixes = [_fixed(run, [i for i, c in enumerate(cases) if c[1] == b.routine.name],
                        expected, original, cases) for b in bugs]
        checks = [Criterion(f"fixed: {b.module}.{b.routine.name}", fix, weight=2,
                            group="bug fixed") for b, fix in zip(bugs, fixes, strict=True)]

        def some_fix(ctx: GradeContext) -> None:
            """Bookkeeping counts only for a branch that fixes a reported bug."""
            if not any(fix(ctx)[0] for fix in fixes):
                raise GradeError(f"{branch} fixes none of the reported bugs")

        checks += self._process(ticket_id, branch, base, store, some_fix)

        plan = self._plan(k, package, key, ticket_id, branch, modules, fixed, bugs, message,
                          tip)
        prompt = (
            f"You are {me.name} ({me.email}), a developer on {package}; its Git repository "
            f"is checked out in the workspace, on main. Ticket {ticket_id} in the tracker is "
            f"assigned to you: \"{title}\". Fix the code so that every problem the ticket "
            "reports (in its description and its comments) is solved, without changing "
            "what the code does otherwise. The test suite runs with `python3 -m unittest` "
            "in the terminal; the fix is also checked with further tests of the project's "
            "own, so changing or deleting tests does not count as a fix.\n\n"
            f"- Work on a new branch named {branch}, made from main; leave main as it is.\n"
            f"- Commit the fix there; every commit's subject line starts with "
            f"\"{ticket_id}: \".\n"
            f"- When the fix is committed, move {ticket_id} to {REVIEW} (through the states "
            "its workflow allows) and comment on it with the line \"Fixed in <commit id>\", "
            "naming the branch's latest commit (at least 7 characters of its id).")
        return Task(spec=spec, prompt=prompt, apps=self.apps, criteria=tuple(checks),
                    template=WorldTemplate(now=now, files=files, stores={
                        "git": GitStore(author=author), "tickets": store}),
                    reference=tuple(plan), artifacts=tuple(sorted(fixed)))

    # -- the world ------------------------------------------------------------------------

    def _tracker(self, rng: random.Random, rich: random.Random, count: int, k: Knobs, key: str,
                 package: str, ticket_id: str, title: str, bugs: list[_Bug],
                 modules: list[str], team: tuple[Person, ...], now: datetime) -> TicketsStore:
        """The tracker. Other tickets name any module of the package (never the buggy
        ones in particular: nothing around the ticket may point at the answer)."""
        me, lead, dev, reporter, colleague = team
        store = TicketsStore(me=me.email)
        for p in team:
            store.add_user(p.email, p.name)
        store.add_project(key, f"{package} library", [p.email for p in team],
                          description=f"Bugs and work on the {package} package.")
        number = int(ticket_id.split("-")[1])
        for n in range(1, number):  # the project's earlier, finished work
            made = now - timedelta(days=60 - 6 * n, hours=rng.randrange(8))
            chore = rng.choice(_CHORES).format(m=rng.choice(modules))
            old = store.add_ticket(key, chore, made, state="Done", priority="low",
                                   assignee=rng.choice(team).email, reporter=lead.email)
            old.history[0].new = "Done"
        reported = now - timedelta(days=rng.randint(1, 3), hours=rng.randrange(1, 6))
        in_description = bugs[k.in_comments:]
        body = ("Reported by the support team. " + " ".join(b.report for b in in_description)
                + f"\n\nSeen in {package} on main.")
        store.add_ticket(key, title, reported, description=body,
                         state="Backlog" if k.backlog else "To Do", priority="high",
                         assignee=me.email, reporter=reporter.email, labels=["bug"])
        for n, b in enumerate(bugs[:k.in_comments], 1):
            store.add_comment(ticket_id, colleague.email, f"Another one, probably related: "
                              f"{b.report}", reported + timedelta(hours=n))
        if k.backlog:
            store.add_comment(ticket_id, lead.email, "Triaged: please take this one this "
                              "week.", reported + timedelta(hours=5))
        # distractors: later tickets of this project, and an infrastructure project
        store.add_user("ops@" + f"{package}.example", "Ops bot")
        store.add_project("OPS", "Infrastructure", [lead.email, dev.email])
        for n in range(count):
            made = reported + timedelta(hours=6 + 3 * n)
            if rich.random() < 0.3:
                store.add_ticket("OPS", rich.choice(_INFRA), made, state=rich.choice(
                    ("Backlog", "To Do", "Done")), reporter=lead.email)
                continue
            chore = rich.choice(_CHORES).format(m=rich.choice(modules))
            t = store.add_ticket(key, chore, made, state=rich.choice(
                ("Backlog", "To Do", "In Progress", "Done")), priority=rich.choice(
                ("low", "medium", "high")), assignee=rich.choice(team).email,
                reporter=rich.choice(team).email, labels=[rich.choice(("chore", "docs", "ci"))])
            if rich.random() < 0.5:
                store.add_comment(t.id, rich.choice(team).email, "I can pick this up after "
                                  "the release.", made + timedelta(hours=1))
        return store

    # -- the reference --------------------------------------------------------------------

    def _plan(self, k: Knobs, package: str, key: str, ticket_id: str, branch: str,
              modules: dict[str, list[Routine]], fixed: dict[str, str], bugs: list[_Bug],
              message: str, tip: str) -> list[ToolCall]:
        plan = [ToolCall("tickets.get", {"ticket_id": ticket_id})]
        if k.backlog:
            plan.append(ToolCall("tickets.get_project", {"project": key}))
        plan += [ToolCall("files.read", {"path": "CONTRIBUTING.md"}),
                 ToolCall("git.status"), ToolCall("git.log", {"limit": 20}),
                 ToolCall("terminal.run", {"command": TEST_COMMAND})]
        wanted = sorted(modules) if k.read_all else sorted({b.module for b in bugs})
        plan += [ToolCall("files.read", {"path": f"{package}/{m}.py"}) for m in wanted]
        plan += [ToolCall("files.read", {"path": f"tests/test_{m}.py"}) for m in wanted]
        plan.append(ToolCall("git.checkout", {"target": branch, "create": True},
                             items={"target": ()}))
        for path, text in fixed.items():
            module = path.rsplit("/", 1)[1][:-3]
            plan += [ToolCall("files.write", {"path": path, "content": text}),
                     ToolCall("terminal.run", {"command": f"python3 -B -m unittest "
                                                          f"tests.test_{module} 2>&1 | grep -v "
                                                          "'^Ran '"})]
        plan += [ToolCall("terminal.run", {"command": TEST_COMMAND}), ToolCall("git.diff"),
                 ToolCall("git.add", {"paths": sorted(fixed)}),
                 ToolCall("git.commit", {"message": message}, items={"message": ()})]
        states = (["To Do"] if k.backlog else []) + ["In Progress"]
        plan += [ToolCall("tickets.transition", {"ticket_id": ticket_id, "state": s})
                 for s in states]
        plan += [ToolCall("tickets.transition", {"ticket_id": ticket_id, "state": REVIEW},
                          items={"state": ()}),
                 ToolCall("tickets.comment", {"ticket_id": ticket_id,
                                              "body": f"Fixed in {tip[:10]}"},
                          items={"body": ()})]
        return plan

    # -- grading --------------------------------------------------------------------------

    def _process(self, ticket_id: str, branch: str, base: str, store: TicketsStore,
                 some_fix: Callable[[GradeContext], None]) -> list[Criterion]:
        def tip(ctx: GradeContext) -> BranchWork:
            found = branch_work(ctx.world, branch, base)
            some_fix(ctx)
            return found

        work = per_grade(tip)
        others = {t.id: t.model_dump(mode="json") for t in store.tickets if t.id != ticket_id}

        def committed(ctx: GradeContext) -> tuple[bool, str]:
            found = work(ctx)
            return True, f"{len(found.commits)} commit(s) on {branch}, tip {found.tip[:7]}"

        def subjects(ctx: GradeContext) -> tuple[bool, str]:
            bad = [s for s in work(ctx).subjects()
                   if not s.startswith(f"{ticket_id}: ") or not s[len(ticket_id) + 2:].strip()]
            return not bad, f"subjects without '{ticket_id}: ': {bad[:3]}" if bad else \
                "every subject names the ticket"

        def moved(ctx: GradeContext) -> tuple[bool, str]:
            work(ctx)
            state = _ticket(ctx, ticket_id).state
            return state == REVIEW, f"{ticket_id} is in {state!r}"

        def comment(ctx: GradeContext) -> tuple[bool, str]:
            ticket, tip = _ticket(ctx, ticket_id), work(ctx).tip
            me, before = _store(ctx).me, _initial_comments(ctx, ticket_id)
            lines = [line.strip() for c in ticket.comments if c.author == me
                     and c.id not in before
                     for line in ctx.text(c.body, "a comment").split("\n")
                     if line.strip().startswith("Fixed in")]
            if len(lines) != 1:
                return False, f"{len(lines)} 'Fixed in' lines in your comments; one is asked"
            named = lines[0][len("Fixed in"):].strip().rstrip(".").lower()
            good = 7 <= len(named) <= 40 and tip.startswith(named)
            return good, f"names {named!r}; the branch's tip is {tip[:10]}"

        def main_kept(ctx: GradeContext) -> tuple[bool, str]:
            try:
                now = branch_head(ctx.world, "main")
            except GradeError as exc:
                return False, str(exc)
            return now == base, f"main is at {now[:7]}" + ("" if now == base else
                                                           f", not {base[:7]}")

        def tickets_kept(ctx: GradeContext) -> tuple[bool, str]:
            now = {t.id: t.model_dump(mode="json") for t in _store(ctx).tickets
                   if t.id != ticket_id}
            changed = sorted(i for i in set(now) | set(others) if now.get(i) != others.get(i))
            return not changed, f"changed or added: {changed[:4]}" if changed else "unchanged"

        return [Criterion(f"fix committed on {branch}", committed),
                Criterion(f"commit subjects name {ticket_id}", subjects),
                Criterion(f"{ticket_id} moved to {REVIEW}", moved),
                Criterion(f"{ticket_id} comment names the fix commit", comment),
                Criterion("main unchanged", main_kept, guard=True),
                Criterion("other tickets unchanged", tickets_kept, guard=True)]


# -- helpers ----------------------------------------------------------------------------------


def _draws(rng: random.Random, routine: Routine, count: int) -> list[tuple[Any, ...]]:
    seen: dict[str, tuple[Any, ...]] = {}
    for _ in range(count):
        args = routine.draw(rng)
        seen.setdefault(json.dumps(args), args)
    return list(seen.values())


def _report(routine: Routine, bug: int, args: tuple[Any, ...]) -> str:
    call = call_text(routine.name, args)
    want, got = json.loads(outcome(routine, None, args)), json.loads(outcome(routine, bug, args))
    said = (f"raises {got[1]}" if got[0] == "raised" else f"returns {got[1]!r}")
    should = (f"raise {want[1]}" if want[0] == "raised" else f"return {want[1]!r}")
    return f"While {routine.context}: {call} {said}; it should {should}."


def _title(bugs: list[_Bug], first: _Bug) -> str:
    """The ticket's title: the first problem its description reports."""
    more = " (and more)" if len(bugs) > 1 else ""
    return f"{first.routine.name} gives wrong results{more}"


def _history(rng: random.Random, package: str, key: str, modules: dict[str, list[Routine]],
             visible: dict[str, list[tuple[Routine, tuple[Any, ...]]]],
             variants: dict[str, int], bugs: list[_Bug], team: tuple[Person, ...],
             now: datetime) -> list[CommitSpec]:
    """Main's history: the layout, each module with its tests (correct), then the commits
    that slipped each bug in, oldest first."""
    start = now - timedelta(days=40 + rng.randrange(20))
    lead = f"{team[0].name} <{team[0].email}>"
    readme = (f"# {package}\n\nSmall helpers shared by our services: "
              + ", ".join(sorted(modules)) + ".\n\nRun the tests with `python3 -m unittest`.\n")
    contributing = (
        f"# Contributing to {package}\n\n- Tickets live in the {key} project of the tracker.\n"
        "- Fixes go on a branch named `fix/<ticket id in lower case>`, made from main.\n"
        "- Every commit subject starts with the ticket id and a colon, e.g. "
        f"`{key}-1: fix the parser`.\n- Run `python3 -m unittest` before you commit.\n"
        "- When the fix is committed, move the ticket to In Review and comment "
        "`Fixed in <commit id>`.\n")
    layout = {"README.md": readme, "CONTRIBUTING.md": contributing,
              ".gitignore": "__pycache__/\n*.pyc\n",
              "pyproject.toml": f'[project]\nname = "{package}"\nversion = "0.4.0"\n'
                                'requires-python = ">=3.10"\n',
              f"{package}/__init__.py": f'"""{package}: shared helpers."""\n',
              "tests/__init__.py": ""}
    commits = [CommitSpec("Initial project layout", layout, start, author=lead)]
    when = start
    for theme, routines in modules.items():
        when += timedelta(days=rng.randint(1, 4), hours=rng.randrange(6))
        body = {f"{package}/{theme}.py": render_module(package, theme,
                                                       [(r, None) for r in routines]),
                f"tests/test_{theme}.py": render_tests(package, theme, visible[theme])}
        commits.append(CommitSpec(f"Add the {theme} helpers with tests", body, when,
                                  author=f"{(p := rng.choice(team)).name} <{p.email}>"))
    current = {n: None for n in ROUTINES}
    for b in sorted(bugs, key=lambda b: rng.random()):
        when += timedelta(days=rng.randint(1, 5), hours=rng.randrange(6))
        current[b.routine.name] = variants[b.routine.name]  # type: ignore[assignment]
        body = {f"{package}/{b.module}.py": render_module(
            package, b.module, [(r, current[r.name]) for r in modules[b.module]])}
        verb = rng.choice(("Simplify", "Tidy up", "Speed up", "Refactor"))
        commits.append(CommitSpec(f"{verb} {b.routine.name}", body, when,
                                  author=f"{(p := rng.choice(team)).name} <{p.email}>"))
    return commits


def _branches(rng: random.Random, count: int, package: str, modules: dict[str, list[Routine]],
              team: tuple[Person, ...], now: datetime) -> list[CommitSpec]:
    """Feature branches off main's tip (distractors: main's history is not touched)."""
    out = []
    topics = rng.sample(("csv-export", "docs-site", "ci-cache", "type-hints", "locale",
                         "changelog"), min(count, 6))
    for n, topic in enumerate(topics):
        who = rng.choice(team)
        out.append(CommitSpec(f"Start {topic.replace('-', ' ')}", {
            f"docs/{topic}.md": f"# {topic}\n\nNotes on {topic.replace('-', ' ')} for "
                                f"{package} ({rng.choice(sorted(modules))}).\n"},
            now - timedelta(hours=20 - n), author=f"{who.name} <{who.email}>",
            branch=f"feature/{topic}"))
    return out


def _store(ctx: GradeContext) -> TicketsStore:
    store = ctx.world.stores.get("tickets")
    if not isinstance(store, TicketsStore):
        raise GradeError("the tracker is gone")
    return store


def _ticket(ctx: GradeContext, ticket_id: str) -> Ticket:
    found = _store(ctx).ticket(ticket_id)
    if found is None:
        raise GradeError(f"ticket {ticket_id} is gone")
    return found


def _initial_comments(ctx: GradeContext, ticket_id: str) -> set[str]:
    dump = json.loads(ctx.initial.stores["tickets"])
    return {c["id"] for t in dump["tickets"] if t["id"] == ticket_id for c in t["comments"]}


class _HiddenRun(TerminalApp):
    """The terminal's sandbox with a tighter CPU budget (not registered: no ``name``)."""

    limits: ClassVar[SandboxLimits] = SandboxLimits(cpu_s=HIDDEN_CPU_S)


def _hidden_run(branch: str, base: str, cases: list[tuple[str, str, list[Any]]]
                ) -> Callable[[GradeContext], list[str]]:
    """A reader: the outcome of every hidden case on the branch's committed tree, each as
    canonical JSON, run in a fresh sandbox of its own."""
    payload = json.dumps(cases).encode()

    def read(ctx: GradeContext) -> list[str]:
        work: BranchWork = branch_work(ctx.world, branch, base)
        kept = {p: d for p, d in work.tree.items()
                if p.split("/", 1)[0] not in ("tests", ".hidden")}
        if len(kept) > MAX_TREE_FILES or sum(map(len, kept.values())) > MAX_TREE_BYTES:
            raise GradeError(f"the branch holds more than {MAX_TREE_FILES} files or "
                             f"{MAX_TREE_BYTES} bytes outside tests/; the hidden run skips it")
        reason = sandbox_unavailable()
        if reason is not None:  # not the agent's doing: the grade must not count
            raise RuntimeError(f"the hidden tests need the terminal's sandbox: {reason}")
        folder = Path(tempfile.mkdtemp(prefix="workgym-hidden-"))
        world = World(folder, ctx.world.now, owns_workspace=True)
        try:
            try:
                for path, data in kept.items():
                    world.write_file(path, data)
            except ToolError as exc:
                raise GradeError(f"the committed tree cannot be copied: {exc}") from None
            world.write_file(".hidden/run.py", _HARNESS.encode())
            world.write_file(".hidden/cases.json", payload)
            done = _HiddenRun(world).run(command="python3 -I -B .hidden/run.py",
                                         timeout_s=HIDDEN_TIMEOUT_S)
            try:
                raw = world.read_file(".hidden/results.json", MAX_RESULTS_BYTES)
            except ToolError as exc:
                detail = "timed out" if done["timed_out"] else \
                    f"exit {done['exit_code']}: {done['stderr'][-300:]}"
                raise GradeError(f"the hidden tests did not finish ({detail}; {exc})") from None
        finally:
            world.cleanup()
        with ctx.agent_content("the hidden run's results"):
            results = json.loads(raw.decode("utf-8"))
            if not isinstance(results, list) or len(results) != len(cases):
                raise ValueError("not one result per case")
            return [json.dumps([r[0], r[1]], sort_keys=True) for r in results]

    return read


def _fixed(run: Callable[[GradeContext], list[str]], mine: list[int], expected: list[str],
           original: list[str], cases: list[tuple[str, str, list[Any]]]
           ) -> Callable[[GradeContext], tuple[bool, str]]:
    def check(ctx: GradeContext) -> tuple[bool, str]:
        got = run(ctx)
        wrong = [i for i in mine if got[i] != expected[i]]
        if wrong:
            i = wrong[0]
            return False, (f"{len(wrong)} of {len(mine)} hidden case(s) fail, e.g. "
                           f"{call_text(cases[i][1], cases[i][2])}: {got[i][:120]}, expected "
                           f"{expected[i][:120]}")
        broken = [i for i in range(len(cases))
                  if original[i] == expected[i] and got[i] != expected[i]]
        if broken:
            i = broken[0]
            return False, (f"fixed, but {len(broken)} case(s) that passed before fail now, "
                           f"e.g. {call_text(cases[i][1], cases[i][2])}")
        return True, f"all {len(mine)} hidden case(s) pass, no regression"

    return check
