from datetime import datetime, timedelta, timezone

import pytest

from workgym.apps.contacts import MAX_PEOPLE, ContactsApp, ContactsStore, build_contacts
from workgym.core import Episode
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)

OFFICES = [
    {"name": "Berlin", "address": "Torstraße 1, 10119 Berlin", "city": "Berlin",
     "country": "Germany", "timezone": "Europe/Berlin"},
    {"name": "Austin", "address": "500 Congress Ave", "city": "Austin", "country": "USA",
     "timezone": "America/Chicago"},
]
PEOPLE = [
    {"email": "amara.okafor@example.org", "name": "Amara Okafor", "role": "Chief Executive",
     "team": "Leadership", "timezone": "Europe/Berlin", "office": "Berlin"},
    {"email": "Bruno.Silva@example.org", "name": "Bruno Silva", "role": "VP Engineering",
     "team": "Leadership", "manager": "amara.okafor@example.org", "office": "Berlin",
     "timezone": "Europe/Berlin", "phone": "+49 30 1234"},
    {"email": "chen.tanaka@example.org", "name": "Chen Tanaka", "role": "Engineering Manager",
     "team": "Platform", "manager": "bruno.silva@example.org", "office": "Austin",
     "timezone": "America/Chicago"},
    {"email": "dalia.haddad@example.org", "name": "Dalia Haddad", "role": "Engineering Manager",
     "team": "Payments", "manager": "bruno.silva@example.org", "office": "Berlin",
     "timezone": "Europe/Berlin"},
    {"email": "emeka.novak@example.org", "name": "Emeka Novák", "role": "Platform Engineer",
     "team": "Platform", "manager": "chen.tanaka@example.org", "office": "Austin",
     "timezone": "America/Chicago"},
    {"email": "freya.costa@example.org", "name": "Freya Costa", "role": "Site Reliability Engineer",
     "team": "Platform", "manager": "chen.tanaka@example.org", "timezone": "Asia/Tokyo",
     "address": "Shibuya, Tokyo"},
    {"email": "ines.costa@example.org", "name": "Ines Costa", "role": "Payments Engineer",
     "team": "Payments", "manager": "dalia.haddad@example.org", "office": "Berlin",
     "timezone": "Europe/Berlin"},
    {"email": "ines.costa2@example.org", "name": "Ines Costa", "role": "Recruiter",
     "team": "People", "manager": "amara.okafor@example.org", "office": "Austin",
     "timezone": "America/Chicago"},
]


def _store() -> ContactsStore:
    return build_contacts(PEOPLE, OFFICES)


@pytest.fixture
def ep(start_episode):
    return start_episode(("contacts",), family="tests/contacts", now=NOW,
                         stores={"contacts": _store()})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def emails(page) -> list[str]:
    return [r["email"] for r in page["results"]]


def test_search_matches_whole_words_sorted_by_name(ep):
    everyone = ok(ep, "contacts.search")
    assert everyone["total"] == 8 and emails(everyone)[:2] == [
        "amara.okafor@example.org", "bruno.silva@example.org"]
    assert emails(ok(ep, "contacts.search", query="platform")) == [
        "chen.tanaka@example.org", "emeka.novak@example.org", "freya.costa@example.org"]
    assert emails(ok(ep, "contacts.search", query="PLATFORM manager")) == [
        "chen.tanaka@example.org"]  # every word must match
    assert emails(ok(ep, "contacts.search", query="novak")) == ["emeka.novak@example.org"]
    assert emails(ok(ep, "contacts.search", query="plat")) == []  # no substring matches
    assert emails(ok(ep, "contacts.search", query="plat*")) == [
        "chen.tanaka@example.org", "emeka.novak@example.org", "freya.costa@example.org"]
    assert emails(ok(ep, "contacts.search", query="austin recruiter")) == [
        "ines.costa2@example.org"]  # the office counts


def test_search_filters_and_pages(ep):
    assert emails(ok(ep, "contacts.search", team="payments")) == [
        "dalia.haddad@example.org", "ines.costa@example.org"]
    assert emails(ok(ep, "contacts.search", query="engineer*", office="Austin")) == [
        "chen.tanaka@example.org", "emeka.novak@example.org"]
    first = ok(ep, "contacts.search", limit=3)
    second = ok(ep, "contacts.search", limit=3, offset=3)
    assert first["total"] == second["total"] == 8 and second["offset"] == 3
    assert len(set(emails(first)) | set(emails(second))) == 6


def test_get_by_address_or_unique_name(ep):
    bruno = ok(ep, "contacts.get", person="BRUNO.SILVA@example.org")
    assert bruno == {
        "email": "bruno.silva@example.org", "name": "Bruno Silva", "role": "VP Engineering",
        "team": "Leadership", "office": "Berlin", "timezone": "Europe/Berlin",
        "manager": {"email": "amara.okafor@example.org", "name": "Amara Okafor"},
        "office_address": "Torstraße 1, 10119 Berlin", "local_time": "2026-03-02T09:00:00+01:00",
        "phone": "+49 30 1234", "address": "", "direct_reports": 2}
    freya = ok(ep, "contacts.get", person="  freya   costa ")
    assert freya["office"] is None and freya["address"] == "Shibuya, Tokyo"
    assert freya["local_time"] == "2026-03-02T17:00:00+09:00"
    assert ok(ep, "contacts.get", person="Amara Okafor")["manager"] is None


def test_reports_direct_and_transitive(ep):
    direct = ok(ep, "contacts.reports", person="Amara Okafor")
    assert direct["manager"] == "amara.okafor@example.org" and not direct["transitive"]
    assert emails(direct) == ["bruno.silva@example.org", "ines.costa2@example.org"]
    everyone = ok(ep, "contacts.reports", person="amara.okafor@example.org", transitive=True)
    assert [(r["email"], r["depth"]) for r in everyone["results"]] == [
        ("bruno.silva@example.org", 1), ("ines.costa2@example.org", 1),
        ("chen.tanaka@example.org", 2), ("dalia.haddad@example.org", 2),
        ("emeka.novak@example.org", 3), ("freya.costa@example.org", 3),
        ("ines.costa@example.org", 3)]
    assert everyone["results"][4]["manager"] == "chen.tanaka@example.org"
    assert ok(ep, "contacts.reports", person="Emeka Novák")["total"] == 0
    assert emails(ok(ep, "contacts.reports", person="amara.okafor@example.org",
                     transitive=True, limit=2, offset=5)) == [
        "freya.costa@example.org", "ines.costa@example.org"]


def test_manager_chain_goes_to_the_top(ep):
    chain = ok(ep, "contacts.manager_chain", person="freya.costa@example.org")
    assert chain["person"] == "freya.costa@example.org"
    assert [(m["email"], m["level"]) for m in chain["chain"]] == [
        ("chen.tanaka@example.org", 1), ("bruno.silva@example.org", 2),
        ("amara.okafor@example.org", 3)]
    assert ok(ep, "contacts.manager_chain", person="Amara Okafor")["chain"] == []


def test_teams_and_offices(ep):
    teams = ok(ep, "contacts.list_teams")
    assert [(t["team"], t["members"]) for t in teams["results"]] == [
        ("Leadership", 2), ("Payments", 2), ("People", 1), ("Platform", 3)]
    assert teams["results"][3]["offices"] == ["Austin"]
    platform = ok(ep, "contacts.list_team", team="platform")
    assert platform["team"] == "Platform" and platform["total"] == 3
    assert platform["results"][1]["manager"] == "chen.tanaka@example.org"
    offices = ok(ep, "contacts.list_offices")
    assert [(o["name"], o["people"], o["timezone"]) for o in offices] == [
        ("Austin", 3, "America/Chicago"), ("Berlin", 4, "Europe/Berlin")]


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("contacts.get", {"person": "Ines Costa"}, "2 people are named 'Ines Costa'"),
    ("contacts.get", {"person": "nobody@example.org"}, "nobody has the address"),
    ("contacts.get", {"person": "Zed Zimmer"}, "nobody is named 'Zed Zimmer'"),
    ("contacts.get", {"person": ""}, "invalid arguments"),
    ("contacts.reports", {"person": "x@example.org"}, "nobody has the address"),
    ("contacts.manager_chain", {"person": "Ines Costa"}, "give the e-mail address"),
    ("contacts.list_team", {"team": "Sales"}, "no team named 'Sales'; teams: Leadership"),
    ("contacts.search", {"team": "Sales"}, "no team named"),
    ("contacts.search", {"office": "Paris"}, "no office named 'Paris'; offices: Berlin, Austin"),
    ("contacts.search", {"query": "!!!"}, "no words to search for"),
    ("contacts.search", {"query": "x" * 201}, "at most 200 characters"),
    ("contacts.search", {"limit": 0}, "invalid arguments"),
    ("contacts.search", {"limit": 101}, "less than or equal to 100"),
    ("contacts.search", {"offset": -1}, "greater than or equal to 0"),
    ("contacts.reports", {"person": "Amara Okafor", "depth": 2}, "unknown argument"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok and match in result.text, result.text
    assert ep.calls[-1].error in ("tool_error", "invalid_args")
    assert ep.world.digest() == before


def test_reads_leave_the_digest_alone(ep):
    before = ep.world.digest()
    for tool in ("contacts.search", "contacts.list_teams", "contacts.list_offices"):
        ok(ep, tool)
    ok(ep, "contacts.reports", person="Amara Okafor", transitive=True)
    ok(ep, "contacts.manager_chain", person="freya.costa@example.org")
    assert ep.world.digest() == before


def test_same_template_same_digest(start_episode):
    digests = {start_episode(("contacts",), family="tests/contacts", now=NOW,
                             stores={"contacts": _store()}).world.digest() for _ in range(2)}
    assert len(digests) == 1


@pytest.mark.parametrize(("people", "offices", "match"), [
    ([PEOPLE[0], {**PEOPLE[1], "email": "AMARA.okafor@example.org"}], OFFICES, "listed twice"),
    ([{**PEOPLE[0], "manager": "ghost@example.org"}], OFFICES, "unknown manager"),
    ([{**PEOPLE[0], "manager": "bruno.silva@example.org"}, PEOPLE[1]], OFFICES, "loops"),
    ([{**PEOPLE[0], "manager": "amara.okafor@example.org"}], OFFICES, "loops"),
    ([PEOPLE[0]], [], "unknown office 'Berlin'"),
    ([{**PEOPLE[0], "timezone": "Mars/Olympus"}], OFFICES, "unknown time zone"),
    ([{**PEOPLE[0], "nickname": "A"}], OFFICES, "bad directory record"),
    ([{"name": "No Mail"}], OFFICES, "bad directory record"),
    ([{"name": "No Mail", "email": "nomail"}], OFFICES, "needs an e-mail address"),
    ([], [OFFICES[0], {**OFFICES[0], "name": "berlin"}], "listed twice"),
])
def test_build_contacts_refuses_bad_records(people, offices, match):
    with pytest.raises(ValueError, match=match):
        build_contacts(people, offices)


def test_build_contacts_bounds_and_round_trip():
    store = _store()
    assert store.person("Bruno.Silva@EXAMPLE.org") is not None
    assert ContactsStore.model_validate_json(store.model_dump_json()) == store
    many = [{"email": f"p{i}@example.org", "name": f"P {i}"} for i in range(MAX_PEOPLE + 1)]
    with pytest.raises(ValueError, match="at most"):
        build_contacts(many)


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("contacts.search", {"query": "engineer*", "limit": 2}),
             ("contacts.get", {"person": "Dalia Haddad"}),
             ("contacts.reports", {"person": "bruno.silva@example.org", "transitive": True}),
             ("contacts.get", {"person": "Ines Costa"})]
    served, direct = (start_episode(("contacts",), family="tests/contacts", now=NOW,
                                    stores={"contacts": _store()}) for _ in range(2))
    async with connect_in_process(served) as client:
        listed = (await client.list_tools()).tools
        assert sorted(t.name for t in listed) == sorted(t["name"] for t in direct.tools("mcp"))
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_reads_are_marked_read_only_and_run_beside_other_calls():
    specs = ContactsApp.tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == ['get', 'list_offices', 'list_team', 'list_teams', 'manager_chain', 'reports', 'search']
    assert all(s.concurrent == s.read_only for s in specs.values())


def test_build_contacts_reads_empty_manager_and_office_as_none():
    store = build_contacts([{"email": "head@example.org", "name": "Head", "manager": "",
                             "office": ""}])
    assert store.people[0].manager is None and store.people[0].office is None
