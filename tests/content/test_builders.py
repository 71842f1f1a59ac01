"""World builders shared by every family: mailbox, directory, companies, prose,
distractors and the scheduling puzzle."""

import random
from datetime import UTC, datetime, timedelta

import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.mail import Attachment
from workgym.content.companies import companies, products
from workgym.content.distractors import everyday_mails, everyday_notes, scaled, times_in
from workgym.content.mailbox import Mailbox, sender
from workgym.content.people import OFFICES, directory, people, relocate
from workgym.content.prose import bullets, letter, plural
from workgym.content.scheduling import PuzzleKnobs, first_puzzle, when_line, when_lines

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_the_mailbox_files_by_date_so_ids_follow_arrival():
    me, boss = people(random.Random(1), 2)
    box = Mailbox(me)
    box.receive(boss, "later", "b", T0 + timedelta(hours=2), key="late")
    box.receive("Shop <shop@example.com>", "first", "a", T0, key="early",
                attachments=[Attachment.from_bytes("r.csv", b"x,y\n")])
    box.receive(boss, "Re: first", "c", T0 + timedelta(hours=3), reply_to="early")
    store, ids = box.build()
    assert [m.subject for m in store.messages] == ["first", "later", "Re: first"]
    assert ids["early"] == "m0001" and ids["late"] == "m0002"
    assert store.messages[2].in_reply_to == "m0001" and store.address == me.email
    assert store.messages[1].sender == sender(boss) == f"{boss.name} <{boss.email}>"
    assert store.messages[0].attachments[0].data() == b"x,y\n"
    with pytest.raises(ValueError, match="two mails have the key"):
        box.receive(boss, "x", "y", T0, key="late")
    with pytest.raises(ValueError, match="time zone"):
        box.receive(boss, "x", "y", datetime(2026, 1, 1))


def test_a_reply_to_an_unknown_mail_is_refused():
    box = Mailbox("me@example.org")
    box.receive("a@example.org", "x", "y", T0, reply_to="nothing")
    with pytest.raises(ValueError, match="not an earlier mail"):
        box.build()


def test_the_directory_is_an_org_with_roles_managers_zones_and_offices():
    org = directory(random.Random(3), ["Data", "Billing"], 4,
                    zones=("Europe/Berlin", "Asia/Tokyo"), domain="acme.example")
    assert len(org.people) == 9 and org.head.role == "Head of department"
    lead = org.lead("Data")
    assert lead.manager == org.head.email and lead.role == "Team lead"
    assert [p.manager for p in org.reports(lead)] == [lead.email] * 3
    assert {p.team for p in org.team("Billing")} == {"Billing"}
    assert all(p.office == OFFICES[p.timezone] and p.email.endswith("@acme.example")
               for p in org.people)
    assert len({p.email for p in org.people}) == 9
    moved = relocate(lead, "Asia/Tokyo")
    assert moved.timezone == "Asia/Tokyo" and moved.office == OFFICES["Asia/Tokyo"]
    assert org.get(lead.email) == lead
    with pytest.raises(KeyError):
        org.get("nobody@acme.example")
    assert directory(random.Random(3), ["Data", "Billing"], 4,
                     zones=("Europe/Berlin", "Asia/Tokyo"), domain="acme.example") == org


def test_companies_and_products_are_distinct_and_deterministic():
    found = companies(random.Random(5), 12)
    assert len({c.name for c in found}) == 12 and all(c.domain.endswith(".example") for c in found)
    assert companies(random.Random(5), 12) == found
    assert {c.industry for c in companies(random.Random(5), 6, "logistics")} == {"logistics"}
    items = products(random.Random(5), found[0], 2)
    assert len(items) == 2 and all(p.company == found[0].name and p.unit_cents > 0
                                   for p in items)
    with pytest.raises(ValueError, match="unknown industry"):
        companies(random.Random(5), 1, "mining")


def test_prose_helpers():
    assert letter("Ada", "Body.", "Bo") == "Hi Ada,\n\nBody.\n\nThanks,\nBo"
    assert letter("Ada", "Body.", "Bo", None, greeting="Dear") == "Dear Ada,\n\nBody.\n\nBo"
    assert bullets(["a", "b"]) == "- a\n- b"
    assert (plural(1, "copy", "copies"), plural(3, "copy", "copies"), plural(2, "book")) == (
        "1 copy", "3 copies", "2 books")


def test_distractor_helpers_scale_and_spread_without_the_answer():
    assert (scaled(0.0, 8), scaled(0.5, 8), scaled(1.0, 8)) == (0, 4, 8)
    with pytest.raises(ValueError):
        scaled(1.5, 3)
    times = times_in(random.Random(2), T0, T0 + timedelta(days=5), 200)
    assert all(T0 <= t < T0 + timedelta(days=5) for t in times) and len(set(times)) > 100
    me, *senders = people(random.Random(4), 4)
    box = Mailbox(me)
    everyday_mails(box, random.Random(4), 5, me, senders, T0, T0 + timedelta(days=2))
    store, _ = box.build()
    assert len(store.messages) == 5 and all("{sender}" not in m.body for m in store.messages)
    assert all(path.count("/") == 1 for path in everyday_notes(random.Random(1), 3))


def test_the_scheduling_puzzle_has_one_answer_that_every_rule_decides():
    knobs = PuzzleKnobs(attendees=5, zones=3, weekdays=8, hours=(1, 2), rules=3, depth=4,
                        rooms=5, dst_switch=False)
    setup, answer, room = first_puzzle(knobs, lambda n: random.Random(f"puzzle-{n}"))
    store = setup.store()
    assert setup.solve(store) == (answer, room)
    for rule in setup.rules:
        assert setup.solve(store, [r for r in setup.rules if r is not rule]) != (answer, room)
    assert [e.id for e in store.events] == sorted(e.id for e in store.events)
    starts = [e.start_utc for e in store.events]
    assert starts == sorted(starts)  # ids follow time


def test_when_lines_are_read_in_one_normal_form():
    slot = (datetime(2026, 3, 12, 13, tzinfo=UTC), datetime(2026, 3, 12, 15, tzinfo=UTC))
    line = when_line(slot, "Europe/Berlin")
    assert line == "When: 2026-03-12 14:00-16:00 Europe/Berlin"
    assert when_lines(["hello", "  when: 2026-03-12 14:00 - 16:00 (europe/berlin) "]) == \
        when_lines([line]) == ["2026-03-12 14:00-16:00 europe/berlin"]
    assert when_lines(["When: " + "9" * 300, "When: tomorrow"]) == []
