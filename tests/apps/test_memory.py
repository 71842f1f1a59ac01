from datetime import datetime, timedelta, timezone

import pytest

from workgym.apps import memory
from workgym.apps.memory import MemoryApp, MemoryStore, build_memory
from workgym.core import Episode
from workgym.serve import connect_in_process

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))
SEEDED = {"trip/budget": "900 EUR", "owes:vera": "12.50", "trip/dates": "2026-04-10..14",
          "note": "x" * 100}


@pytest.fixture
def ep(start_episode):
    return start_episode(("memory",), family="tests/memory", now=NOW,
                         stores={"memory": build_memory(SEEDED)})


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


def test_get_and_get_many(ep):
    assert ok(ep, "memory.get", key="owes:vera") == {"key": "owes:vera", "value": "12.50"}
    assert ok(ep, "memory.get_many", keys=["trip/dates", "nope", "owes:vera", "nope"]) == {
        "values": {"trip/dates": "2026-04-10..14", "owes:vera": "12.50"}, "missing": ["nope"]}


def test_list_keys_sorted_with_prefix_and_pages(ep):
    listed = ok(ep, "memory.list_keys")
    assert [r["key"] for r in listed["results"]] == ["note", "owes:vera", "trip/budget",
                                                     "trip/dates"]
    assert listed["results"][0] == {"key": "note", "size": 100, "preview": "x" * 80}
    assert [r["key"] for r in ok(ep, "memory.list_keys", prefix="trip/")["results"]] == [
        "trip/budget", "trip/dates"]
    assert ok(ep, "memory.list_keys", prefix="Trip/")["total"] == 0  # keys are case-sensitive
    page = ok(ep, "memory.list_keys", limit=1, offset=2)
    assert page["total"] == 4 and page["results"][0]["key"] == "trip/budget"


def test_set_creates_or_replaces_and_delete_forgets(ep):
    before = ep.world.digest()
    assert ok(ep, "memory.set", key="owes:omar", value="7") == {
        "key": "owes:omar", "created": True, "size": 1}
    assert ep.world.digest() != before
    assert ok(ep, "memory.set", key="owes:omar", value="8.25")["created"] is False
    assert ok(ep, "memory.get", key="owes:omar")["value"] == "8.25"
    assert list(ep.world.store("memory", MemoryStore).entries)[:3] == [
        "note", "owes:omar", "owes:vera"]  # kept sorted
    assert ok(ep, "memory.delete", key="owes:omar") == "deleted 'owes:omar'"
    assert ep.world.digest() == before
    err(ep, "memory.get", "nothing is stored under 'owes:omar'", key="owes:omar")


def test_digest_depends_on_content_not_write_order(start_episode):
    digests = set()
    for order in (["a", "b"], ["b", "a"]):
        episode = start_episode(("memory",), family="tests/memory", now=NOW)
        for key in order:
            ok(episode, "memory.set", key=key, value=key.upper())
        digests.add(episode.world.digest())
    assert len(digests) == 1


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "memory.get", key="note")
    ok(ep, "memory.get_many", keys=["note", "x"])
    ok(ep, "memory.list_keys", prefix="t")
    assert ep.world.digest() == before


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("memory.get", {"key": "missing"}, "list_keys shows the keys"),
    ("memory.get", {"key": ""}, "invalid arguments"),
    ("memory.delete", {"key": "missing"}, "nothing is stored under 'missing'"),
    ("memory.set", {"key": " padded", "value": "v"}, "must not be empty or start or end"),
    ("memory.set", {"key": "two\nlines", "value": "v"}, "line breaks"),
    ("memory.set", {"key": "k" * 201, "value": "v"}, "at most 200 characters"),
    ("memory.set", {"key": "k", "value": "v" * 20_001}, "at most 20000 characters"),
    ("memory.set", {"key": "k", "value": 5}, "invalid arguments"),
    ("memory.get_many", {"keys": []}, "invalid arguments"),
    ("memory.get_many", {"keys": [f"k{i}" for i in range(51)]}, "at most 50"),
    ("memory.list_keys", {"limit": 101}, "invalid arguments"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)


def test_bounds(ep, monkeypatch):
    monkeypatch.setattr(memory, "MAX_ENTRIES", 5)
    ok(ep, "memory.set", key="fifth", value="5")
    err(ep, "memory.set", "holds 5 keys", key="sixth", value="6")
    ok(ep, "memory.set", key="fifth", value="replacing is fine")
    monkeypatch.setattr(memory, "MAX_STORE_CHARS", 250)
    err(ep, "memory.set", "holds 250 characters", key="note", value="y" * 200)


def test_build_memory_checks_entries():
    assert list(build_memory({"b": "1", "a": "2"}).entries) == ["a", "b"]
    with pytest.raises(ValueError, match="control characters"):
        build_memory({"tab\tkey": "v"})
    with pytest.raises(ValueError, match="value too long"):
        build_memory({"k": "v" * 20_001})


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("memory.set", {"key": "trip/ünïcode ✓", "value": "{\"a\": [1, 2]}"}),
             ("memory.list_keys", {"prefix": "trip/"}),
             ("memory.get_many", {"keys": ["trip/ünïcode ✓", "x"]}),
             ("memory.delete", {"key": "note"}),
             ("memory.get", {"key": "note"})]
    served, direct = (start_episode(("memory",), family="tests/memory", now=NOW,
                                    stores={"memory": build_memory(SEEDED)}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_reads_are_marked_read_only_and_run_beside_other_calls():
    specs = MemoryApp.tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == ['get', 'get_many', 'list_keys']
    assert all(s.concurrent == s.read_only for s in specs.values())
