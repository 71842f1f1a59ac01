"""calendar/team-offsite: schedule a team session across time zones, book a room, invite.

Description:
    The agent runs the calendar and mailbox of a team lead. The department head asked for
    a team offsite session of a given length within a window of dates; attendees, their
    constraints (no mornings, must end by a time, away on a day, back from leave on a
    day), the head's own constraints (no meetings on a weekday, guests who need seats)
    and facilities' notices (a room out of service) are spread over mails, and at higher
    levels the attendee list is a csv attachment. The agent finds the earliest slot that
    starts on the hour, fits every participant's working hours (08:00-18:00, Monday to
    Friday, in their own zone), is free on every calendar and meets every constraint;
    books the smallest free room that seats everyone (ties: by name); creates the event
    with exactly the attendees; and mails each attendee an invitation with the date and
    time in their own zone. The generator checks with an independent solve over the world
    it built that the answer is unique and that ignoring any one constraint changes it.

Apps:
    calendar, mail, files (the roster attachment, medium and hard).

Criteria:
    - ``event at the right time`` (weight 2), ``exactly the right attendees``, ``the right
      room``: of the new event.
    - ``invitation to <name>`` (weight 2 shared by the attendees): at least one mail to
      the attendee with the title in the subject, and every such mail has exactly one
      ``When:`` line, the right one in the attendee's zone.
    - ``no invitations to others`` (weight 0.5): a right invitation went out, and no
      invitation to anyone but attendees.
    - guards: every event that existed is unchanged; at most one new event.

Difficulty:
    Knobs set the attendees and time zones, the window's working days, the session length,
    the constraints in the mails, the earlier candidate slots the calendars rule out
    (depth), the rooms, whether every attendee replies, whether the attendee list is a
    csv attachment and whether the window spans a daylight-saving change. Reference calls:
    easy 10, medium 15-16, hard 27-28. ``richness`` adds colleagues, everyday mails,
    rooms too small to matter, other people's events, the team's events outside the
    window, and cancelled and declined events: all placed without reference to the answer.

Version history:
    v1: first version.
    v2: distractors drawn without reference to the answer (in v1 the only cancelled event
        spanned exactly the answer slot, and busy events lay only after it); "no
        invitations to others" needs a right invitation; the cast is an org directory.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, Event
from workgym.apps.mail import Attachment, MailStore
from workgym.content.distractors import everyday_mails, scaled, times_in
from workgym.content.mailbox import Mailbox
from workgym.content.meetings import BUSY_TITLES, ROOM_NAMES, long_date
from workgym.content.people import Person
from workgym.content.prose import ACKNOWLEDGEMENTS, bullets, letter
from workgym.content.scheduling import (
    HALF,
    PERSON_RULES,
    EventDraft,
    PuzzleKnobs,
    Setup,
    Slot,
    first_puzzle,
    when_line,
    when_lines,
)
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
    WorldTemplate,
    register_family,
    rng_for,
)

ROSTER = "offsite-attendees.csv"


class Knobs(PuzzleKnobs, frozen=True):
    all_reply: bool
    """Every attendee replies to the thread, most without a constraint."""
    roster_file: bool
    """The attendee list is a csv attachment rather than the mail's body."""


def _title(setup: Setup) -> str:
    return f"{setup.team} team offsite"


@register_family
class TeamOffsite(TaskFamily[Knobs]):
    """Find the earliest slot that fits a team across time zones, book a room, invite."""

    name = "calendar/team-offsite"
    version = 2
    apps = ("calendar", "mail", "files")
    levels = Levels(
        easy=Level(Knobs(attendees=3, zones=2, weekdays=5, hours=(1, 2), rules=1, depth=2,
                         rooms=3, all_reply=False, roster_file=False, dst_switch=False),
                   calls=10, apps=2),
        medium=Level(Knobs(attendees=5, zones=3, weekdays=8, hours=(1, 2), rules=3, depth=4,
                           rooms=5, all_reply=False, roster_file=True, dst_switch=False),
                     calls=15),
        hard=Level(Knobs(attendees=9, zones=3, weekdays=10, hours=(2, 3), rules=5, depth=7,
                         rooms=7, all_reply=True, roster_file=True, dst_switch=True), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        # rng_for ignores richness: the core (and the answer) is the same at every richness
        setup, answer, room = first_puzzle(k, lambda attempt: rng_for(spec, "core", attempt))
        _distractors(setup, spec.richness, rng_for(spec, "richness"))
        store = setup.store()
        if setup.solve(store) != (answer, room):
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: distractors changed the answer")
        mail, reads = _mailbox(setup, k, spec.richness, rng_for(spec, "mail"))
        now = datetime.combine(setup.days[0] - timedelta(days=4), time(9),
                               ZoneInfo(setup.owner.timezone))
        return Task(spec=spec, prompt=_prompt(setup), apps=self.apps,
                    template=WorldTemplate(now=now, stores={"calendar": store, "mail": mail}),
                    criteria=_criteria(setup, answer, room),
                    reference=_reference(setup, k, reads, answer, room))


# -- distractors ----------------------------------------------------------------------------


def _distractors(setup: Setup, richness: float, rng: random.Random) -> None:
    """Colleagues, rooms too small to matter, and events that cannot change the answer,
    all placed without reference to it: other people's events over the whole window, the
    team's own events in the weeks around it, cancelled and declined events anywhere."""
    setup.colleagues += setup.bystanders[:scaled(richness, 4)]
    lo, hi = setup.meeting.window()
    base = len(setup.participants)
    used = {r.name for r in setup.rooms}
    for name in [n for n in ROOM_NAMES if n not in used][:scaled(richness, 3)]:
        setup.rooms.append(setup.room(name, rng.randint(2, max(2, min(4, base - 1)))))
    small = sorted(r.name for r in setup.rooms if r.capacity < base)

    def event(start: datetime, organizer: Person, **more: object) -> EventDraft:
        return EventDraft(rng.choice(BUSY_TITLES), start, start + HALF * rng.randint(1, 3),
                          organizer, **more)  # type: ignore[arg-type]

    for start in times_in(rng, lo, hi, scaled(richness, 12)):
        room = rng.choice(small) if small and rng.random() < 0.3 else None
        setup.events.append(event(start, rng.choice(setup.colleagues), room=room))
    week = timedelta(days=7)
    for start in times_in(rng, lo - week, lo, scaled(richness, 2 * base)) + times_in(
            rng, hi, hi + week, scaled(richness, base)):
        setup.events.append(event(start, rng.choice(setup.participants)))
    for start in times_in(rng, lo, hi, scaled(richness, 3)):
        invitee = Attendee(email=rng.choice(setup.participants).email, response="declined")
        setup.events.append(event(start, rng.choice(setup.colleagues), attendees=(invitee,)))
        setup.events.append(event(start, rng.choice(setup.participants), status="cancelled"))


# -- the mailbox and the prompt ------------------------------------------------------------


def _mailbox(setup: Setup, k: Knobs, richness: float,
             rng: random.Random) -> tuple[MailStore, list[str]]:
    """The mailbox, and the ids of the mails the reference reads (the request first)."""
    owner, head = setup.owner, setup.head
    box = Mailbox(owner)
    kickoff = datetime.combine(setup.days[0] - timedelta(days=7), time(10, 12),
                               ZoneInfo(owner.timezone))
    subject = f"{setup.team} team offsite"
    roster = io.StringIO()
    csv.writer(roster, lineterminator="\n").writerows(
        [["name", "email"], *([p.name, p.email] for p in setup.attendees)])
    who = (f"The attendees are in the attached list ({ROSTER})." if k.roster_file else
           "Attendees:\n" + bullets(f"{p.name} <{p.email}>" for p in setup.attendees))
    box.receive(head, subject, letter(
        owner.first, f"please schedule a {setup.hours}-hour offsite session for the {setup.team} "
        f"team, titled \"{_title(setup)}\". It has to happen between "
        f"{long_date(setup.days[0])} and {long_date(setup.days[-1])} (dates on your calendar). {who}\n\nI have asked everyone "
        "to reply to this thread with their constraints.", head.first), kickoff,
        attachments=[Attachment.from_bytes(ROSTER, roster.getvalue().encode())]
        if k.roster_file else [], key="kickoff")
    said: dict[str, list[str]] = {}
    for rule in setup.rules:
        if rule.kind in PERSON_RULES:
            said.setdefault(rule.who.email, []).append(rule.text())
    speakers = [p for p in setup.attendees if p.email in said or k.all_reply]
    rng.shuffle(speakers)
    for n, person in enumerate(speakers):
        text = " ".join(said.get(person.email, [])) or rng.choice(ACKNOWLEDGEMENTS)
        box.receive(person, f"Re: {subject}", letter(owner.first, text, person.first, None),
                    kickoff + timedelta(hours=2 + 5 * n), key=f"reply-{n}", reply_to="kickoff")
    asks = [r.text() for r in setup.rules if r.kind in ("no_weekday", "guests")]
    if asks:
        more = "two more things" if len(asks) > 1 else "one more thing"
        box.receive(head, f"Re: {subject}", f"{owner.first}, {more}:\n\n" + "\n".join(asks)
                    + f"\n\n{head.first}", kickoff + timedelta(days=1, hours=3), key="head",
                    reply_to="kickoff")
    for rule in [r for r in setup.rules if r.kind == "room_closed"]:
        box.receive(f"Facilities <facilities@{owner.email.split('@')[1]}>",
                    f"Room {rule.room} out of service",
                    f"Hello,\n\nroom {rule.room} is closed for repairs from "
                    f"{long_date(setup.days[0])} to {long_date(setup.days[-1])}. It shows as free "
                    "in the calendar, but it cannot be used; please book another room.\n\n"
                    "Facilities", kickoff + timedelta(days=2, hours=1), key="facilities")
    everyday_mails(box, rng, scaled(richness, 8), owner, [*setup.attendees, *setup.colleagues,
                                                          head], kickoff - timedelta(days=3),
                   kickoff + timedelta(days=2, hours=12))
    mail, ids = box.build()
    reads = sorted(i for key, i in ids.items()
                   if key in ("head", "facilities") or key.startswith("reply-"))
    return mail, [ids["kickoff"], *reads]


def _prompt(setup: Setup) -> str:
    owner = setup.owner
    return (
        f"You manage the calendar and the mailbox of {owner.name} ({owner.email}), who "
        f"leads the {setup.team} team. {setup.head.name} asked {owner.first} to schedule "
        "the team offsite; the request and everyone's constraints are in the mailbox.\n\n"
        "1. Find the earliest slot that works. It starts on the hour, lasts as long as "
        "requested and lies within the requested dates. It must fit every participant's "
        "working hours (08:00-18:00, Monday to Friday, in their own time zone; the "
        f"participants are the attendees and {owner.first}), be free on every "
        "participant's calendar, and meet every constraint in the mails. Each calendar "
        "reports its own time zone.\n"
        "2. Book the smallest room that is free for the whole slot and seats everyone "
        "(participants plus any guests); if two rooms are equally small, the first by name.\n"
        f"3. Create the event titled \"{_title(setup)}\", inviting exactly the attendees named "
        f"in the request (not {owner.first}, who organizes it, and not guests), in that room.\n"
        f"4. Mail each attendee an invitation with the subject \"Invitation: {_title(setup)}\" "
        "and a body holding one line of the form\n"
        "   When: YYYY-MM-DD HH:MM-HH:MM <IANA time zone>\n"
        "   with the date and time in that attendee's own time zone, for example\n"
        "   When: 2026-03-12 14:00-16:00 Europe/Berlin\n\n"
        "Do not change or cancel any other event.")


# -- grading and the reference -------------------------------------------------------------


def _new_events(ctx: GradeContext) -> list[Event]:
    """Confirmed events the agent created."""
    return [e for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]


def _criteria(setup: Setup, answer: Slot, room: str) -> tuple[Criterion, ...]:
    owner, title = setup.owner, _title(setup)
    expected = {p.email for p in setup.attendees}
    sent = wc.sent_mails()

    def target(ctx: GradeContext) -> Event:
        made = _new_events(ctx)
        if not made:
            raise GradeError("no new event on the calendar")
        return next((e for e in made if (e.start_utc, e.end_utc) == answer), made[0])

    def timing(ctx: GradeContext) -> tuple[bool, str]:
        event = target(ctx)
        return (event.start_utc, event.end_utc) == answer, (
            f"{event.id} {event.start}-{event.end}; expected {answer[0]:%Y-%m-%dT%H:%MZ}-"
            f"{answer[1]:%H:%MZ}")

    def attendees(ctx: GradeContext) -> tuple[bool, str]:
        got = {a.email.lower() for a in target(ctx).attendees} - {owner.email}
        return got == expected, f"missing {sorted(expected - got)}, extra {sorted(got - expected)}"

    def booked(ctx: GradeContext) -> tuple[bool, str]:
        event = target(ctx)
        return event.room == room, f"{event.id} books {event.room!r}, expected {room!r}"

    def right(mail: wc.Mail, person: Person) -> bool:
        want = when_lines([when_line(answer, person.timezone)])
        return title.casefold() in mail.subject.casefold() and when_lines(mail.lines()) == want

    def invited(person: Person) -> Callable[[GradeContext], tuple[bool, str]]:
        def check(ctx: GradeContext) -> tuple[bool, str]:
            mine = [m for m in sent(ctx) if person.email in m.recipients and (
                when_lines(m.lines()) or title.casefold() in m.subject.casefold())]
            bad = [m.id for m in mine if not right(m, person)]
            if not mine or bad:
                return False, (f"invitations to {person.email}: {[m.id for m in mine]}, wrong: "
                               f"{bad}; expected {when_line(answer, person.timezone)}")
            return True, f"{len(mine)} right invitation(s)"
        return check

    def only_attendees(ctx: GradeContext) -> tuple[bool, str]:
        invites = [m for m in sent(ctx) if when_lines(m.lines())]
        good = [m.id for m in invites for p in setup.attendees
                if p.email in m.recipients and right(m, p)]
        strays = sorted({a for m in invites for a in m.recipients} - expected - {owner.email})
        return bool(good) and not strays, f"right invitations {good}; to non-attendees {strays}"

    def single(ctx: GradeContext) -> tuple[bool, str]:
        made = [e.id for e in _new_events(ctx)]
        return len(made) <= 1, f"new events: {made}"

    share = 2.0 / len(setup.attendees)
    return (
        Criterion("event at the right time", timing, weight=2.0),
        Criterion("exactly the right attendees", attendees),
        Criterion("the right room", booked),
        *(Criterion(f"invitation to {p.name}", invited(p), weight=share,
                    group="invitation to an attendee") for p in setup.attendees),
        Criterion("no invitations to others", only_attendees, weight=0.5),
        wc.unchanged("other events unchanged", records=[("calendar", "events")]),
        Criterion("no stray events", single, guard=True),
    )


def _reference(setup: Setup, k: Knobs, reads: list[str], answer: Slot,
               room: str) -> tuple[ToolCall, ...]:
    zone = setup.owner.timezone

    def local(t: datetime) -> str:
        return t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")

    lo, hi = (local(t) for t in setup.meeting.window())
    calls = [ToolCall("mail.search", {"folder": "inbox", "limit": 100}),
             ToolCall("mail.read", {"message_id": reads[0]})]
    if k.roster_file:
        calls += [ToolCall("mail.save_attachment", {"message_id": reads[0], "filename": ROSTER,
                                                    "path": ROSTER}),
                  ToolCall("files.read", {"path": ROSTER})]
    calls += [ToolCall("mail.read", {"message_id": m}) for m in reads[1:]]
    calls += [ToolCall("calendar.free_busy", {"calendars": [p.email for p in setup.participants],
                                              "start": lo, "end": hi, "timezone": zone}),
              ToolCall("calendar.list_rooms", {"min_capacity": setup.seats()}),
              ToolCall("calendar.free_busy", {"calendars": [r.name for r in setup.fitting()],
                                              "start": lo, "end": hi, "timezone": zone}),
              ToolCall("calendar.create_event", {
                  "title": _title(setup), "start": local(answer[0]), "end": local(answer[1]),
                  "timezone": zone, "attendees": [p.email for p in setup.attendees],
                  "room": room}, items={"start": (), "attendees": (), "room": ()})]
    for person in setup.attendees:
        when = when_line(answer, person.timezone)
        calls.append(ToolCall("mail.send", {
            "to": [person.email], "subject": f"Invitation: {_title(setup)}",
            "body": letter(person.first, f"you are invited to the {_title(setup)}.\n\n{when}\n"
                           f"Where: room {room} (or by video)", setup.owner.first, None)},
            items={"body": (when,)}))
    return tuple(calls)
