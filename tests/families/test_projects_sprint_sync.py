"""projects/sprint-sync: the contract, then the family's own wrong-answer tests."""

from family_checks import assert_meets_contract

from workgym.core import Episode, Task, ToolCall
from workgym.families.projects.sprint_sync import SprintSync

FAMILY = SprintSync()


def task(seed: int, level: str = "hard", richness: float = 0.5) -> Task:
    return FAMILY.task(FAMILY.spec(seed, level, richness))  # type: ignore[arg-type]


def outcome(t: Task, calls: list[ToolCall]) -> tuple[dict[str, bool | None], float, bool, bool]:
    episode: Episode = t.start()
    with episode:
        for call in calls:
            episode.call(call.name, dict(call.args))
        g = episode.grade()
        return {c.name: c.passed for c in g.criteria}, g.score, g.passed, g.gated


def sprint_tickets(t: Task) -> dict[str, str]:
    """Open sprint tickets of the task's project -> their state."""
    label = next(c.args["remove_labels"][0] for c in t.reference if c.name == "tickets.update")
    key = next(c.args["project"] for c in t.reference if c.name == "tickets.search")
    return {x.id: x.state for x in t.template.stores["tickets"].tickets
            if x.project == key and label in x.labels and x.state != "Done"}


def without(t: Task, *names: str) -> list[ToolCall]:
    return [c for c in t.reference if c.name not in names]


def test_sprint_sync_meets_the_contract() -> None:
    assert_meets_contract(SprintSync())


def test_closing_every_open_ticket_earns_little_for_tickets() -> None:
    t = task(0)
    calls = without(t, "tickets.transition", "tickets.update")
    path = {"To Do": ["In Progress", "In Review", "Done"], "In Progress": ["In Review", "Done"],
            "In Review": ["Done"]}
    for ticket, state in sprint_tickets(t).items():
        calls += [ToolCall("tickets.transition", {"ticket_id": ticket, "state": s})
                  for s in path[state]]
    got, score, passed, _ = outcome(t, calls)
    closed = [v for k, v in got.items() if k.startswith("closed ")]
    # six or more wrong closures cancel the credit of the four or five right ones
    assert not any(closed) and not passed and score < 0.7


def test_a_reverted_ticket_is_not_done() -> None:
    for seed in range(10):
        t = task(seed)
        chat = t.template.stores["chat"]
        reverted = {m.text.split()[1].rstrip(":") for m in chat.messages
                    if m.text.startswith("Reverted ")}
        remerged = {m.text.split()[1] for m in chat.messages if m.text.startswith("Re-merged ")}
        plain = sorted(reverted - remerged)
        if plain:
            break
    target = plain[0]
    update = next(c for c in t.reference if c.name == "tickets.update"
                  and c.args["ticket_id"] == target)
    state = sprint_tickets(t)[target]
    steps = {"To Do": ["In Progress", "In Review", "Done"], "In Progress": ["In Review", "Done"],
             "In Review": ["Done"]}[state]
    calls = [c for c in t.reference if c is not update] + [
        ToolCall("tickets.transition", {"ticket_id": target, "state": s}) for s in steps]
    got, _, passed, _ = outcome(t, calls)
    assert got[f"carried {target}"] is False and not passed


def test_a_qa_failure_after_the_pass_keeps_the_ticket_open() -> None:
    for seed in range(10):
        t = task(seed)
        failed = [m.text.split()[3].rstrip(":") for m in t.template.stores["chat"].messages
                  if m.text.startswith("QA failed for ")]
        if failed:
            break
    assert failed
    post = next(c for c in t.reference if c.name == "chat.post")
    assert failed[0] in post.args["text"].split("Carried over: ")[1].split("\n")[0]


def test_editing_the_roadmap_beyond_its_statuses_gates_the_score() -> None:
    t = task(1)
    edit = next(c for c in t.reference if c.name == "wiki.edit")
    body = edit.args["body"].replace("Product owner:", "Product owner (acting):")
    calls = [ToolCall(c.name, {**c.args, "body": body}) if c is edit else c for c in t.reference]
    _, score, _, gated = outcome(t, calls)
    assert gated and score == 0.0


def test_stale_roadmap_statuses_fail_the_rows_that_change() -> None:
    t = task(2)
    got, score, passed, _ = outcome(t, without(t, "wiki.edit"))
    rows = [v for k, v in got.items() if k.startswith("roadmap: ") and k != "roadmap: nothing else"]
    assert rows and not any(rows) and not passed and 0 < score < 1


def test_a_wrong_summary_line_fails_it() -> None:
    t = task(3)
    post = next(c for c in t.reference if c.name == "chat.post")
    head, rest = post.args["text"].split("Carried over: ")
    first = rest.split(", ")[0]
    text = head + "Carried over: " + rest.replace(first + ", ", "", 1)
    calls = [ToolCall(c.name, {**c.args, "text": text}) if c is post else c for c in t.reference]
    got, _, passed, _ = outcome(t, calls)
    assert got["post: carried over"] is False and got["post: closed"] is True and not passed


def test_the_review_in_the_largest_room_fails_the_room() -> None:
    for seed in range(10):
        t = task(seed, "medium")
        create = next(c for c in t.reference if c.name == "calendar.create_event")
        rooms = sorted(t.template.stores["calendar"].rooms, key=lambda r: -r.capacity)
        if rooms[0].name != create.args["room"]:
            break
    for room in rooms:
        if room.name == create.args["room"]:
            continue
        calls = [ToolCall(c.name, {**c.args, "room": room.name}) if c is create else c
                 for c in t.reference]
        got, _, passed, _ = outcome(t, calls)
        if got["review: time"]:  # that room was free then: only the room is wrong
            assert got["review: room"] is False and not passed
            return
