import json
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_checks import crawl_site

from workgym.apps.crm import MAX_DEALS, CrmStore, crm_of, forecast, weighted
from workgym.content.crm import crm_store
from workgym.core import Episode, GradeError, Task, TaskSpec, WorldTemplate

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)


def make_store() -> CrmStore:
    store = CrmStore(user="U-01")
    store.add_user("Lena Novak", "lena.novak@sales.example")
    store.add_user("Omar Haddad", "omar.haddad@sales.example", "manager")
    halcyon = store.add_account("Halcyon Systems", industry="Software", city="Leeds",
                                owner="U-01")
    arden = store.add_account("Arden Freight", industry="Logistics", city="Porto",
                              owner="U-02")
    store.add_contact(halcyon.id, "Priya Sato", title="CTO", email="priya@halcyon.example")
    store.add_contact(halcyon.id, "Hugo Keller", title="Head of Procurement",
                      email="hugo@halcyon.example")
    store.add_contact(arden.id, "Rosa Duarte", title="COO", email="rosa@arden.example")
    store.add_deal(halcyon.id, "Seat licences 2026", "12000", date(2026, 4, 30),
                   stage="proposal", owner="U-01", contact="C-001", created=date(2026, 1, 10),
                   history=[(date(2026, 1, 10), "prospecting"), (date(2026, 2, 1), "proposal")])
    store.add_deal(halcyon.id, "Support plan 2026", "4500.50", date(2026, 3, 20),
                   stage="negotiation", owner="U-01", created=date(2026, 1, 20))
    store.add_deal(arden.id, "Fleet analytics", "30000", date(2026, 6, 15), owner="U-02",
                   created=date(2026, 2, 10))
    store.add_deal(arden.id, "Pilot 2025", "8000", date(2026, 1, 31), stage="closed_won",
                   owner="U-02", created=date(2025, 11, 1))
    store.add_activity("meeting", date(2026, 2, 20), "Pricing review", halcyon.id,
                       body="Priya wants a 5% discount.\n\nNext: revised quote.",
                       deal="D-001", contacts=["C-001"], author="U-01")
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("crm",), family="tests/crm", now=NOW, stores={"crm": make_store()})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    assert ep.world.digest() == before
    return result.text


def crm(ep: Episode) -> CrmStore:
    store = ep.world.stores["crm"]
    assert isinstance(store, CrmStore)
    return store


def ids(page) -> list[str]:
    return [row["id"] for row in page["results"]]


# -- accounts and contacts -----------------------------------------------------------------


def test_list_accounts_matches_words_sorted_by_name(ep):
    assert ids(ok(ep, "crm.list_accounts")) == ["A-002", "A-001"]
    assert ids(ok(ep, "crm.list_accounts", query="halc*")) == ["A-001"]
    assert ids(ok(ep, "crm.list_accounts", query="halc")) == []  # words, not substrings
    assert ids(ok(ep, "crm.list_accounts", industry="logistics")) == ["A-002"]
    assert ids(ok(ep, "crm.list_accounts", owner_id="U-01")) == ["A-001"]
    page = ok(ep, "crm.list_accounts", limit=1, offset=1)
    assert page["total"] == 2 and ids(page) == ["A-001"]
    err(ep, "crm.list_accounts", "list_users lists the team", owner_id="U-9")
    err(ep, "crm.list_accounts", "no words to search for", query="!!")
    err(ep, "crm.list_accounts", "less than or equal to 100", limit=101)


def test_get_account_gathers_contacts_deals_and_activities(ep):
    account = ok(ep, "crm.get_account", account_id="A-001")
    assert [c["name"] for c in account["contacts"]] == ["Hugo Keller", "Priya Sato"]
    assert [d["id"] for d in account["deals"]] == ["D-002", "D-001"]  # by close date
    assert account["activities"] == [{
        "id": "AC-0001", "kind": "meeting", "date": "2026-02-20", "subject": "Pricing review",
        "account": "A-001", "deal": "D-001", "contacts": ["C-001"], "author": "U-01",
        "preview": "Priya wants a 5% discount. Next: revised quote."}]
    err(ep, "crm.get_account", "list_accounts lists them", account_id="A-404")


def test_contacts_are_found_and_added(ep):
    assert ids(ok(ep, "crm.list_contacts", query="procurement")) == ["C-002"]
    assert ids(ok(ep, "crm.list_contacts", query="arden")) == ["C-003"]  # the account's name
    assert ids(ok(ep, "crm.list_contacts", account_id="A-001")) == ["C-002", "C-001"]
    made = ok(ep, "crm.add_contact", account_id="A-002", name=" Jonas Petrov ",
              email="Jonas@Arden.example", title="CFO")
    assert made == {"id": "C-004", "account": "A-002", "account_name": "Arden Freight",
                    "name": "Jonas Petrov", "title": "CFO", "email": "jonas@arden.example",
                    "phone": ""}
    assert ok(ep, "crm.get_contact", contact_id="C-001")["activities"] == ["AC-0001"]
    err(ep, "crm.add_contact", "already a contact's address", account_id="A-001",
        name="X", email="priya@halcyon.example")
    err(ep, "crm.add_contact", "not an e-mail address", account_id="A-001", name="X",
        email="priya at halcyon")
    err(ep, "crm.add_contact", "list_accounts lists them", account_id="A-9", name="X")
    err(ep, "crm.add_contact", "'name'", account_id="A-001", name="")
    err(ep, "crm.get_contact", "list_contacts lists them", contact_id="C-99")


# -- deals --------------------------------------------------------------------------------


def test_list_deals_filters_and_sorts_by_close_date(ep):
    assert ids(ok(ep, "crm.list_deals")) == ["D-004", "D-002", "D-001", "D-003"]
    assert ids(ok(ep, "crm.list_deals", open_only=True)) == ["D-002", "D-001", "D-003"]
    assert ids(ok(ep, "crm.list_deals", stage="proposal")) == ["D-001"]
    assert ids(ok(ep, "crm.list_deals", owner_id="U-02")) == ["D-004", "D-003"]
    assert ids(ok(ep, "crm.list_deals", closing_after="2026-03-20",
                  closing_before="2026-04-30")) == ["D-002", "D-001"]
    err(ep, "crm.list_deals", "ISO date such as 2026-04-30", closing_after="next week")
    err(ep, "crm.list_deals", "'stage'", stage="won")


def test_get_deal_shows_weighted_amount_and_history(ep):
    deal = ok(ep, "crm.get_deal", deal_id="D-002")
    assert (deal["amount"], deal["probability"], deal["weighted"]) == ("4500.50", 75, "3375.38")
    first = ok(ep, "crm.get_deal", deal_id="D-001")
    assert [h["stage"] for h in first["history"]] == ["prospecting", "proposal"]
    assert first["activities"] == ["AC-0001"] and first["contact"] == "C-001"
    err(ep, "crm.get_deal", "list_deals lists them", deal_id="D-999")


def test_moving_a_deal_sets_its_probability_and_records_the_move(ep):
    moved = ok(ep, "crm.move_deal", deal_id="D-001", stage="negotiation",
               note="Discount agreed")
    assert (moved["stage"], moved["probability"], moved["updated"]) == (
        "negotiation", 75, "2026-03-02")
    assert moved["history"][-1] == {"date": "2026-03-02", "stage": "negotiation", "by": "U-01",
                                    "note": "Discount agreed"}
    back = ok(ep, "crm.move_deal", deal_id="D-001", stage="qualification")
    assert back["probability"] == 20 and back["close_date"] == "2026-04-30"
    won = ok(ep, "crm.move_deal", deal_id="D-001", stage="closed_won")
    assert (won["probability"], won["close_date"]) == (100, "2026-03-02")  # dated today
    err(ep, "crm.move_deal", "a closed deal is final", deal_id="D-001", stage="proposal")
    err(ep, "crm.move_deal", "a closed deal is final", deal_id="D-004", stage="negotiation")


def test_a_lost_deal_needs_its_reason(ep):
    err(ep, "crm.move_deal", "say why the deal was lost", deal_id="D-003", stage="closed_lost")
    err(ep, "crm.move_deal", "only with a move to closed_lost", deal_id="D-003",
        stage="proposal", lost_reason="Too expensive")
    err(ep, "crm.move_deal", "already at prospecting", deal_id="D-003", stage="prospecting")
    lost = ok(ep, "crm.move_deal", deal_id="D-003", stage="closed_lost",
              lost_reason=" Chose a competitor ")
    assert (lost["stage"], lost["probability"], lost["lost_reason"]) == (
        "closed_lost", 0, "Chose a competitor")


def test_update_deal_changes_only_what_is_given(ep):
    updated = ok(ep, "crm.update_deal", deal_id="D-001", amount="13,250.5", probability=60,
                 next_step="Send revised quote", contact_id="C-002")
    assert (updated["amount"], updated["probability"], updated["weighted"]) == (
        "13250.50", 60, "7950.30")
    assert updated["next_step"] == "Send revised quote" and updated["contact"] == "C-002"
    assert updated["close_date"] == "2026-04-30" and updated["stage"] == "proposal"
    err(ep, "crm.update_deal", "give at least one of", deal_id="D-001")
    err(ep, "crm.update_deal", "between 1 and 99", deal_id="D-001", probability=100)
    err(ep, "crm.update_deal", "is in the past", deal_id="D-001", close_date="2026-03-01")
    err(ep, "crm.update_deal", "positive number with at most two decimals", deal_id="D-001",
        amount="12.345")
    err(ep, "crm.update_deal", "positive number", deal_id="D-001", amount="-5")
    err(ep, "crm.update_deal", "works at A-002", deal_id="D-001", contact_id="C-003")
    err(ep, "crm.update_deal", "closed deal's amount", deal_id="D-004", amount="9000")
    assert ok(ep, "crm.update_deal", deal_id="D-004", next_step="Upsell call")["next_step"] \
        == "Upsell call"  # a closed deal keeps notes


def test_create_deal(ep):
    made = ok(ep, "crm.create_deal", account_id="A-002", name="Warehouse sensors",
              amount="22000", close_date="2026-05-31", stage="qualification",
              contact_id="C-003")
    assert (made["id"], made["owner"], made["probability"], made["created"]) == (
        "D-005", "U-01", 20, "2026-03-02")
    assert made["history"] == [{"date": "2026-03-02", "stage": "qualification", "by": "U-01",
                                "note": ""}]
    err(ep, "crm.create_deal", "starts open", account_id="A-002", name="X", amount="1",
        close_date="2026-05-31", stage="closed_won")
    err(ep, "crm.create_deal", "is in the past", account_id="A-002", name="X", amount="1",
        close_date="2025-05-31")
    err(ep, "crm.create_deal", "works at A-001", account_id="A-002", name="X", amount="1",
        close_date="2026-05-31", contact_id="C-001")


def test_the_deal_count_is_bounded(ep):
    store = crm(ep)
    model = store.deals[0]
    store.deals += [model.model_copy(update={"id": f"D-{n:04d}"})
                    for n in range(len(store.deals) + 1, MAX_DEALS + 1)]
    err(ep, "crm.create_deal", f"holds {MAX_DEALS} deals", account_id="A-001", name="One more",
        amount="1", close_date="2026-05-01")


# -- activities and the forecast -----------------------------------------------------------------


def test_log_activity_against_a_deal_takes_its_account(ep):
    logged = ok(ep, "crm.log_activity", kind="call", subject="Follow-up", body="Quote sent.",
                deal_id="D-003", contact_ids=["C-003", "C-003"])
    assert logged == {"id": "AC-0002", "kind": "call", "date": "2026-03-02",
                      "subject": "Follow-up", "account": "A-002", "deal": "D-003",
                      "contacts": ["C-003"], "author": "U-01", "body": "Quote sent."}
    dated = ok(ep, "crm.log_activity", kind="note", subject="Old note", account_id="A-001",
               date="2026-02-27")
    assert dated["date"] == "2026-02-27"
    assert ids(ok(ep, "crm.list_activities")) == ["AC-0002", "AC-0003", "AC-0001"]
    assert ids(ok(ep, "crm.list_activities", account_id="A-001", kind="note")) == ["AC-0003"]
    assert ok(ep, "crm.get_activity", activity_id="AC-0002")["body"] == "Quote sent."
    err(ep, "crm.log_activity", "give the account (or the deal)", kind="note", subject="x")
    err(ep, "crm.log_activity", "belongs to account A-002", kind="note", subject="x",
        account_id="A-001", deal_id="D-003")
    err(ep, "crm.log_activity", "works at A-002", kind="note", subject="x",
        account_id="A-001", contact_ids=["C-003"])
    err(ep, "crm.log_activity", "'kind'", kind="lunch", subject="x", account_id="A-001")
    err(ep, "crm.get_activity", "list_activities lists them", activity_id="AC-9")


def test_forecast_sums_open_deals_by_stage_with_weights(ep):
    whole = ok(ep, "crm.forecast")
    assert whole["stages"] == [
        {"stage": "prospecting", "deals": 1, "amount": "30000.00", "weighted": "3000.00"},
        {"stage": "qualification", "deals": 0, "amount": "0.00", "weighted": "0.00"},
        {"stage": "proposal", "deals": 1, "amount": "12000.00", "weighted": "6000.00"},
        {"stage": "negotiation", "deals": 1, "amount": "4500.50", "weighted": "3375.38"}]
    assert whole["open"] == {"deals": 3, "amount": "46500.50", "weighted": "12375.38"}
    assert whole["won"] == {"deals": 1, "amount": "8000.00"}
    march = ok(ep, "crm.forecast", closing_after="2026-03-01", closing_before="2026-03-31")
    assert march["open"] == {"deals": 1, "amount": "4500.50", "weighted": "3375.38"}
    assert march["won"]["deals"] == 0
    mine = ok(ep, "crm.forecast", owner_id="U-02")
    assert mine["open"]["deals"] == 1 and mine["won"]["deals"] == 1
    assert forecast(crm(ep)) == whole
    assert weighted("0.01", 50) == Decimal("0.01")  # half up


# -- state and readers -----------------------------------------------------------------------


def test_reads_keep_the_digest_and_writes_move_it(ep):
    before = ep.world.digest()
    for tool, args in [("crm.list_users", {}), ("crm.list_accounts", {}),
                       ("crm.get_account", {"account_id": "A-001"}), ("crm.list_deals", {}),
                       ("crm.get_deal", {"deal_id": "D-001"}), ("crm.list_activities", {}),
                       ("crm.forecast", {}), ("crm.list_contacts", {})]:
        ok(ep, tool, **args)
    assert ep.world.digest() == before
    ok(ep, "crm.move_deal", deal_id="D-003", stage="qualification")
    assert ep.world.digest() != before


def test_a_world_without_a_crm(start_episode):
    ep = start_episode(("crm",), family="tests/crm", now=NOW)
    before = ep.world.digest()
    assert ok(ep, "crm.list_deals")["total"] == 0
    err(ep, "crm.move_deal", "list_deals lists them", deal_id="D-001", stage="proposal")
    assert "crm" not in ep.world.stores and ep.world.digest() == before
    with pytest.raises(GradeError, match="no CRM"):
        crm_of(ep.world)


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = start_episode(("crm",), family="tests/crm", now=NOW, stores={"crm": make_store()})
        ok(ep, "crm.move_deal", deal_id="D-001", stage="closed_won", note="Signed")
        ok(ep, "crm.log_activity", kind="meeting", subject="Kick-off", deal_id="D-001")
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_crm_store_is_a_pure_function_of_its_stream():
    one = crm_store(random.Random(5), now=NOW, accounts=10, deals=40, activities=50)
    two = crm_store(random.Random(5), now=NOW, accounts=10, deals=40, activities=50)
    other = crm_store(random.Random(6), now=NOW, accounts=10, deals=40, activities=50)
    assert one.model_dump_json() == two.model_dump_json() != other.model_dump_json()
    json.loads(one.model_dump_json())
    today = NOW.date().isoformat()
    assert len(one.deals) == 40 and len(one.activities) == 50 and one.user == "U-01"
    assert [u.role for u in one.users] == ["rep", "rep", "rep", "manager"]
    for deal in one.deals:
        assert deal.history[-1].stage == deal.stage
        assert [h.date for h in deal.history] == sorted(h.date for h in deal.history)
        assert (deal.close_date >= today) == deal.is_open
        assert (deal.stage == "closed_lost") == bool(deal.lost_reason)
        contact = one.contact(deal.contact) if deal.contact else None
        assert contact is None or contact.account == deal.account
    for activity in one.activities:
        assert activity.date < today
        assert all(one.contact(c).account == activity.account for c in activity.contacts)
        deal = one.deal(activity.deal) if activity.deal else None
        assert deal is None or (deal.account == activity.account
                                and deal.created <= activity.date)


# -- the same change through the API and through the site -------------------------------------


def _ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def test_a_deal_moved_through_the_site_leaves_the_store_the_api_leaves(start_episode):
    api = start_episode(("crm",), family="tests/crm", now=NOW, stores={"crm": make_store()})
    ok(api, "crm.move_deal", deal_id="D-003", stage="closed_lost", note="Lost on price",
       lost_reason="Price too high")
    ok(api, "crm.log_activity", kind="call", subject="Debrief", body="They went elsewhere.",
       deal_id="D-003", contact_ids=["C-003"])
    gui = start_episode(("browser",), family="tests/crm", now=NOW, stores={"crm": make_store()})
    text = ok(gui, "browser.navigate", url="https://crm.example/deals")
    text = ok(gui, "browser.click", ref=_ref(text, "link", "D-003"))
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "New stage"),
       values=["Closed lost"])
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Move deal"))
    assert "the form was refused" in text and "say why the deal was lost" in text
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Lost reason"), text="Price too high")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Note"), text="Lost on price")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Move deal"))
    assert "status: Deal D-003 is now Closed lost." in text
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "Kind"), values=["Call"])
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Subject"), text="Debrief")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Notes"), text="They went elsewhere.")
    ok(gui, "browser.click", ref=_ref(text, "checkbox", "Involved: Rosa Duarte"))
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Log activity"))
    assert "- Page URL: https://crm.example/activities/AC-0002" in text
    assert crm(gui).model_dump() == crm(api).model_dump()


def test_a_deal_created_and_edited_through_the_site_matches_the_api(start_episode):
    api = start_episode(("crm",), family="tests/crm", now=NOW, stores={"crm": make_store()})
    ok(api, "crm.create_deal", account_id="A-001", name="Analytics add-on", amount="9500",
       close_date="2026-05-15", contact_id="C-002")
    ok(api, "crm.update_deal", deal_id="D-005", probability=15, next_step="Demo")
    gui = start_episode(("browser",), family="tests/crm", now=NOW, stores={"crm": make_store()})
    text = ok(gui, "browser.navigate", url="https://crm.example/accounts/A-001")
    text = ok(gui, "browser.click", ref=_ref(text, "link", "New deal"))
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Deal name"), text="Analytics add-on")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Amount"), text="9500")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Expected close date"), text="2026-05-15")
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "Main contact"),
       values=["Hugo Keller"])
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Create deal"))
    assert "status: Deal D-005 created." in text
    ok(gui, "browser.type", ref=_ref(text, "spinbutton", "Probability (%)"), text="15")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Next step"), text="Demo")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Save changes"))
    assert "status: Deal D-005 saved." in text
    assert crm(gui).model_dump() == crm(api).model_dump()


# -- hostile arguments over a populated CRM -------------------------------------------------------

_HOSTILE = ["", " ", "x" * 300, "\x00", "é", "*", "-1", "0", "1.5", "12,50", "1e9", "99999999999",
            "2026-03-02", "2026-02-30", "9999-12-31", "2026-03-10T08:00", None, 0, -1, 10**9,
            True, 2.5, [], {}, [""], {"": ""}]

_POPULATED = crm_store(random.Random(1), now=NOW, deals=20, activities=20)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_arguments_never_break_a_populated_crm(data):
    store = _POPULATED
    pool = _HOSTILE + [
        "A-001", "C-001", "D-001", "D-002", "AC-0001", "U-01", "U-02", "proposal", "closed_won",
        "closed_lost", "meeting", ["C-001", "C-002"]]
    task = Task(spec=TaskSpec(family="tests/crm", version=1, seed=0), prompt="",
                apps=("crm",), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={"crm": store}))
    with task.start() as ep:
        for _ in range(12):
            spec = data.draw(st.sampled_from(sorted(ep.tool_specs(), key=lambda s: s.name)))
            names = list(spec.parameters["properties"])
            args = {key: data.draw(st.sampled_from(pool)) for key in names
                    if data.draw(st.booleans())}
            before = ep.world.digest()
            result = ep.call(spec.name, args)
            assert ep.calls[-1].error != "internal", (spec.name, args, result.text)
            if not result.ok or spec.read_only:
                assert ep.world.digest() == before, (spec.name, args)


# -- over MCP ------------------------------------------------------------------------------------


async def test_the_mcp_path_gives_the_same_results_and_world(start_episode):
    from mcp.types import TextContent

    from workgym.serve import connect_in_process

    def started() -> Episode:
        return start_episode(("crm",), family="tests/crm", now=NOW, stores={"crm": make_store()})

    served, direct = started(), started()
    async with connect_in_process(served, mode="legacy") as client:
        for name, args in [
                ("crm_move_deal", {"deal_id": "D-001", "stage": "negotiation", "note": "ok"}),
                ("crm_move_deal", {"deal_id": "D-004", "stage": "proposal"}),
                ("crm_log_activity", {"kind": "call", "subject": "Check-in", "deal_id": "D-001"}),
                ("crm_forecast", {"closing_before": "2026-04-30"})]:
            result = await client.call_tool(name, args)
            assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text), name
    assert served.world.digest() == direct.world.digest()


# -- real HTML over loopback HTTP ----------------------------------------------------------------


def test_every_page_a_visitor_can_reach_is_html_over_http():
    store = crm_store(random.Random(3), now=NOW, deals=15, activities=15)
    assert len(crawl_site({"crm": store}, NOW, "crm.example")) >= 40
