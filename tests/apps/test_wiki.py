from datetime import UTC, datetime, timedelta, timezone

import pytest

from workgym.apps import wiki
from workgym.apps.wiki import WikiApp, WikiStore, links_in, norm_title, page_text
from workgym.core import Episode, GradeError
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)
ME = "lena.novak"


def day(n: int) -> datetime:
    return datetime(2026, 2, n, 10, tzinfo=UTC)


def _store() -> WikiStore:
    store = WikiStore(me=ME)
    store.add_page("Deploy Runbook", "Steps:\n1. Build\n2. Follow [[Rollback Guide|rollback]] "
                   "if needed\nSee also [[On-call]] and [[Missing Page]].", "vera", day(1))
    store.add_page("Rollback Guide", "How to roll back the payments service.\nCall on-call.",
                   "omar", day(2))                                               # pg0002
    store.add_page("On-call", "Phone: +49 30 1111\nEscalate via [[Rollback Guide#Escalation]].",
                   "vera", day(3))                                               # pg0003
    store.add_page("Café Policy", "Coffee is free on Fridays.", "ines", day(4))  # pg0004
    store.add_revision("On-call", "Phone: +49 30 2222\nEscalate via [[Rollback Guide#Escalation]].",
                       "omar", day(5), "new phone")
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("wiki",), family="tests/wiki", now=NOW, stores={"wiki": _store()})


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


def titles(page) -> list[str]:
    return [r["title"] for r in page["results"]]


def test_list_pages_by_title_and_prefix(ep):
    listed = ok(ep, "wiki.list_pages")
    assert titles(listed) == ["Café Policy", "Deploy Runbook", "On-call", "Rollback Guide"]
    assert listed["results"][2] == {"id": "pg0003", "title": "On-call", "revision": 2,
                                    "updated": "2026-02-05T10:00:00+00:00", "author": "omar",
                                    "size": 62}
    assert titles(ok(ep, "wiki.list_pages", prefix="ro")) == ["Rollback Guide"]
    assert titles(ok(ep, "wiki.list_pages", limit=1, offset=1)) == ["Deploy Runbook"]


def test_read_current_or_an_old_revision(ep):
    page = ok(ep, "wiki.read", page="deploy  runbook")
    assert page["id"] == "pg0001" and page["revision"] == page["latest_revision"] == 1
    assert page["links"] == [{"title": "Rollback Guide", "page": "pg0002"},
                             {"title": "On-call", "page": "pg0003"},
                             {"title": "Missing Page", "page": None}]
    assert page["redirected_from"] is None
    current = ok(ep, "wiki.read", page="pg0003")
    assert current["body"].startswith("Phone: +49 30 2222") and current["summary"] == "new phone"
    old = ok(ep, "wiki.read", page="On-call", revision=1)
    assert old["body"].startswith("Phone: +49 30 1111") and old["latest_revision"] == 2
    assert old["author"] == "vera" and old["at"] == "2026-02-03T10:00:00+00:00"


def test_history_and_diff(ep):
    history = ok(ep, "wiki.history", page="On-call")
    assert [(r["revision"], r["author"], r["summary"]) for r in history["revisions"]] == [
        (2, "omar", "new phone"), (1, "vera", "created")]
    assert ok(ep, "wiki.history", page="On-call", offset=1)["revisions"][0]["revision"] == 1
    diff = ok(ep, "wiki.diff", page="On-call", from_revision=1)
    assert diff.splitlines()[:5] == [
        "--- On-call (revision 1)", "+++ On-call (revision 2)", "@@ -1,2 +1,2 @@",
        "-Phone: +49 30 1111", "+Phone: +49 30 2222"]
    assert ok(ep, "wiki.diff", page="On-call", from_revision=2, to_revision=2) == \
        "revisions 2 and 2 have the same text"


def test_search_is_ranked_full_text(ep):
    found = ok(ep, "wiki.search", query="rollback")
    # the title counts five times the text: the page named so ranks first
    assert titles(found) == ["Rollback Guide", "Deploy Runbook", "On-call"]
    assert found["results"][0]["snippet"] == "[Rollback] Guide"
    assert titles(ok(ep, "wiki.search", query="cafe")) == ["Café Policy"]
    assert titles(ok(ep, "wiki.search", query="pay")) == []  # no substrings
    assert titles(ok(ep, "wiki.search", query="pay*")) == ["Rollback Guide"]
    assert titles(ok(ep, "wiki.search", query="phone 2222")) == ["On-call"]  # current text only
    assert titles(ok(ep, "wiki.search", query="1111")) == []
    assert ok(ep, "wiki.search", query="rollback", limit=1, offset=2)["total"] == 3


def test_backlinks_follow_titles_and_redirects(ep):
    back = ok(ep, "wiki.backlinks", page="Rollback Guide")
    assert titles(back) == ["Deploy Runbook", "On-call"]
    assert titles(ok(ep, "wiki.backlinks", page="Café Policy")) == []


def test_create_and_edit(ep):
    before = ep.world.digest()
    made = ok(ep, "wiki.create", title=" Incident   Review ",
              body="Template. Link: [[Deploy Runbook]]")
    assert made == {"id": "pg0005", "title": "Incident Review", "revision": 1,
                    "updated": NOW.isoformat(), "author": ME, "size": 34}
    assert ep.world.digest() != before
    assert titles(ok(ep, "wiki.backlinks", page="Deploy Runbook")) == ["Incident Review"]
    edited = ok(ep, "wiki.edit", page="Incident Review", body="Filled in.", summary="fill in",
                base_revision=1)
    assert edited["revision"] == 2
    assert ok(ep, "wiki.history", page="pg0005")["revisions"][0]["summary"] == "fill in"
    assert titles(ok(ep, "wiki.backlinks", page="Deploy Runbook")) == []  # current text only
    assert titles(ok(ep, "wiki.search", query="filled")) == ["Incident Review"]  # reindexed


def test_edit_refuses_a_stale_base(ep):
    text = err(ep, "wiki.edit", "changed since revision 1", page="On-call", body="x",
               summary="fix", base_revision=1)
    assert "revision 2 (omar: 'new phone')" in text and "read it again" in text
    ok(ep, "wiki.edit", page="On-call", body="Phone: +49 30 3333", summary="fix",
       base_revision=2)
    err(ep, "wiki.edit", "the same as revision 3", page="On-call", body="Phone: +49 30 3333",
        summary="again")


def test_move_keeps_a_redirect_and_changes_no_other_page(ep):
    store = ep.world.store("wiki", WikiStore)
    others = {p.id: p.model_dump_json() for p in store.pages if p.id != "pg0002"}
    moved = ok(ep, "wiki.move", page="Rollback Guide", new_title="Rollback Handbook",
               summary="clearer name")
    assert moved["title"] == "Rollback Handbook" and moved["redirect_from"] == "Rollback Guide"
    assert moved["revision"] == 2
    assert {p.id: p.model_dump_json() for p in store.pages if p.id != "pg0002"} == others
    via = ok(ep, "wiki.read", page="Rollback Guide")
    assert via["id"] == "pg0002" and via["title"] == "Rollback Handbook"
    assert via["redirected_from"] == "Rollback Guide"
    assert via["summary"] == "moved from 'Rollback Guide' to 'Rollback Handbook': clearer name"
    assert ok(ep, "wiki.read", page="Deploy Runbook")["links"][0] == {
        "title": "Rollback Guide", "page": "pg0002"}
    assert titles(ok(ep, "wiki.backlinks", page="Rollback Handbook")) == ["Deploy Runbook",
                                                                          "On-call"]
    assert ok(ep, "wiki.read", page="pg0002", revision=1)["title"] == "Rollback Guide"
    err(ep, "wiki.create", "taken by a redirect to 'Rollback Handbook'", title="rollback guide",
        body="x")
    # moving back onto its old title drops that redirect
    ok(ep, "wiki.move", page="pg0002", new_title="Rollback Guide")
    assert [r.title for r in store.redirects] == ["Rollback Handbook"]
    ok(ep, "wiki.move", page="On-call", new_title="on-call")  # a change of case only
    assert [r.title for r in store.redirects] == ["Rollback Handbook"]
    assert page_text(store, "ON-CALL").startswith("Phone")


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "wiki.list_pages")
    ok(ep, "wiki.search", query="rollback")
    ok(ep, "wiki.read", page="On-call", revision=1)
    ok(ep, "wiki.history", page="On-call")
    ok(ep, "wiki.backlinks", page="On-call")
    ok(ep, "wiki.diff", page="On-call", from_revision=1)
    assert ep.world.digest() == before


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("wiki.read", {"page": "Nope"}, "no page titled 'Nope'"),
    ("wiki.read", {"page": "On-call", "revision": 3}, "has revisions 1 to 2"),
    ("wiki.read", {"page": "On-call", "revision": 0}, "invalid arguments"),
    ("wiki.history", {"page": "pg0099"}, "no page titled"),
    ("wiki.diff", {"page": "On-call", "from_revision": 1, "to_revision": 5}, "revisions 1 to 2"),
    ("wiki.create", {"title": "on-CALL", "body": "x"}, "taken by page pg0003"),
    ("wiki.create", {"title": "A [[b]]", "body": "x"}, "cannot hold"),
    ("wiki.create", {"title": "A|B", "body": "x"}, "cannot hold"),
    ("wiki.create", {"title": "   ", "body": "x"}, "must not be blank"),
    ("wiki.create", {"title": "x" * 201, "body": "x"}, "at most 200 characters"),
    ("wiki.create", {"title": "Big", "body": "x" * 50_001}, "at most 50000 characters"),
    ("wiki.edit", {"page": "On-call", "body": "x", "summary": ""}, "invalid arguments"),
    ("wiki.edit", {"page": "On-call", "body": "x", "summary": "   "}, "must say what you changed"),
    ("wiki.edit", {"page": "On-call", "body": "x"}, "missing required argument 'summary'"),
    ("wiki.move", {"page": "On-call", "new_title": "Rollback Guide"}, "taken by page pg0002"),
    ("wiki.move", {"page": "On-call", "new_title": "On-call"}, "already titled"),
    ("wiki.move", {"page": "Ghost", "new_title": "New"}, "no page titled"),
    ("wiki.search", {"query": ""}, "invalid arguments"),
    ("wiki.search", {"query": "()"}, "no words to search for"),
    ("wiki.list_pages", {"limit": 0}, "invalid arguments"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)


def test_bounds(ep, monkeypatch):
    monkeypatch.setattr(wiki, "MAX_PAGES", 4)
    err(ep, "wiki.create", "holds 4 pages", title="Fifth", body="x")
    monkeypatch.setattr(wiki, "MAX_REVISIONS", 2)
    err(ep, "wiki.edit", "has 2 revisions", page="On-call", body="y", summary="s")
    err(ep, "wiki.move", "has 2 revisions", page="On-call", new_title="Pager")
    monkeypatch.setattr(wiki, "MAX_REVISIONS", 200)
    monkeypatch.setattr(wiki, "MAX_WRITTEN_CHARS", 400)
    ok(ep, "wiki.edit", page="Café Policy", body="z" * 380, summary="s")
    err(ep, "wiki.move", "400 characters of page text", page="Café Policy", new_title="Cafe")
    assert ep.world.store("wiki", WikiStore).written == 380
    monkeypatch.setattr(wiki, "MAX_DIFF_CHARS", 30)
    store = ep.world.store("wiki", WikiStore)
    store.add_revision("Café Policy", "\n".join(f"line {i}" for i in range(50)), "vera", day(9),
                       "long")
    assert ok(ep, "wiki.diff", page="Café Policy", from_revision=1).endswith(
        "[diff cut at 30 characters]")


def test_links_are_parsed_in_linear_time_and_bounded():
    assert links_in("[[A]] [[b|label]] [[A#x]] [[ c  d ]] [[]] [[x]y]] [[e") == ["A", "b", "c d"]
    assert links_in("[[a [[b]] [[c]]") == ["b", "c"]
    assert links_in("[[x]]" * 1000, limit=3) == ["x"]
    assert len(links_in("".join(f"[[p{i}]]" for i in range(1000)))) == wiki.MAX_LINKS
    assert links_in("[[" * 100_000) == []  # no closing: no work per opening
    assert norm_title("  On_call ") == norm_title("on call")


def test_store_builders_and_readers():
    store = _store()
    with pytest.raises(ValueError, match="taken"):
        store.add_page("deploy runbook", "x", "vera", day(1))
    with pytest.raises(ValueError, match="UTC offset"):
        store.add_page("New", "x", "vera", "2026-02-01T10:00")
    with pytest.raises(ValueError, match="no page"):
        store.add_revision("Ghost", "x", "vera", day(1), "s")
    with pytest.raises(GradeError, match="no page titled"):
        page_text(store, "Ghost")
    assert [p.id for p in store.backlinks_of("pg0003")] == ["pg0001"]
    assert WikiStore.model_validate_json(store.model_dump_json()) == store


def test_same_actions_give_the_same_digest(start_episode):
    digests = set()
    for _ in range(2):
        episode = start_episode(("wiki",), family="tests/wiki", now=NOW, stores={"wiki": _store()})
        ok(episode, "wiki.create", title="New", body="[[On-call]]")
        ok(episode, "wiki.edit", page="New", body="[[Deploy Runbook]]", summary="relink")
        ok(episode, "wiki.move", page="New", new_title="Newer")
        digests.add(episode.world.digest())
    assert len(digests) == 1


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("wiki.search", {"query": "rollback"}),
             ("wiki.create", {"title": "Straße ✓", "body": "[[On-call]]"}),
             ("wiki.edit", {"page": "On-call", "body": "new", "summary": "s", "base_revision": 1}),
             ("wiki.move", {"page": "Rollback Guide", "new_title": "Rollbacks"}),
             ("wiki.backlinks", {"page": "Rollbacks"}),
             ("wiki.diff", {"page": "Rollbacks", "from_revision": 1})]
    served, direct = (start_episode(("wiki",), family="tests/wiki", now=NOW,
                                    stores={"wiki": _store()}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_a_patched_index_ranks_as_a_fresh_one(start_episode):
    episode = start_episode(("wiki",), family="tests/wiki", now=NOW, stores={"wiki": _store()})
    ok(episode, "wiki.search", query="rollback")  # builds the index
    ok(episode, "wiki.edit", page="Café Policy", body="Rollback coffee, rollback tea.",
       summary="s")
    ok(episode, "wiki.create", title="Rollback FAQ", body="rollback rollback")
    ok(episode, "wiki.edit", page="Rollback Guide", body="Gone.", summary="s")
    patched = ok(episode, "wiki.search", query="rollback")
    fresh = start_episode(("wiki",), family="tests/wiki", now=NOW,
                          stores={"wiki": episode.world.store("wiki", WikiStore)})
    assert ok(fresh, "wiki.search", query="rollback") == patched
    assert titles(patched) == ["Rollback FAQ", "Rollback Guide", "Café Policy",
                               "Deploy Runbook", "On-call"]


def test_reads_are_marked_read_only_and_run_beside_other_calls():
    specs = WikiApp.tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == ['backlinks', 'diff', 'history', 'list_pages', 'read', 'search']
    assert all(s.concurrent == s.read_only for s in specs.values())
