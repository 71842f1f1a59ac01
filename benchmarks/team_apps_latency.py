"""p50 latency of every tool of the team apps (contacts, chat, tickets, wiki, memory).

Each tool is called through ``Episode.call`` (validation, lock, logging: the path a model
takes) on worlds of a realistic size: 300 people, 600 chat messages, 300 tickets, 150 wiki
pages of three revisions, 100 memory keys. Reads repeat on one world; writes repeat too
(each adds to the store). ``search (index rebuilt)`` alternates a write and a search, so
every search rebuilds its FTS5 index.

    python benchmarks/team_apps_latency.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.chat import ChatStore
from workgym.apps.contacts import build_contacts
from workgym.apps.memory import build_memory
from workgym.apps.tickets import TicketsStore
from workgym.apps.wiki import WikiStore
from workgym.core import Episode, Store, Task, TaskSpec, WorldTemplate

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORDS = (
    "payments", "rollback", "deploy", "checkout", "timeout", "login", "cache", "database",
    "queue", "budget", "review", "sprint", "roadmap", "incident", "customer", "refund",
    "invoice", "policy", "kiosk", "cafe", "latency", "release", "migration", "config", "alert",
    "pager", "on-call", "escalation", "design", "vendor", "contract",
)
TEAMS = ("Platform", "Payments", "Web", "Data", "Support", "Sales")


# Zipf-like prose: 2,000 filler terms, with the words queries use at middling ranks so
# that a two-word query matches a few percent of the records, as in real text.
VOCABULARY = [f"term{k}" for k in range(2_000)]
for _rank, _word in enumerate(WORDS):
    VOCABULARY.insert(40 + 3 * _rank, _word)
ZIPF = [1 / (k + 1) for k in range(len(VOCABULARY))]


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, weights=ZIPF, k=n))


def stores() -> dict[str, Store]:
    rng = random.Random(7)
    people: list[dict[str, Any]] = [{"email": "p0@example.org", "name": "Person 0",
                                     "team": "Leadership", "role": "Chief Executive"}]
    for i in range(1, 300):
        people.append({"email": f"p{i}@example.org", "name": f"Person {i}",
                       "team": TEAMS[i % len(TEAMS)],
                       "role": rng.choice(["Engineer", "Manager"]),
                       "manager": f"p{(i - 1) // 4}@example.org", "timezone": "Europe/Berlin"})
    contacts = build_contacts(people)

    chat = ChatStore(me="me")
    handles = [f"u{i}" for i in range(30)]
    for handle in handles:
        chat.add_user(handle, handle.upper())
    for c in range(10):
        chat.add_channel(f"chan{c}", ["me", *handles])
    parents: list[str] = []
    for i in range(600):
        when = NOW - timedelta(minutes=600 - i)
        if parents and i % 3 == 0:
            thread = rng.choice(parents)
            where = chat.message(thread).conversation  # type: ignore[union-attr]
            chat.add_message(where, rng.choice(handles), text(rng, 12), when, thread=thread)
        else:
            parents.append(chat.add_message(f"chan{i % 10}", rng.choice(handles),
                                            text(rng, 12), when).id)

    tickets = TicketsStore(me="me@example.org")
    tickets.add_user("me@example.org", "Me")
    tickets.add_project("OPS", "Operations", members=["me@example.org"])
    states = ["Backlog", "To Do", "In Progress", "In Review", "Done"]
    for i in range(300):
        ticket = tickets.add_ticket("OPS", text(rng, 6), NOW - timedelta(days=1),
                                    description=text(rng, 60), state=states[i % 5],
                                    labels=[rng.choice(WORDS)])
        for _ in range(2):
            tickets.add_comment(ticket.id, "me@example.org", text(rng, 25), NOW)

    wiki = WikiStore(me="me")
    for i in range(150):
        page = wiki.add_page(f"Page {i}", text(rng, 200) + f" [[Page {(i + 1) % 150}]]",
                             "vera", NOW)
        for r in range(2):
            wiki.add_revision(page.id, page.body + " " + text(rng, 20), "vera", NOW, f"r{r}")

    memory = build_memory({f"note/{i:03d}": text(rng, 30) for i in range(100)})
    return {"contacts": contacts, "chat": chat, "tickets": tickets, "wiki": wiki,
            "memory": memory}


def calls() -> dict[str, list[tuple[str, Callable[[int], dict[str, Any]]]]]:
    """Per app: (label, arguments of call i); the label's first word is the tool."""
    return {
        "contacts": [
            ("search", lambda i: {"query": "engineer"}),
            ("get", lambda i: {"person": f"p{i % 300}@example.org"}),
            ("list_teams", lambda i: {}),
            ("list_team", lambda i: {"team": "Payments"}),
            ("reports", lambda i: {"person": "p1@example.org", "transitive": True}),
            ("manager_chain", lambda i: {"person": "p299@example.org"}),
            ("list_offices", lambda i: {}),
        ],
        "chat": [
            ("list_channels", lambda i: {"include_direct": True}),
            ("list_users", lambda i: {"query": "u1"}),
            ("read_channel", lambda i: {"channel": "#chan3"}),
            ("read_thread", lambda i: {"message_id": "msg0002"}),
            ("search", lambda i: {"query": "rollback payments"}),
            ("post", lambda i: {"channel": "#chan1", "text": f"post {i}"}),
            ("search (index rebuilt)", lambda i: {"query": "rollback payments"}),
            ("reply", lambda i: {"message_id": "msg0002", "text": f"reply {i}"}),
            ("react", lambda i: {"message_id": f"msg{i + 1:04d}", "emoji": "eyes"}),
            ("send_direct", lambda i: {"to": [f"u{i % 30}"], "text": "hi"}),
        ],
        "tickets": [
            ("list_projects", lambda i: {}),
            ("get_project", lambda i: {"project": "OPS"}),
            ("search", lambda i: {"query": "checkout timeout"}),
            ("search", lambda i: {"state": "In Progress", "sort": "priority"}),
            ("get", lambda i: {"ticket_id": f"OPS-{i % 300 + 1}"}),
            ("create", lambda i: {"project": "OPS", "title": f"new {i}", "labels": ["x"]}),
            ("search (index rebuilt)", lambda i: {"query": "checkout timeout"}),
            ("update", lambda i: {"ticket_id": f"OPS-{i % 300 + 1}", "priority":
                                  ("urgent", "low")[i % 2]}),
            ("transition", lambda i: {"ticket_id": "OPS-2", "state": ("In Progress", "To Do")[
                i % 2]}),
            ("comment", lambda i: {"ticket_id": f"OPS-{i % 300 + 1}", "body": "noted"}),
            ("link", lambda i: {"ticket_id": f"OPS-{i + 1}", "kind": "relates_to",
                                "target_id": f"OPS-{i + 2}"}),
        ],
        "wiki": [
            ("list_pages", lambda i: {"prefix": "Page 1"}),
            ("search", lambda i: {"query": "refund policy"}),
            ("read", lambda i: {"page": f"Page {i % 150}"}),
            ("history", lambda i: {"page": "Page 3"}),
            ("backlinks", lambda i: {"page": "Page 3"}),
            ("diff", lambda i: {"page": "Page 3", "from_revision": 1}),
            ("edit", lambda i: {"page": f"Page {i % 150}", "body": f"text {i}",
                                "summary": "bench"}),
            ("search (index rebuilt)", lambda i: {"query": "refund policy"}),
            ("create", lambda i: {"title": f"New {i}", "body": "[[Page 1]]"}),
            ("move", lambda i: {"page": f"New {i}", "new_title": f"Moved {i}"}),
        ],
        "memory": [
            ("get", lambda i: {"key": "note/050"}),
            ("get_many", lambda i: {"keys": [f"note/{j:03d}" for j in range(10)]}),
            ("list_keys", lambda i: {"prefix": "note/0"}),
            ("set", lambda i: {"key": f"bench/{i}", "value": "v" * 100}),
            ("delete", lambda i: {"key": f"bench/{i}"}),
        ],
    }


def episode(template: WorldTemplate, apps: tuple[str, ...]) -> Episode:
    task = Task(spec=TaskSpec(family="bench/team-apps", version=1, seed=0), prompt="",
                apps=apps, criteria=(), reference=(), template=template)
    return task.start()


def writes(ep: Episode, app: str) -> Iterator[None]:
    """One small write before each call, so that every search finds its index stale."""
    for i in count():
        name, args = {
            "chat": ("chat.post", {"channel": "#chan2", "text": f"x {i}"}),
            "tickets": ("tickets.comment", {"ticket_id": f"OPS-{i % 300 + 1}", "body": "x"}),
            "wiki": ("wiki.edit", {"page": f"Page {i % 150}", "body": f"w {i}", "summary": "s"}),
        }[app]
        if not ep.call(name, args).ok:
            raise SystemExit(f"{name} {args} failed")
        yield None


def measure(ep: Episode, app: str, label: str, make: Callable[[int], dict[str, Any]],
            repeats: int, writer: Iterator[None] | None) -> float:
    tool = f"{app}.{label.split()[0]}"
    times = []
    for i in range(repeats):
        if writer is not None:
            next(writer)
        args = make(i)
        started = time.perf_counter()
        result = ep.call(tool, args)
        times.append(time.perf_counter() - started)
        if not result.ok:
            raise SystemExit(f"{tool} {args} failed: {result.text}")
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    repeats = parser.parse_args().repeats
    template = WorldTemplate(now=NOW, stores=stores())
    print(f"{'tool':36} {'p50 us':>9}")
    for app, rows in calls().items():
        ep = episode(template, (app,))
        for label, make in rows:
            writer = writes(ep, app) if label.endswith("(index rebuilt)") else None
            p50 = measure(ep, app, label, make, repeats, writer)
            print(f"{app + '.' + label:36} {p50:9.0f}")
        ep.close()


if __name__ == "__main__":
    main()
