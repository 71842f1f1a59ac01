from datetime import UTC, datetime, timedelta, timezone

import pytest

from workgym.apps import tickets
from workgym.apps.tickets import TicketsApp, TicketsStore
from workgym.core import Episode
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)
ME = "lena.novak@example.org"
VERA = "vera.jensen@example.org"
OMAR = "omar.haddad@example.org"
WEB_FLOW = {"Open": ["Fixed", "Won't Fix"], "Fixed": ["Open"], "Won't Fix": ["Open"]}


def day(n: int) -> datetime:
    return datetime(2026, 2, n, 10, tzinfo=UTC)


def _store() -> TicketsStore:
    store = TicketsStore(me=ME)
    store.add_user(ME, "Lena Novak")
    store.add_user(VERA, "Vera Jensen")
    store.add_user(OMAR, "Omar Haddad")
    store.add_project("OPS", "Operations", members=[ME, VERA], description="Run the platform")
    store.add_project("WEB", "Website", members=[OMAR, ME], transitions=WEB_FLOW,
                      closed=["Fixed", "Won't Fix"])
    store.add_ticket("OPS", "Login timeout on checkout", day(1), state="In Progress",
                     description="Users see a timeout after 30 s.", priority="high",
                     assignee=VERA, reporter=OMAR, labels=["Bug", "payments"])
    store.add_ticket("OPS", "Rotate API keys", day(2), state="To Do", due="2026-03-10")
    store.add_ticket("OPS", "Old migration cleanup", day(3), state="Done", priority="low")
    store.add_ticket("WEB", "Broken footer link", day(4), priority="urgent", assignee=OMAR,
                     labels=["frontend"])
    store.add_ticket("WEB", "Dark mode for the checkout page", day(5), priority="low")
    store.add_comment("OPS-1", OMAR, "Seen again on the café kiosk.", day(6))
    store.add_link("OPS-1", "blocks", "OPS-2")
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("tickets",), family="tests/tickets", now=NOW,
                         stores={"tickets": _store()})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok and match in result.text, result.text
    assert ep.calls[-1].error in ("tool_error", "invalid_args")
    assert ep.world.digest() == before
    return result.text


def ids(page) -> list[str]:
    return [r["id"] for r in page["results"]]


def test_projects_and_their_workflows(ep):
    assert ok(ep, "tickets.list_projects") == [
        {"key": "OPS", "name": "Operations", "description": "Run the platform", "tickets": 3,
         "open": 2},
        {"key": "WEB", "name": "Website", "description": "", "tickets": 2, "open": 2}]
    ops = ok(ep, "tickets.get_project", project="ops")
    assert ops["initial_state"] == "Backlog" and ops["labels"] == ["bug", "payments"]
    assert ops["states"][2] == {"name": "In Progress", "closed": False,
                                "next": ["In Review", "To Do", "Cancelled"]}
    assert [s["name"] for s in ops["states"] if s["closed"]] == ["Done", "Cancelled"]
    assert ops["members"] == [{"email": ME, "name": "Lena Novak"},
                              {"email": VERA, "name": "Vera Jensen"}]
    web = ok(ep, "tickets.get_project", project="WEB")
    assert web["initial_state"] == "Open" and web["states"][0]["next"] == ["Fixed", "Won't Fix"]
    assert web["priorities"] == ["urgent", "high", "medium", "low"]


def test_search_full_text_ranked_with_snippets(ep):
    found = ok(ep, "tickets.search", query="checkout")
    # BM25 over the whole ticket: WEB-2 has no description or comments, so it ranks first
    assert ids(found) == ["WEB-2", "OPS-1"]
    assert found["results"][1]["snippet"] == "Login timeout on [checkout]"
    assert ids(ok(ep, "tickets.search", query="timeout")) == ["OPS-1"]
    assert ids(ok(ep, "tickets.search", query="cafe")) == ["OPS-1"]  # comments, accents fold
    assert ids(ok(ep, "tickets.search", query="check")) == []  # no substrings
    assert ids(ok(ep, "tickets.search", query="check*")) == ["WEB-2", "OPS-1"]
    assert ids(ok(ep, "tickets.search", query="checkout", sort="id")) == ["OPS-1", "WEB-2"]
    assert ids(ok(ep, "tickets.search", query="checkout", priority="low")) == ["WEB-2"]


def test_search_filters_and_sorts(ep):
    assert ids(ok(ep, "tickets.search")) == ["OPS-1", "OPS-2", "OPS-3", "WEB-1", "WEB-2"]
    assert ids(ok(ep, "tickets.search", project="web")) == ["WEB-1", "WEB-2"]
    assert ids(ok(ep, "tickets.search", state="in progress")) == ["OPS-1"]
    assert ids(ok(ep, "tickets.search", state="open")) == ["WEB-1", "WEB-2"]
    assert ids(ok(ep, "tickets.search", is_open=False)) == ["OPS-3"]
    assert ids(ok(ep, "tickets.search", is_open=True, project="OPS")) == ["OPS-1", "OPS-2"]
    assert ids(ok(ep, "tickets.search", assignee="none")) == ["OPS-2", "OPS-3", "WEB-2"]
    assert ids(ok(ep, "tickets.search", assignee=VERA.upper())) == ["OPS-1"]
    assert ids(ok(ep, "tickets.search", assignee="me")) == []
    assert ids(ok(ep, "tickets.search", reporter="me")) == ["OPS-2", "OPS-3", "WEB-1", "WEB-2"]
    assert ids(ok(ep, "tickets.search", label="BUG")) == ["OPS-1"]
    assert ids(ok(ep, "tickets.search", sort="priority")) == [
        "WEB-1", "OPS-1", "OPS-2", "OPS-3", "WEB-2"]
    assert ids(ok(ep, "tickets.search", sort="due")) == ["OPS-2", "OPS-1", "OPS-3", "WEB-1",
                                                         "WEB-2"]
    assert ids(ok(ep, "tickets.search", sort="updated")) == [
        "WEB-2", "WEB-1", "OPS-3", "OPS-2", "OPS-1"]
    page = ok(ep, "tickets.search", limit=2, offset=2)
    assert page["total"] == 5 and ids(page) == ["OPS-3", "WEB-1"]


def test_get_shows_everything(ep):
    ticket = ok(ep, "tickets.get", ticket_id="ops-1")
    assert ticket["id"] == "OPS-1" and ticket["reporter"] == OMAR and not ticket["closed"]
    assert ticket["labels"] == ["bug", "payments"] and ticket["assignee"] == VERA
    assert ticket["next_states"] == ["In Review", "To Do", "Cancelled"]
    assert ticket["comments"] == [{"id": "cm0001", "author": OMAR,
                                   "body": "Seen again on the café kiosk.",
                                   "at": "2026-02-06T10:00:00+00:00"}]
    assert ticket["links"] == [{"kind": "blocks", "ticket": "OPS-2", "title": "Rotate API keys",
                                "state": "To Do"}]
    assert ticket["history"] == [{"field": "created", "old": None, "new": "In Progress",
                                  "by": OMAR, "at": "2026-02-01T10:00:00+00:00"}]
    assert ok(ep, "tickets.get", ticket_id="OPS-2")["links"][0]["kind"] == "blocked_by"
    assert ok(ep, "tickets.get", ticket_id="OPS-3")["closed"]


def test_create_starts_in_the_initial_state(ep):
    before = ep.world.digest()
    made = ok(ep, "tickets.create", project="ops", title="  Disk   full on db-2 ",
              description="95% used", priority="urgent", assignee="me",
              labels=["Infra", "on call", "infra"], due="2026-03-05")
    assert made == {"id": "OPS-4", "title": "Disk full on db-2", "state": "Backlog",
                    "priority": "urgent", "assignee": ME, "labels": ["infra", "on-call"],
                    "due": "2026-03-05", "updated": NOW.isoformat()}
    assert ep.world.digest() != before
    ticket = ok(ep, "tickets.get", ticket_id="OPS-4")
    assert ticket["reporter"] == ME and ticket["created"] == NOW.isoformat()
    assert ticket["history"] == [{"field": "created", "old": None, "new": "Backlog", "by": ME,
                                  "at": NOW.isoformat()}]
    assert ok(ep, "tickets.create", project="WEB", title="Favicon")["state"] == "Open"
    assert ids(ok(ep, "tickets.search", query="disk")) == ["OPS-4"]  # the index follows


def test_update_changes_only_what_is_given_and_records_it(ep):
    updated = ok(ep, "tickets.update", ticket_id="OPS-1", priority="urgent", assignee="me",
                 add_labels=["incident"], remove_labels=["payments"], title="Login timeout")
    assert updated["changed"] == ["title", "priority", "assignee", "labels"]
    assert updated["labels"] == ["bug", "incident"] and updated["assignee"] == ME
    history = ok(ep, "tickets.get", ticket_id="OPS-1")["history"]
    assert [(h["field"], h["old"], h["new"]) for h in history[1:]] == [
        ("title", "Login timeout on checkout", "Login timeout"),
        ("priority", "high", "urgent"), ("assignee", VERA, ME),
        ("labels", "bug, payments", "bug, incident")]
    cleared = ok(ep, "tickets.update", ticket_id="OPS-2", due="", assignee=VERA,
                 description="Rotate the payment gateway keys.")
    assert cleared["due"] is None and cleared["changed"] == ["description", "assignee", "due"]
    last = ok(ep, "tickets.get", ticket_id="OPS-2")["history"][-3]
    assert last == {"field": "description", "old": None, "new": None, "by": ME,
                    "at": NOW.isoformat()}
    assert ok(ep, "tickets.update", ticket_id="OPS-2", assignee="")["assignee"] is None
    err(ep, "tickets.update", "already has those values", ticket_id="OPS-1", priority="urgent")


def test_transition_follows_the_workflow(ep):
    text = err(ep, "tickets.transition", "cannot move from 'To Do' to 'Done'",
               ticket_id="OPS-2", state="done")
    assert "it can move to: 'In Progress', 'Backlog', 'Cancelled'" in text
    moved = ok(ep, "tickets.transition", ticket_id="OPS-2", state="in progress")
    assert moved["state"] == "In Progress" and moved["from"] == "To Do"
    ok(ep, "tickets.transition", ticket_id="OPS-2", state="In Review",
       comment="PR is up")
    ok(ep, "tickets.transition", ticket_id="OPS-2", state="Done")
    store = ep.world.store("tickets", TicketsStore)
    assert store.transitions_of("OPS-2") == [("To Do", "In Progress"),
                                             ("In Progress", "In Review"), ("In Review", "Done")]
    ticket = ok(ep, "tickets.get", ticket_id="OPS-2")
    assert ticket["closed"] and ticket["comments"][-1]["body"] == "PR is up"
    assert [h["field"] for h in ticket["history"]] == ["created", "state", "state", "comment",
                                                      "state"]
    assert ok(ep, "tickets.transition", ticket_id="WEB-1", state="won't fix")["state"] == \
        "Won't Fix"
    assert ids(ok(ep, "tickets.search", is_open=True, project="WEB")) == ["WEB-2"]


def test_comment_and_link(ep):
    comment = ok(ep, "tickets.comment", ticket_id="WEB-2", body=" Design is ready. ")
    assert comment == {"ticket": "WEB-2", "id": "cm0002", "author": ME,
                       "body": "Design is ready.", "at": NOW.isoformat()}
    linked = ok(ep, "tickets.link", ticket_id="WEB-2", kind="duplicates", target_id="web-1")
    assert linked == {"WEB-2": [{"kind": "duplicates", "ticket": "WEB-1"}],
                      "WEB-1": [{"kind": "duplicated_by", "ticket": "WEB-2"}]}
    err(ep, "tickets.link", "already duplicates", ticket_id="WEB-2", kind="duplicates",
        target_id="WEB-1")
    assert ok(ep, "tickets.get", ticket_id="WEB-1")["history"][-1]["new"] == \
        "duplicated_by WEB-2"


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "tickets.list_projects")
    ok(ep, "tickets.get_project", project="OPS")
    ok(ep, "tickets.search", query="checkout", sort="priority")
    ok(ep, "tickets.get", ticket_id="OPS-1")
    assert ep.world.digest() == before


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("tickets.get", {"ticket_id": "OPS-99"}, "no ticket 'OPS-99'; ids look like 'OPS-12'"),
    ("tickets.get_project", {"project": "HR"}, "no project 'HR'; projects: OPS, WEB"),
    ("tickets.search", {"project": "HR"}, "no project 'HR'"),
    ("tickets.search", {"state": "Doing"}, "no state 'Doing'; states:"),
    ("tickets.search", {"state": "Open", "project": "OPS"}, "no state 'Open'"),
    ("tickets.search", {"assignee": "ghost@example.org"}, "not a known person"),
    ("tickets.search", {"reporter": "none"}, "not a known person"),
    ("tickets.search", {"label": "no spaces!"}, "label 'no spaces!' must be"),
    ("tickets.search", {"priority": "p1"}, "invalid arguments"),
    ("tickets.search", {"sort": "random"}, "invalid arguments"),
    ("tickets.search", {"query": "--"}, "no words to search for"),
    ("tickets.search", {"limit": 500}, "invalid arguments"),
    ("tickets.create", {"project": "OPS", "title": "   "}, "title must not be blank"),
    ("tickets.create", {"project": "OPS", "title": "x" * 201}, "at most 200 characters"),
    ("tickets.create", {"project": "OPS", "title": "t", "assignee": OMAR},
     "is not a member of OPS"),
    ("tickets.create", {"project": "OPS", "title": "t", "due": "next week"}, "due must be a date"),
    ("tickets.create", {"project": "OPS", "title": "t", "due": "2026-02-30"}, "due must be a date"),
    ("tickets.create", {"project": "OPS", "title": "t", "labels": ["x"] * 21}, "invalid arguments"),
    ("tickets.create", {"project": "XX", "title": "t"}, "no project 'XX'"),
    ("tickets.update", {"ticket_id": "OPS-1"}, "nothing to update"),
    ("tickets.update", {"ticket_id": "OPS-1", "remove_labels": ["frontend"]},
     "has no label 'frontend'; its labels: bug, payments"),
    ("tickets.update", {"ticket_id": "OPS-1", "add_labels": ["a"], "remove_labels": ["a"]},
     "both added and removed"),
    ("tickets.update", {"ticket_id": "OPS-1", "state": "Done"}, "unknown argument 'state'"),
    ("tickets.transition", {"ticket_id": "OPS-1", "state": "In Progress"}, "already in"),
    ("tickets.transition", {"ticket_id": "OPS-1", "state": "Shipped"},
     "OPS has no state 'Shipped'; its states: Backlog, To Do"),
    ("tickets.transition", {"ticket_id": "WEB-1", "state": "Open"}, "already in 'Open'"),
    ("tickets.comment", {"ticket_id": "OPS-1", "body": "  "}, "must not be blank"),
    ("tickets.comment", {"ticket_id": "OPS-9", "body": "hi"}, "no ticket"),
    ("tickets.link", {"ticket_id": "OPS-1", "kind": "blocks", "target_id": "OPS-1"},
     "cannot link to itself"),
    ("tickets.link", {"ticket_id": "OPS-1", "kind": "blocks", "target_id": "OPS-2"},
     "already blocks"),
    ("tickets.link", {"ticket_id": "OPS-1", "kind": "parent_of", "target_id": "OPS-3"},
     "invalid arguments"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)


def test_bounds(ep, monkeypatch):
    monkeypatch.setattr(tickets, "MAX_TICKETS", 5)
    err(ep, "tickets.create", "holds 5 tickets", project="OPS", title="one too many")
    monkeypatch.setattr(tickets, "MAX_COMMENTS", 2)
    ok(ep, "tickets.comment", ticket_id="OPS-1", body="second")
    err(ep, "tickets.comment", "has 2 comments", ticket_id="OPS-1", body="third")
    err(ep, "tickets.transition", "has 2 comments", ticket_id="OPS-1", state="In Review",
        comment="third")
    monkeypatch.setattr(tickets, "MAX_HISTORY", 3)
    err(ep, "tickets.update", "has 3 recorded changes", ticket_id="OPS-1", priority="low",
        title="Something else")
    monkeypatch.setattr(tickets, "MAX_WRITTEN_CHARS", 200)
    ok(ep, "tickets.update", ticket_id="OPS-3", description="x" * 190)  # "second" before
    err(ep, "tickets.update", "200 characters of descriptions", ticket_id="OPS-3",
        description="y" * 5)
    assert ep.world.store("tickets", TicketsStore).written == 196
    monkeypatch.setattr(tickets, "MAX_LINKS", 1)
    err(ep, "tickets.link", "has 1 links", ticket_id="OPS-1", kind="relates_to",
        target_id="WEB-1")
    monkeypatch.setattr(tickets, "MAX_LABELS", 2)
    err(ep, "tickets.update", "at most 2 labels", ticket_id="OPS-1", add_labels=["third"])


def test_store_builders_refuse_bad_data():
    store = _store()
    with pytest.raises(ValueError, match="2-10 upper-case"):
        store.add_project("ops", "lower")
    with pytest.raises(ValueError, match="exists"):
        store.add_project("OPS", "again")
    with pytest.raises(ValueError, match="unknown state"):
        store.add_project("NEW", "New", transitions={"Open": ["Closed"]})
    with pytest.raises(ValueError, match="add_user first"):
        store.add_project("NEW", "New", members=["ghost@example.org"])
    with pytest.raises(ValueError, match="no state"):
        store.add_ticket("OPS", "t", day(1), state="Shipped")
    with pytest.raises(ValueError, match="not a member"):
        store.add_ticket("OPS", "t", day(1), assignee=OMAR)
    with pytest.raises(ValueError, match="UTC offset"):
        store.add_ticket("OPS", "t", "2026-02-01T10:00")
    with pytest.raises(ValueError, match="itself"):
        store.add_link("OPS-1", "relates_to", "ops-1")
    with pytest.raises(ValueError, match="listed twice"):
        store.add_user(ME.upper(), "Lena again")
    custom = store.add_project("NEW", "New", transitions={"Open": ["Closed"], "Closed": []})
    assert custom.initial == "Open" and custom.closed == []
    assert TicketsStore.model_validate_json(store.model_dump_json()) == store


def test_same_actions_give_the_same_digest(start_episode):
    digests = set()
    for _ in range(2):
        episode = start_episode(("tickets",), family="tests/tickets", now=NOW,
                                stores={"tickets": _store()})
        ok(episode, "tickets.create", project="OPS", title="New one", labels=["b", "a"])
        ok(episode, "tickets.transition", ticket_id="OPS-4", state="To Do", comment="go")
        ok(episode, "tickets.link", ticket_id="OPS-4", kind="relates_to", target_id="WEB-1")
        digests.add(episode.world.digest())
    assert len(digests) == 1


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("tickets.search", {"query": "checkout", "is_open": True}),
             ("tickets.create", {"project": "OPS", "title": "Größe ✓", "labels": ["ux"]}),
             ("tickets.transition", {"ticket_id": "OPS-4", "state": "Done"}),
             ("tickets.transition", {"ticket_id": "OPS-4", "state": "To Do"}),
             ("tickets.update", {"ticket_id": "OPS-4", "due": "2026-04-01"}),
             ("tickets.get", {"ticket_id": "OPS-4"})]
    served, direct = (start_episode(("tickets",), family="tests/tickets", now=NOW,
                                    stores={"tickets": _store()}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_a_patched_index_ranks_as_a_fresh_one(start_episode):
    episode = start_episode(("tickets",), family="tests/tickets", now=NOW,
                            stores={"tickets": _store()})
    assert ids(ok(episode, "tickets.search", query="kiosk")) == ["OPS-1"]
    ok(episode, "tickets.comment", ticket_id="WEB-1", body="kiosk kiosk: the footer again")
    ok(episode, "tickets.create", project="OPS", title="Kiosk reboot loop")
    ok(episode, "tickets.update", ticket_id="OPS-2", description="Also the kiosk keys.")
    patched = ok(episode, "tickets.search", query="kiosk")
    fresh = start_episode(("tickets",), family="tests/tickets", now=NOW,
                          stores={"tickets": episode.world.store("tickets", TicketsStore)})
    assert ok(fresh, "tickets.search", query="kiosk") == patched
    assert sorted(ids(patched)) == ["OPS-1", "OPS-2", "OPS-4", "WEB-1"]


def test_reads_are_marked_read_only_and_run_beside_other_calls():
    specs = TicketsApp.tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == ['get', 'get_project', 'list_projects', 'search']
    assert all(s.concurrent == s.read_only for s in specs.values())
