import json
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_checks import crawl_site

from workgym.apps.travel import Policy, TravelStore, distance_km, minutes_of, travel_of
from workgym.content.travel import CITIES, POLICIES, travel_store
from workgym.core import Episode, GradeError, Task, TaskSpec, WorldTemplate

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 4, 9, tzinfo=CET)


def make_store() -> TravelStore:
    store = TravelStore(policies={
        "standard": Policy(flight_cabin="economy", train_class="second",
                           hotel_night_cap="140.00"),
        "executive": Policy(flight_cabin="business", train_class="first",
                            hotel_night_cap="300.00")})
    store.add_place("BER", "Berlin", "Europe/Berlin", 52.520, 13.405, "DE")
    store.add_place("LIS", "Lisbon", "Europe/Lisbon", 38.722, -9.139, "PT")
    store.add_place("PRG", "Prague", "Europe/Prague", 50.075, 14.438, "CZ")
    store.add_flight("WF 100", "BER", "LIS", datetime(2026, 3, 10, 7, 5), 230, [
        ("economy", "180", 2), ("premium", "320", 1), ("business", "610", 0)])
    store.add_flight("WF 102", "BER", "LIS", datetime(2026, 3, 10, 9, 30), 230, [
        ("economy", "150", 5)])
    store.add_flight("WF 900", "LIS", "BER", datetime(2026, 3, 13, 18, 0), 215, [
        ("economy", "170", 4), ("business", "590", 2)])
    store.add_flight("WF 300", "BER", "LIS", datetime(2026, 3, 4, 8, 0), 230, [
        ("economy", "100", 9)])
    store.add_train("EC 171", "BER", "PRG", datetime(2026, 3, 9, 8, 40), 265, [
        ("second", "39.90", 10), ("first", "64", 0)])
    store.add_hotel("Harbour Inn Lisbon", "LIS", [
        (date(2026, 3, 10), "120", 3), (date(2026, 3, 11), "135", 1),
        (date(2026, 3, 12), "128", 0), (date(2026, 3, 13), "110", 4)], stars=3)
    store.add_hotel("Grand Suites Lisbon", "LIS", [
        (date(2026, 3, 10), "260", 5), (date(2026, 3, 11), "270", 5),
        (date(2026, 3, 12), "255", 5)], stars=5, centre_km=0.4)
    store.add_traveller("Lena Novak", "lena@staff.example", "standard", "BER")
    store.add_traveller("Omar Haddad", "omar@staff.example", "executive", "BER")
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("travel",), family="tests/travel", now=NOW,
                         stores={"travel": make_store()})


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


def travel(ep: Episode) -> TravelStore:
    store = ep.world.stores["travel"]
    assert isinstance(store, TravelStore)
    return store


def ids(page) -> list[str]:
    return [row["id"] for row in page["results"]]


# -- places and searches --------------------------------------------------------------------


def test_places_and_distances(ep):
    assert [p["code"] for p in ok(ep, "travel.list_places")["places"]] == ["BER", "LIS", "PRG"]
    far = ok(ep, "travel.get_distance", origin="Berlin", destination="lis")
    assert far["origin"] == "BER" and abs(far["km"] - 2312) < 15  # Berlin-Lisbon, 2,310 km
    near = ok(ep, "travel.get_distance", origin="PRG", destination="BER")
    assert abs(near["km"] - 280) < 10
    err(ep, "travel.get_distance", "list_places lists them", origin="BER", destination="XYZ")


def test_local_times_cross_time_zones(ep):
    flight = ok(ep, "travel.get_flight", flight_id="fl-0001")
    # 07:05 in Berlin (UTC+1) plus 3 h 50 min is 09:55 in Lisbon (UTC+0)
    assert (flight["depart"], flight["arrive"], flight["minutes"]) == (
        "2026-03-10T07:05", "2026-03-10T09:55", 230)
    assert ok(ep, "travel.get_train", train_id="TR-0001")["arrive"] == "2026-03-09T13:05"
    err(ep, "travel.get_flight", "search_flights finds them", flight_id="FL-9999")


def test_search_flights_filters_and_sorts(ep):
    assert ids(ok(ep, "travel.search_flights", origin="BER", destination="LIS",
                  date="2026-03-10")) == ["FL-0001", "FL-0002"]
    assert ids(ok(ep, "travel.search_flights", origin="BER", destination="LIS",
                  date="2026-03-10", sort="price")) == ["FL-0002", "FL-0001"]
    assert ids(ok(ep, "travel.search_flights", origin="BER", destination="LIS",
                  date="2026-03-10", cabin="premium")) == ["FL-0001"]
    assert ids(ok(ep, "travel.search_flights", origin="BER", destination="LIS",
                  date="2026-03-10", cabin="business")) == []  # sold out
    assert ids(ok(ep, "travel.search_flights", origin="BER", destination="LIS",
                  date="2026-03-10", max_price="160")) == ["FL-0002"]
    assert ids(ok(ep, "travel.search_flights", origin="LIS", destination="BER",
                  date="2026-03-10")) == []
    err(ep, "travel.search_flights", "ISO date such as", origin="BER", destination="LIS",
        date="10 March")
    err(ep, "travel.search_flights", "a number such as 250.00", origin="BER",
        destination="LIS", date="2026-03-10", max_price="cheap")
    trains = ok(ep, "travel.search_trains", origin="BER", destination="PRG", date="2026-03-09")
    assert ids(trains) == ["TR-0001"] and trains["results"][0]["minutes"] == 265
    assert ids(ok(ep, "travel.search_trains", origin="BER", destination="PRG",
                  date="2026-03-09", travel_class="first")) == []


def test_search_hotels_needs_a_room_every_night(ep):
    two = ok(ep, "travel.search_hotels", city="Lisbon", check_in="2026-03-10",
             check_out="2026-03-12")
    assert ids(two) == ["H-001", "H-002"] and two["results"][0]["total"] == "255.00"
    assert ids(ok(ep, "travel.search_hotels", city="LIS", check_in="2026-03-10",
                  check_out="2026-03-13")) == ["H-002"]  # H-001 is full on the 12th
    assert ids(ok(ep, "travel.search_hotels", city="LIS", check_in="2026-03-10",
                  check_out="2026-03-12", max_price_per_night="200")) == ["H-001"]
    assert ids(ok(ep, "travel.search_hotels", city="LIS", check_in="2026-03-10",
                  check_out="2026-03-12", min_stars=4)) == ["H-002"]
    err(ep, "travel.search_hotels", "must come after check-in", city="LIS",
        check_in="2026-03-12", check_out="2026-03-12")
    hotel = ok(ep, "travel.get_hotel", hotel_id="H-001", check_in="2026-03-11",
               check_out="2026-03-13")
    assert [n["date"] for n in hotel["nights"]] == ["2026-03-11", "2026-03-12"]


# -- bookings ------------------------------------------------------------------------------


def test_a_flight_within_the_policy_takes_a_seat(ep):
    booked = ok(ep, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001",
                reference="Lisbon summit")
    assert (booked["id"], booked["price"], booked["in_policy"], booked["policy_class"]) == (
        "B-0001", "180.00", True, "standard")
    assert travel(ep).flight("FL-0001").fare("economy").seats == 1
    err(ep, "travel.book_flight", "T-001 is on FL-0001", flight_id="FL-0002",
        traveller_id="T-001")  # 09:30 in Berlin is before 09:55 in Lisbon


def test_a_cabin_above_the_policy_needs_a_reason(ep):
    err(ep, "travel.book_flight", "premium is above the standard policy's economy",
        flight_id="FL-0001", traveller_id="T-001", cabin="premium")
    booked = ok(ep, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001",
                cabin="premium", exception_reason="Medical: needs the extra legroom")
    assert booked["in_policy"] is False
    assert booked["policy_notes"] == ["premium is above the standard policy's economy"]
    assert booked["exception_reason"] == "Medical: needs the extra legroom"
    fine = ok(ep, "travel.book_flight", flight_id="FL-0003", traveller_id="T-002",
              cabin="business", exception_reason="Not needed")
    assert fine["in_policy"] is True and fine["exception_reason"] == ""  # within policy


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("travel.book_flight", {"flight_id": "FL-0001", "cabin": "business"},
     "no business seat left"),
    ("travel.book_flight", {"flight_id": "FL-0002", "cabin": "premium"},
     "sells no premium; it sells economy"),
    ("travel.book_flight", {"flight_id": "FL-0004"}, "departed at 2026-03-04T08:00"),
    ("travel.book_flight", {"flight_id": "FL-0001", "traveller_id": "T-9"},
     "list_travellers lists them"),
    ("travel.book_train", {"train_id": "TR-0001", "travel_class": "first"},
     "no first seat left"),
    ("travel.book_train", {"train_id": "TR-0001", "travel_class": "business"},
     "'travel_class'"),
    ("travel.book_hotel", {"hotel_id": "H-001", "check_in": "2026-03-10",
                           "check_out": "2026-03-13"}, "full the night of 2026-03-12"),
    ("travel.book_hotel", {"hotel_id": "H-002", "check_in": "2026-03-10",
                           "check_out": "2026-03-11"},
     "costs 260.00, above the standard policy's cap of 140.00"),
    ("travel.book_hotel", {"hotel_id": "H-001", "check_in": "2026-03-13",
                           "check_out": "2026-03-15"}, "sells no room for the night of 2026-03-14"),
    ("travel.book_hotel", {"hotel_id": "H-001", "check_in": "2026-03-03",
                           "check_out": "2026-03-05"}, "is in the past"),
    ("travel.book_hotel", {"hotel_id": "H-001", "check_in": "2026-03-10",
                           "check_out": "2026-05-10"}, "at most 30 nights"),
])
def test_bookings_refuse_what_the_rules_forbid(ep, tool, args, match):
    err(ep, tool, match, **{"traveller_id": "T-001", **args})


def test_hotels_are_priced_night_by_night_and_never_twice(ep):
    stay = ok(ep, "travel.book_hotel", hotel_id="H-001", traveller_id="T-001",
              check_in="2026-03-10", check_out="2026-03-12")
    assert (stay["price"], stay["check_out"], stay["in_policy"]) == ("255.00", "2026-03-12", True)
    assert [n.rooms for n in travel(ep).hotel("H-001").nights] == [2, 0, 0, 4]
    err(ep, "travel.book_hotel", "T-001 stays at H-001 from 2026-03-10 to 2026-03-12",
        hotel_id="H-002", traveller_id="T-001", check_in="2026-03-11", check_out="2026-03-12",
        exception_reason="x")
    boss = ok(ep, "travel.book_hotel", hotel_id="H-002", traveller_id="T-002",
              check_in="2026-03-10", check_out="2026-03-13")
    assert (boss["price"], boss["in_policy"]) == ("785.00", True)
    ok(ep, "travel.book_train", train_id="TR-0001", traveller_id="T-001")


def test_cancelling_gives_the_seat_and_rooms_back(ep):
    ok(ep, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001")
    ok(ep, "travel.book_hotel", hotel_id="H-001", traveller_id="T-001",
       check_in="2026-03-10", check_out="2026-03-12")
    cancelled = ok(ep, "travel.cancel_booking", booking_id="b-0001")
    assert (cancelled["status"], cancelled["cancelled_on"]) == ("cancelled", "2026-03-04")
    assert travel(ep).flight("FL-0001").fare("economy").seats == 2
    ok(ep, "travel.cancel_booking", booking_id="B-0002")
    assert [n.rooms for n in travel(ep).hotel("H-001").nights] == [3, 1, 0, 4]
    err(ep, "travel.cancel_booking", "was cancelled on 2026-03-04", booking_id="B-0001")
    err(ep, "travel.cancel_booking", "list_bookings lists them", booking_id="B-0404")
    assert ok(ep, "travel.book_flight", flight_id="FL-0002", traveller_id="T-001")["id"] == \
        "B-0003"  # no longer on FL-0001
    assert ids(ok(ep, "travel.list_bookings", status="cancelled")) == ["B-0001", "B-0002"]
    assert ids(ok(ep, "travel.list_bookings", traveller_id="T-001", kind="flight")) == [
        "B-0001", "B-0003"]


def test_the_itinerary_is_in_time_order_with_totals(ep):
    ok(ep, "travel.book_flight", flight_id="FL-0003", traveller_id="T-001")
    ok(ep, "travel.book_hotel", hotel_id="H-001", traveller_id="T-001",
       check_in="2026-03-10", check_out="2026-03-12")
    ok(ep, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001", cabin="premium",
       exception_reason="Late booking")
    plan = ok(ep, "travel.get_itinerary", traveller_id="T-001")
    assert [(i["booking"], i["kind"], i["from"]) for i in plan["items"]] == [
        ("B-0003", "flight", "2026-03-10T07:05"), ("B-0002", "hotel", "2026-03-10"),
        ("B-0001", "flight", "2026-03-13T18:00")]
    assert (plan["total"], plan["out_of_policy"]) == ("745.00", 1)
    assert plan["by_kind"] == {"flight": "490.00", "train": "0.00", "hotel": "255.00"}
    assert ok(ep, "travel.get_policies")["policies"]["standard"]["hotel_night_cap"] == "140.00"


# -- state, readers and content -------------------------------------------------------------


def test_reads_keep_the_digest_and_writes_move_it(ep):
    before = ep.world.digest()
    for tool, args in [("travel.list_places", {}), ("travel.list_travellers", {}),
                       ("travel.search_flights", {"origin": "BER", "destination": "LIS",
                                                  "date": "2026-03-10"}),
                       ("travel.search_hotels", {"city": "LIS", "check_in": "2026-03-10",
                                                 "check_out": "2026-03-11"}),
                       ("travel.get_hotel", {"hotel_id": "H-001"}),
                       ("travel.list_bookings", {}),
                       ("travel.get_itinerary", {"traveller_id": "T-001"})]:
        ok(ep, tool, **args)
    assert ep.world.digest() == before
    ok(ep, "travel.book_train", train_id="TR-0001", traveller_id="T-002")
    assert ep.world.digest() != before


def test_a_world_without_a_desk(start_episode):
    ep = start_episode(("travel",), family="tests/travel", now=NOW)
    before = ep.world.digest()
    assert ok(ep, "travel.list_places")["places"] == []
    err(ep, "travel.book_flight", "search_flights finds them", flight_id="FL-0001",
        traveller_id="T-001")
    assert "travel" not in ep.world.stores and ep.world.digest() == before
    with pytest.raises(GradeError, match="no travel desk"):
        travel_of(ep.world)


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = start_episode(("travel",), family="tests/travel", now=NOW,
                           stores={"travel": make_store()})
        ok(ep, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001")
        ok(ep, "travel.book_hotel", hotel_id="H-001", traveller_id="T-001",
           check_in="2026-03-10", check_out="2026-03-11")
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_travel_store_is_a_pure_function_of_its_stream():
    one = travel_store(random.Random(2), now=NOW, places=6, days=5)
    two = travel_store(random.Random(2), now=NOW, places=6, days=5)
    other = travel_store(random.Random(3), now=NOW, places=6, days=5)
    assert one.model_dump_json() == two.model_dump_json() != other.model_dump_json()
    json.loads(one.model_dump_json())
    codes = {p.code for p in one.places}
    assert len(codes) == 6 and "BER" in codes and set(one.policies) == set(POLICIES)
    window = {(NOW.date() + timedelta(days=n)).isoformat() for n in range(1, 6)}
    cities = {c.code: c for c in CITIES}
    for leg in [*one.flights, *one.trains]:
        assert leg.depart[:10] in window and minutes_of(one, leg) > 0
        km = distance_km(one.place(leg.origin), one.place(leg.destination))
        assert km >= 350 if leg.id.startswith("FL") else km <= 800
        assert all(Decimal(f.price) > 0 and f.seats >= 0 for f in leg.fares)
    for train in one.trains:
        assert "DUB" not in (train.origin, train.destination)
    for hotel in one.hotels:
        assert {n.date for n in hotel.nights} == window and hotel.city in cities
    assert {t.policy_class for t in one.travellers} <= set(POLICIES)


# -- the same booking through the API and through the site -------------------------------------


def _ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def test_a_trip_booked_through_the_site_matches_the_api(start_episode):
    api = start_episode(("travel",), family="tests/travel", now=NOW,
                        stores={"travel": make_store()})
    ok(api, "travel.book_flight", flight_id="FL-0001", traveller_id="T-001", cabin="premium",
       exception_reason="Client pays the upgrade", reference="Lisbon summit")
    ok(api, "travel.book_hotel", hotel_id="H-001", traveller_id="T-001",
       check_in="2026-03-10", check_out="2026-03-12", reference="Lisbon summit")
    ok(api, "travel.cancel_booking", booking_id="B-0002")
    gui = start_episode(("browser",), family="tests/travel", now=NOW,
                        stores={"travel": make_store()})
    text = ok(gui, "browser.navigate", url="https://travel.example/")
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "From"), values=["BER"])
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "To"), values=["Lisbon (LIS)"])
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Date"), text="2026-03-10")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Search flights"))
    text = ok(gui, "browser.click", ref=_ref(text, "link", "WF 100"))
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "Cabin"), values=["premium"])
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Trip reference"), text="Lisbon summit")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Book this flight"))
    assert "the form was refused" in text and "above the standard policy's economy" in text
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Reason for booking above the policy"),
       text="Client pays the upgrade")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Book this flight"))
    assert "status: Booked B-0001: 320.00 EUR, out of policy." in text
    text = ok(gui, "browser.navigate",
              url="https://travel.example/hotels?city=LIS&check_in=2026-03-10"
                  "&check_out=2026-03-12")
    text = ok(gui, "browser.click", ref=_ref(text, "link", "Harbour Inn Lisbon"))
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Trip reference"), text="Lisbon summit")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Book a room"))
    assert "status: Booked B-0002: 255.00 EUR." in text
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Cancel booking"))
    assert "status: Booking B-0002 is cancelled." in text
    assert travel(gui).model_dump() == travel(api).model_dump()


# -- hostile arguments over a populated travel desk -----------------------------------------------

_HOSTILE = ["", " ", "x" * 300, "\x00", "é", "*", "-1", "0", "1.5", "12,50", "1e9", "99999999999",
            "2026-03-02", "2026-02-30", "9999-12-31", "2026-03-10T08:00", None, 0, -1, 10**9,
            True, 2.5, [], {}, [""], {"": ""}]

_POPULATED = travel_store(random.Random(1), now=NOW, places=5, days=4)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_arguments_never_break_a_populated_travel(data):
    store = _POPULATED
    pool = _HOSTILE + [
        "BER", "Berlin", "T-001", "T-004", "FL-0001", "FL-0002", "TR-0001", "H-001", "B-0001",
        "2026-03-05", "2026-03-06", "economy", "business", "first", "price"]
    task = Task(spec=TaskSpec(family="tests/travel", version=1, seed=0), prompt="",
                apps=("travel",), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={"travel": store}))
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
        return start_episode(("travel",), family="tests/travel", now=NOW,
                             stores={"travel": make_store()})

    served, direct = started(), started()
    async with connect_in_process(served, mode="legacy") as client:
        for name, args in [
                ("travel_book_flight", {"flight_id": "FL-0001", "traveller_id": "T-001"}),
                ("travel_book_flight", {"flight_id": "FL-0002", "traveller_id": "T-001"}),
                ("travel_book_hotel", {"hotel_id": "H-001", "traveller_id": "T-001",
                                       "check_in": "2026-03-10", "check_out": "2026-03-12"}),
                ("travel_get_itinerary", {"traveller_id": "T-001"})]:
            result = await client.call_tool(name, args)
            assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text), name
    assert served.world.digest() == direct.world.digest()


# -- real HTML over loopback HTTP ----------------------------------------------------------------


def test_every_page_a_visitor_can_reach_is_html_over_http():
    store = travel_store(random.Random(3), now=NOW, places=4, days=2)
    assert len(crawl_site({"travel": store}, NOW, "travel.example")) >= 8
