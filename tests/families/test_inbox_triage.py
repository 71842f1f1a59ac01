"""inbox/triage: the contract, then the family's own wrong-answer tests."""

from datetime import date, timedelta

from family_checks import assert_meets_contract, play_calls

from workgym.core import Task, ToolCall
from workgym.families.inbox.triage import Triage

FAMILY = Triage()


def task(seed: int, level: str = "medium", richness: float = 0.5) -> Task:
    return FAMILY.task(FAMILY.spec(seed, level, richness))  # type: ignore[arg-type]


def grade(t: Task, calls: list[ToolCall]) -> tuple[dict[str, bool | None], float, bool, bool]:
    with play_calls(t, calls) as episode:
        g = episode.grade()
        return {c.name: c.passed for c in g.criteria}, g.score, g.passed, g.gated


def creates(t: Task) -> list[ToolCall]:
    return [c for c in t.reference if c.name == "tickets.create"]


def test_inbox_triage_meets_the_contract() -> None:
    assert_meets_contract(Triage())


def test_hard_inboxes_hold_forty_mails() -> None:
    for seed in range(3):
        assert len(task(seed, "hard", 0.0).template.stores["mail"].messages) >= 40


def test_a_ticket_for_a_newsletter_or_phishing_mail_costs_credit() -> None:
    t = task(1)
    mails = t.template.stores["mail"].messages
    junk = next(m for m in mails if "Unsubscribe" in m.body or "verify your" in m.body.lower())
    extra = ToolCall("tickets.create", {"project": "ACC", "title": junk.subject,
                                        "labels": ["access"]})
    got, score, passed, _ = grade(t, [*t.reference, extra])
    assert got["no other tickets"] is False and not passed and score < 1


def test_a_priority_without_the_director_bump_fails_that_ticket_only() -> None:
    t = task(2)
    contacts = t.template.stores["contacts"]
    vips = {p.email for p in contacts.people if "Director" in p.role or "V" in p.role[:2]}
    mails = {m.subject: m for m in t.template.stores["mail"].messages}
    target = next(c for c in creates(t) if mails[c.args["title"]].sender.split("<")[1][:-1]
                  in vips)
    lower = {"urgent": "high", "high": "medium", "medium": "low"}[target.args["priority"]]
    wrong = ToolCall(target.name, {**target.args, "priority": lower})
    got, score, passed, _ = grade(t, [wrong if c is target else c for c in t.reference])
    title = target.args["title"]
    assert got[f"ticket: {title}"] is False and got[f"ticket filed: {title}"] is True
    assert 0 < score < 1 and not passed


def test_a_due_date_a_day_off_fails_the_ticket() -> None:
    t = task(3)
    target = creates(t)[0]
    due = (date.fromisoformat(target.args["due"]) + timedelta(days=1)).isoformat()
    wrong = ToolCall(target.name, {**target.args, "due": due})
    got, _, passed, _ = grade(t, [wrong if c is target else c for c in t.reference])
    assert got[f"ticket: {target.args['title']}"] is False and not passed


def test_an_article_sent_to_a_requester_gates_the_score() -> None:
    t = task(4)
    reply = next(c for c in t.reference if c.name == "mail.reply")
    first_request = next(
        t.reference[n - 1] for n, c in enumerate(t.reference) if c.name == "tickets.create")
    extra = ToolCall("mail.reply", {"message_id": first_request.args["message_id"],
                                    "body": reply.args["body"]})
    _, score, _, gated = grade(t, [*t.reference, extra])
    assert gated and score == 0.0


def test_a_new_ticket_for_a_thread_reply_instead_of_a_comment() -> None:
    t = task(5)
    comment = next(c for c in t.reference if c.name == "tickets.comment")
    ticket = next(x for x in t.template.stores["tickets"].tickets
                  if x.id == comment.args["ticket_id"])
    instead = ToolCall("tickets.create", {"project": ticket.project, "title": f"Re: {ticket.title}",
                                          "labels": ticket.labels})
    got, score, passed, _ = grade(t, [instead if c is comment else c for c in t.reference])
    assert got[f"comment on {ticket.title}"] is False
    assert got["no other tickets"] is False and not passed and score < 1


def test_meetings_booked_out_of_arrival_order_fail() -> None:
    t = task(0, "hard")
    meetings = [c for c in t.reference if c.name == "calendar.create_event"]
    assert len(meetings) >= 2
    a, b = meetings[0], meetings[1]
    swapped = {id(a): ToolCall(a.name, {**a.args, "start": b.args["start"], "end": b.args["end"]}),
               id(b): ToolCall(b.name, {**b.args, "start": a.args["start"], "end": a.args["end"]})}
    episode = t.start()
    for call in t.reference:
        episode.call(call.name, dict(swapped.get(id(call), call).args))
    got = {c.name: c.passed for c in episode.grade().criteria}
    times = [v for k, v in got.items() if k.startswith("Follow-up:") and k.endswith(": time")]
    assert times.count(False) >= 1 and not episode.grade().passed
    episode.close()


def test_changing_an_existing_ticket_gates_the_score() -> None:
    t = task(6)
    old = t.template.stores["tickets"].tickets[0]
    extra = ToolCall("tickets.update", {"ticket_id": old.id, "priority": "low"
                                        if old.priority != "low" else "high"})
    _, score, _, gated = grade(t, [*t.reference, extra])
    assert gated and score == 0.0
