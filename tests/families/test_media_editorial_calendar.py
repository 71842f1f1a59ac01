"""media/editorial-calendar: the contract, then the family's own wrong-answer tests."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import docx
import pytest
from family_checks import assert_meets_contract, assert_reference_solves, grade_plan, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.calendar import CalendarStore
from workgym.apps.chat import ChatStore
from workgym.apps.wiki import WikiStore
from workgym.core import Task, ToolCall
from workgym.families.media.editorial_calendar import ARCHIVE, EditorialCalendar

FAMILY = "media/editorial-calendar-v1"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _brief_call(task: Task) -> ToolCall:
    return next(c for c in task.reference if c.name == "docs.insert_paragraphs")


def _with_brief(task: Task, lines: list[str]) -> list[ToolCall]:
    call = _brief_call(task)
    return [c for c in task.reference if c is not call] + [
        ToolCall(call.name, {**call.args, "paragraphs": lines})]


# -- an independent reading of the world, as an agent would do it ---------------------------


def _table(body: str, columns: int) -> list[list[str]]:
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == columns and not set(cells[0]) <= {"-"}:
            rows.append(cells)
    return rows


def _pitches(chat: ChatStore) -> list[dict[str, str]]:
    found = []
    for message in chat.messages_in("pitches"):
        if not message.text.startswith("Pitch: "):
            continue
        fields = dict(line.split(": ", 1) for line in message.text.splitlines()[:4])
        for reply in chat.replies_to(message.id):
            if reply.text.startswith("Update on this pitch: "):
                key, _, value = reply.text.removeprefix("Update on this pitch: ").partition(": ")
                fields[key] = value.split(" (")[0]
        found.append(fields)
    return found


def _solve(task: Task) -> list[list[str]]:
    """Every plan (as brief lines) the world's rules allow, up to two."""
    stores = task.template.stores
    wiki, chat, cal = stores["wiki"], stores["chat"], stores["calendar"]
    assert isinstance(wiki, WikiStore) and isinstance(chat, ChatStore)
    assert isinstance(cal, CalendarStore)
    guide = wiki.page("Editorial guidelines")
    roster = wiki.page("Desk roster")
    assert guide is not None and roster is not None
    beats = {b.strip(): desk for desk, bs in _table(guide.body, 2) if desk != "desk"
             for b in bs.split(",")}
    slots = {WEEKDAYS.index(day): (desk, hour) for day, desk, hour in _table(guide.body, 3)
             if day in WEEKDAYS}
    editors = {email: (name, desk, int(cap)) for name, email, desk, cap in
               _table(roster.body, 4) if email != "email"}
    archive = docx.Document(io.BytesIO(task.template.files[ARCHIVE])).tables[0]
    published = {row.cells[1].text for row in archive.rows[1:]}
    now = task.template.now
    first = (now.replace(day=28) + timedelta(days=4)).date().replace(day=1)
    end = (datetime(first.year, first.month, 28, tzinfo=UTC) + timedelta(days=4)).replace(day=1)
    owner = cal.owner
    booked = {e.start_utc: e.attendees[0].email for e in cal.events
              if e.status == "confirmed" and e.organizer == owner and e.title.startswith("Publish")}
    away = [(e.organizer, e.start_utc, e.end_utc) for e in cal.events
            if e.status == "confirmed" and (e.title.startswith("Conference")
                                            or "leave" in e.title.lower())]
    used = {email: sum(1 for who in booked.values() if who == email) for email in editors}

    stories = []
    for p in _pitches(chat):
        embargo = None if p["Embargo"] == "none" else datetime.strptime(
            p["Embargo"], "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
        run_by = None if p["Run by"] == "none" else date.fromisoformat(p["Run by"])
        if p["Beat"] not in beats or p["Pitch"] in published or (
                embargo is not None and embargo >= end):
            continue
        stories.append((p["Pitch"], beats[p["Beat"]], embargo, run_by))

    def options(title: str, desk: str, embargo: datetime | None,
                run_by: date | None) -> list[tuple[datetime, str]]:
        found = []
        day = datetime(first.year, first.month, 1, tzinfo=UTC)
        while day < end:
            slot = slots.get(day.weekday())
            if slot is not None and slot[0] == desk:
                at = day.replace(hour=int(slot[1][:2]), minute=int(slot[1][3:]))
                if at not in booked and (embargo is None or at >= embargo) and (
                        run_by is None or at.date() <= run_by):
                    for email, (_, their, _) in editors.items():
                        if their == desk and not any(
                                who == email and lo < day + timedelta(days=1) and hi > day
                                for who, lo, hi in away):
                            found.append((at, email))
            day += timedelta(days=1)
        return found

    choices = [options(*s) for s in stories]
    plans: list[list[str]] = []
    chosen: list[tuple[datetime, str]] = []

    def search(n: int) -> None:
        if len(plans) >= 2:
            return
        if n == len(stories):
            plans.append(sorted(f"{at.date()} | {stories[i][0]} | {editors[who][0]}"
                                for i, (at, who) in enumerate(chosen)))
            return
        for at, who in choices[n]:
            if any(at == a for a, _ in chosen):
                continue
            if used[who] + sum(1 for _, w in chosen if w == who) >= editors[who][2]:
                continue
            chosen.append((at, who))
            search(n + 1)
            chosen.pop()

    search(0)
    return plans


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.slow
def test_media_editorial_calendar_meets_the_contract() -> None:
    assert_meets_contract(EditorialCalendar())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_world_read_as_written_allows_exactly_the_reference_plan(difficulty: str) -> None:
    for seed in range(2):
        for richness in (0.0, 1.0):
            task = make_task(FAMILY, seed, difficulty, richness)
            plans = _solve(task)
            assert len(plans) == 1, f"seed {seed} richness {richness}: {len(plans)} plans"
            assert plans[0] == sorted(_brief_call(task).args["paragraphs"])


def test_the_reference_scores_full_marks() -> None:
    assert_reference_solves(make_task(FAMILY, 5, "hard", 1.0), calls_ok=False)


def test_accepting_every_pitch_scores_nothing() -> None:
    task = make_task(FAMILY, 1, "hard")
    chat = task.template.stores["chat"]
    assert isinstance(chat, ChatStore)
    planned = {line.split(" | ")[1] for line in _brief_call(task).args["paragraphs"]}
    declined = [p["Pitch"] for p in _pitches(chat) if p["Pitch"] not in planned]
    assert declined
    day, _, editor = _brief_call(task).args["paragraphs"][0].split(" | ")
    extra = [f"{day} | {title} | {editor}" for title in declined]
    grade = grade_plan(task, _with_brief(task, [*_brief_call(task).args["paragraphs"], *extra]),
                       calls_ok=False)
    assert grade.score == 0.0
    assert "no declined pitch planned" in {c.name for c in grade.criteria if not c.passed}


def test_a_declined_pitch_booked_in_the_calendar_scores_nothing() -> None:
    task = make_task(FAMILY, 2, "medium")
    chat = task.template.stores["chat"]
    assert isinstance(chat, ChatStore)
    planned = {line.split(" | ")[1] for line in _brief_call(task).args["paragraphs"]}
    title = next(p["Pitch"] for p in _pitches(chat) if p["Pitch"] not in planned)
    event = next(c for c in task.reference if c.name == "calendar.create_event")
    grade = grade_plan(task, [*task.reference, ToolCall(event.name, {
        **event.args, "title": f"Publish: {title}", "start": "2027-01-04T07:00",
        "end": "2027-01-04T07:30"})], calls_ok=False)
    assert grade.score == 0.0


def test_listing_every_pitch_with_every_editor_scores_nothing() -> None:
    task = make_task(FAMILY, 3, "medium")
    chat, wiki = task.template.stores["chat"], task.template.stores["wiki"]
    assert isinstance(chat, ChatStore) and isinstance(wiki, WikiStore)
    roster = wiki.page("Desk roster")
    assert roster is not None
    names = [name for name, *_ in _table(roster.body, 4) if name != "editor"]
    day = _brief_call(task).args["paragraphs"][0].split(" | ")[0]
    lines = [f"{day} | {p['Pitch']} | {name}" for p in _pitches(chat) for name in names]
    assert grade_plan(task, _with_brief(task, lines), calls_ok=False).score == 0.0


def test_a_wrong_editor_or_a_missing_slot_costs_credit() -> None:
    task = make_task(FAMILY, 4, "hard")
    lines = list(_brief_call(task).args["paragraphs"])
    day, title, editor = lines[0].split(" | ")
    other = next(line.split(" | ")[2] for line in lines if line.split(" | ")[2] != editor)
    lines[0] = f"{day} | {title} | {other}"
    grade = grade_plan(task, _with_brief(task, lines), calls_ok=False)
    assert not grade.passed and 0.0 < grade.score < 1.0
    assert f"brief {title}" in {c.name for c in grade.criteria if not c.passed}
    skipped = next(c for c in task.reference if c.name == "calendar.create_event")
    grade = grade_plan(task, [c for c in task.reference if c is not skipped], calls_ok=False)
    assert not grade.passed and 0.0 < grade.score < 1.0


def test_changing_an_existing_slot_zeroes_the_score() -> None:
    task = make_task(FAMILY, 0, "easy")
    cal = task.template.stores["calendar"]
    assert isinstance(cal, CalendarStore)
    event = next(e for e in cal.events if e.title.startswith("Publish"))
    grade = grade_plan(task, [*task.reference, ToolCall("calendar.cancel_event",
                                                    {"event_id": event.id})], calls_ok=False)
    assert grade.score == 0.0


def test_nothing_about_a_pitch_tells_whether_it_is_accepted() -> None:
    """Accepted and declined pitches come in any order, carry embargoes and run-by dates
    alike, get corrections in their threads alike, and the first pitch posted is
    sometimes one of each."""
    firsts, corrected, embargoed = set(), set(), {True: 0, False: 0}
    for seed in range(8):
        task = make_task(FAMILY, seed, "hard", 0.0)
        chat = task.template.stores["chat"]
        assert isinstance(chat, ChatStore)
        planned = {line.split(" | ")[1] for line in _brief_call(task).args["paragraphs"]}
        pitches = _pitches(chat)
        firsts.add(pitches[0]["Pitch"] in planned)
        for message in chat.messages_in("pitches"):
            if any(r.text.startswith("Update") for r in chat.replies_to(message.id)):
                corrected.add(message.text.splitlines()[0].removeprefix("Pitch: ") in planned)
        for p in pitches:
            embargoed[p["Pitch"] in planned] += p["Embargo"] != "none"
    assert firsts == {True, False} and corrected == {True, False}
    assert embargoed[True] > 0 and embargoed[False] > 0


def test_ignoring_thread_updates_is_not_safe() -> None:
    """Some hard tasks change their answer when a pitch's correction in its thread is
    ignored: the solver that reads only the posts finds another or no plan."""
    changed = 0
    for seed in range(8):
        task = make_task(FAMILY, seed, "hard", 0.0)
        chat = task.template.stores["chat"]
        assert isinstance(chat, ChatStore)
        kept = chat.model_copy(deep=True)
        kept.messages = [m for m in kept.messages if m.thread is None]
        blind = Task(spec=task.spec, prompt=task.prompt, apps=task.apps,
                     template=replace(task.template, stores={
                         **task.template.stores, "chat": kept}),
                     criteria=task.criteria, reference=task.reference)
        changed += _solve(blind) != _solve(task)
    assert changed > 0
