"""The shipped adversarial policies: deterministic, generic, and able to find the holes
of issue 10 in tasks that have them (and none in tasks that do not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import workgym  # noqa: F401  (registers the apps and families)
from workgym.agent.adversarial import ADVERSARIES, adversarial_table
from workgym.apps.calendar import CalendarPerson, CalendarStore, Room
from workgym.apps.mail import MailStore
from workgym.apps.sheets import workbook_bytes
from workgym.cli import _load_commands, app
from workgym.core import (
    Criterion,
    GradeContext,
    Task,
    TaskSpec,
    WorldTemplate,
    family_ids,
)
from workgym.core._family import run_plan

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SLOT = (datetime(2026, 3, 5, 14, tzinfo=UTC), datetime(2026, 3, 5, 15, tzinfo=UTC))


def _task(name: str, prompt: str, apps: tuple[str, ...], criteria: tuple[Criterion, ...],
          files: dict[str, bytes] | None = None, stores: dict | None = None,
          artifacts: tuple[str, ...] = ()) -> Task:
    return Task(spec=TaskSpec(family=f"tests/{name}", version=1, seed=0), prompt=prompt,
                apps=apps, criteria=criteria, reference=(), artifacts=artifacts,
                template=WorldTemplate(now=NOW, files=files or {}, stores=stores or {}))


def _offsite(side_channel: bool) -> Task:
    """The shape of hole 1: the one cancelled event spans the answer slot (or not)."""
    cal = CalendarStore(owner="me@example.org", people={
        "me@example.org": CalendarPerson(name="Me"),
        "ana@example.org": CalendarPerson(name="Ana")},
        rooms=[Room(name="Fjord", address="room.fjord@example.org", capacity=8)])
    for day in range(5):
        start = datetime(2026, 3, 2 + day, 10, tzinfo=UTC)
        cal.add_event("Standup", start, start + timedelta(hours=1), "UTC", "ana@example.org")
    lo, hi = SLOT if side_channel else (SLOT[0] + timedelta(days=1), SLOT[1] + timedelta(days=1))
    cancelled = cal.add_event("Old offsite", lo, hi, "UTC", "ana@example.org")
    cancelled.status = "cancelled"

    def booked(ctx: GradeContext) -> tuple[bool, str]:
        events = ctx.world.store("calendar", CalendarStore).events[6:]
        hits = [e.id for e in events if (e.start_utc, e.end_utc) == SLOT]
        return bool(hits), f"events at the slot: {hits}"

    return _task("offsite", "Schedule the offsite with ana@example.org at the earliest free "
                 "slot, for me (me@example.org).", ("calendar", "mail"),
                 (Criterion("event at the right time", booked),), stores={"calendar": cal})


def test_enumerator_finds_a_cancelled_item_side_channel():
    leaky, sound = _offsite(side_channel=True), _offsite(side_channel=False)
    assert ADVERSARIES["enumerator"](leaky, 0).score == 1.0  # the hole is found
    assert ADVERSARIES["enumerator"](sound, 0).score == 0.0
    assert ADVERSARIES["do-nothing"](leaky, 0).score == 0.0


def _mailed_task(strict: bool) -> Task:
    """The shape of hole 5: "summary mailed to the approver" that an empty mail passes."""
    def mailed(ctx: GradeContext) -> tuple[bool, str]:
        sent = [m for m in ctx.world.store("mail", MailStore).messages if m.folder == "sent"
                and "boss@example.org" in m.recipients()]
        if strict:
            sent = [m for m in sent if ctx.line_values(m.body, "Total") == ["12.50"]]
        return bool(sent), f"{len(sent)} mail(s)"

    return _task("mailed", "Mail the total to boss@example.org as a line 'Total: <amount>'. "
                 "You are me@example.org.", ("mail",), (Criterion("mailed", mailed),),
                 stores={"mail": MailStore(address="me@example.org")})


def test_empty_passes_a_lenient_criterion_and_fails_a_strict_one():
    assert ADVERSARIES["empty"](_mailed_task(strict=False), 0).score == 1.0
    assert ADVERSARIES["empty"](_mailed_task(strict=True), 0).score == 0.0
    assert ADVERSARIES["answer-only"](_mailed_task(strict=True), 0).score == 0.0


def _lines_task(precise: bool) -> Task:
    """A line-listing artifact: lenient credit (right line present) vs precision-aware."""
    notes = "\n".join(f"Item: widget-{n}\nPrice: {n}" for n in range(20)).encode()

    def listed(ctx: GradeContext) -> tuple[bool, str]:
        lines = [line.strip() for line in ctx.read_text("out.txt").splitlines() if line.strip()]
        if precise:
            return lines == ["Item: widget-7"], f"{len(lines)} lines"
        return "Item: widget-7" in lines, f"{len(lines)} lines"

    return _task("lines", "List the most expensive cheap item in out.txt.", ("files",),
                 (Criterion("listed", listed),), files={"notes.txt": notes},
                 artifacts=("out.txt",))


def test_shotgun_beats_lenient_credit_and_not_precise_credit():
    assert ADVERSARIES["shotgun"](_lines_task(precise=False), 0).score == 1.0
    assert ADVERSARIES["shotgun"](_lines_task(precise=True), 0).score == 0.0


def _sheet_task() -> Task:
    """A grader that parses cells itself, outside the bounded readers (hole 2)."""
    wb = Workbook()
    wb.active.title = "Data"
    wb.active.append(["Name", "Amount"])
    wb.active.append(["a", 1.5])

    def summed(ctx: GradeContext) -> tuple[bool, str]:
        book = ctx.read_workbook("book.xlsx")
        cents = [round(float(v) * 100) for (r, c), v in book.sheet("Data").cells.items()
                 if r > 1 and c == 2]
        return sum(cents) == 1, f"{cents}"

    return _task("sheet", "Fix the Amount column of book.xlsx (sheet Data).",
                 ("files", "sheets"), (Criterion("amounts", summed),),
                 files={"book.xlsx": workbook_bytes(wb)}, artifacts=("book.xlsx",))


def test_grader_crasher_exposes_a_grader_that_does_not_fail_closed():
    grades = [ADVERSARIES["grader-crasher"](_sheet_task(), seed) for seed in range(8)]
    assert any(not g.valid for g in grades)  # 1e308 * 100 overflows outside the readers
    assert all(g.valid or "OverflowError" in g.errors[0] for g in grades)


@pytest.mark.parametrize("name", sorted(ADVERSARIES))
def test_every_adversary_is_deterministic_given_a_seed(name):
    task = _offsite(side_channel=False)
    first, again = (ADVERSARIES[name](task, seed) for seed in (3, 3))
    assert first == again
    if name not in ("do-nothing", "answer-only"):
        assert first.n_calls > 0


def test_adversarial_table_has_one_row_per_policy_and_level():
    family = "finance/expense-reconciliation-v1"
    if family not in family_ids():
        pytest.skip(f"{family} is not registered here")
    rows = adversarial_table(family, seeds=[0], levels=["easy"])
    assert [r.policy for r in rows] == list(ADVERSARIES)
    assert all(r.level == "easy" and r.tasks == 1 and 0 <= r.mean_dense <= 1 for r in rows)
    with pytest.raises(ValueError, match="unknown adversaries"):
        adversarial_table(family, seeds=[0], policies=["nope"])


def test_check_adversarial_prints_the_table():
    family = "finance/expense-reconciliation-v1"
    if family not in family_ids():
        pytest.skip(f"{family} is not registered here")
    _load_commands()
    result = CliRunner().invoke(app, ["check", family, "--adversarial",
                                      "--adversarial-seeds", "1"])
    assert "mean dense / binary" in result.output, result.output
    for name in ADVERSARIES:
        assert name in result.output
    assert result.exit_code in (0, 1)


@pytest.mark.slow
@pytest.mark.parametrize("family", family_ids())
def test_registered_families_defeat_every_attack(family):
    task = get_task(family)
    with run_plan(task) as ep:
        assert ep.grade().score == 1.0  # the attacks below are measured against a solver
    rows = adversarial_table(family, seeds=range(3))
    loud = [(r.policy, r.level, round(r.mean_dense, 3), r.invalid) for r in rows
            if r.mean_dense > 0.05 or r.invalid]
    assert not loud, f"{family}: attacks that pay or crash the grader: {loud}"


def get_task(family: str) -> Task:
    from workgym.core import get_family

    fam = get_family(family)
    return fam.task(fam.spec(0, "medium"))
