from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from workgym.apps.payments import PaymentsStore, iban, money, money_text, valid_iban
from workgym.core import Episode
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 10, 9, tzinfo=CET)
PRINT_IBAN = iban("DE", "370400440532013000")
CLEAN_IBAN = iban("NL", "ABNA0417164300")


def _store() -> PaymentsStore:
    store = PaymentsStore(owner="Lena Novak")
    store.add_account("Everyday current account", "checking", "1000.00",
                      number=iban("DE", "500105175407324931"))           # ACC-01
    store.add_account("Savings", "savings", "5000.00",
                      number=iban("DE", "500105175407324932"))           # ACC-02
    store.add_account("Visa card", "card", "0.00", number="**** 4821",
                      credit_limit="2000.00")                            # ACC-03
    store.post("ACC-03", date(2026, 2, 3), "-42.10", "Café Lumen", merchant="Café Lumen",
               category="meals")                                          # TX-0001
    store.post("ACC-03", date(2026, 2, 20), "-180.00", "Rail ticket", merchant="DB Bahn",
               category="travel")                                         # TX-0002
    store.post("ACC-03", date(2026, 3, 2), "18.00", "Refund Rail", merchant="DB Bahn",
               category="travel")                                         # TX-0003
    store.post("ACC-01", date(2026, 2, 25), "2400.00", "Salary February", kind="deposit")
    store.add_payee("Nordlicht Print GmbH", PRINT_IBAN, "billing@nordlicht.example")
    store.add_payee("Clean Desk BV", CLEAN_IBAN)
    store.add_invoice("PAY-001", "NP-2026-118", "312.40", date(2026, 2, 1),
                      date(2026, 3, 1), "Flyers")                        # INV-0001, overdue
    store.add_invoice("PAY-002", "CD-77", "95.00", date(2026, 3, 1), date(2026, 3, 31),
                      "Office cleaning March")                            # INV-0002
    store.add_invoice("PAY-002", "CD-78", "9000.00", date(2026, 3, 2), date(2026, 4, 1),
                      "Refit")                                            # INV-0003
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("payments",), family="tests/payments", now=NOW,
                         stores={"payments": _store()})


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


def store_of(ep: Episode) -> PaymentsStore:
    return ep.world.store("payments", PaymentsStore)


def test_money_helpers_never_take_floats():
    assert money("12.5") == Decimal("12.50") and money_text(Decimal("-0.001") * 0) == "0.00"
    assert money_text("-42.1") == "-42.10"
    with pytest.raises(TypeError):
        money(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two decimals"):
        money("1.005")
    assert valid_iban("DE89 3704 0044 0532 0130 00") and PRINT_IBAN == "DE89370400440532013000"
    assert not valid_iban("DE88370400440532013000")


def test_list_accounts_shows_balances_and_credit(ep):
    result = ok(ep, "payments.list_accounts")
    assert result["owner"] == "Lena Novak" and result["today"] == "2026-03-10"
    accounts = {a["id"]: a for a in result["accounts"]}
    assert accounts["ACC-01"]["balance"] == "3400.00"  # 1000 + the salary
    assert accounts["ACC-01"]["number"].startswith("DE") and " " in accounts["ACC-01"]["number"]
    assert accounts["ACC-03"] == {"id": "ACC-03", "name": "Visa card", "kind": "card",
                                  "currency": "EUR", "number": "**** 4821",
                                  "balance": "-204.10", "credit_limit": "2000.00",
                                  "available_credit": "1795.90"}


def test_card_feed_filters_and_pages(ep):
    feed = ok(ep, "payments.list_transactions", account_id="ACC-03")
    assert feed["total"] == 3
    assert [t["id"] for t in feed["transactions"]] == ["TX-0003", "TX-0002", "TX-0001"]
    assert feed["transactions"][2]["amount"] == "-42.10"
    assert [t["id"] for t in ok(ep, "payments.list_transactions", text="db bahn")[
        "transactions"]] == ["TX-0003", "TX-0002"]
    assert [t["id"] for t in ok(ep, "payments.list_transactions", text="CAFÉ")[
        "transactions"]] == ["TX-0001"]
    assert [t["id"] for t in ok(ep, "payments.list_transactions", since="2026-02-20",
                                until="2026-02-25")["transactions"]] == ["TX-0004", "TX-0002"]
    assert [t["id"] for t in ok(ep, "payments.list_transactions", kind="deposit")[
        "transactions"]] == ["TX-0004"]
    page = ok(ep, "payments.list_transactions", limit=2, offset=2)
    assert page["total"] == 4 and [t["id"] for t in page["transactions"]] == [
        "TX-0002", "TX-0001"]


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "payments.list_accounts")
    ok(ep, "payments.list_transactions")
    ok(ep, "payments.list_payees")
    ok(ep, "payments.list_invoices")
    ok(ep, "payments.get_invoice", invoice_id="INV-0001")
    ok(ep, "payments.statement", account_id="ACC-03", month="2026-02")
    assert ep.world.digest() == before


def test_transfer_between_own_accounts_books_both_sides(ep):
    before = ep.world.digest()
    made = ok(ep, "payments.transfer", from_account="ACC-01", amount="250", to_account="ACC-02",
              reference="Rainy day")
    assert made == {"id": "TR-0001", "date": "2026-03-10", "from_account": "ACC-01",
                    "to_account": "ACC-02", "payee": None, "amount": "250.00",
                    "reference": "Rainy day", "invoice": None}
    assert ep.world.digest() != before
    store = store_of(ep)
    assert store.account("ACC-01").balance == "3150.00"  # type: ignore[union-attr]
    assert store.account("ACC-02").balance == "5250.00"  # type: ignore[union-attr]
    booked = [t for t in store.transactions if t.transfer == "TR-0001"]
    assert [(t.account, t.amount) for t in booked] == [("ACC-01", "-250.00"),
                                                        ("ACC-02", "250.00")]
    ok(ep, "payments.transfer", from_account="ACC-01", amount="204.10", to_account="ACC-03")
    assert store.account("ACC-03").balance == "0.00"  # type: ignore[union-attr]


def test_transfer_to_a_payee(ep):
    made = ok(ep, "payments.transfer", from_account="ACC-02", amount="12.34", payee_id="PAY-002")
    assert made["payee"] == "PAY-002" and made["to_account"] is None
    assert store_of(ep).transfers_to("PAY-002")[0].amount == "12.34"
    assert store_of(ep).account("ACC-02").balance == "4987.66"  # type: ignore[union-attr]


@pytest.mark.parametrize(("args", "match"), [
    ({"amount": "0"}, "not more than zero"),
    ({"amount": "-5.00"}, "positive amount"),
    ({"amount": "1.005"}, "at most two decimals"),
    ({"amount": "1e3"}, "positive amount"),
    ({"amount": "1,000.00"}, "positive amount"),
    ({"amount": "NaN"}, "positive amount"),
    ({"amount": "5000000000"}, "larger than"),
    ({"amount": "3400.01"}, "holds 3400.00 EUR"),
    ({"amount": "10.00", "to_account": None}, "exactly one of"),
    ({"amount": "10.00", "payee_id": "PAY-001"}, "exactly one of"),
    ({"amount": "10.00", "to_account": "ACC-01"}, "must differ"),
    ({"amount": "10.00", "to_account": "ACC-09"}, "payments.list_accounts"),
    ({"amount": "10.00", "to_account": None, "payee_id": "PAY-404"}, "payments.list_payees"),
    ({"amount": "10.00", "reference": "x" * 141}, "140 characters"),
])
def test_transfer_refuses_bad_arguments(ep, args, match):
    call = {"from_account": "ACC-01", "to_account": "ACC-02", **args}
    err(ep, "payments.transfer", match, **{k: v for k, v in call.items() if v is not None})


def test_transfer_refuses_floats_and_cards(ep):
    err(ep, "payments.transfer", "valid string", from_account="ACC-01", amount=10.5,
        to_account="ACC-02")
    err(ep, "payments.transfer", "card account", from_account="ACC-03", amount="10.00",
        to_account="ACC-01")


def test_payees_add_and_validate(ep):
    assert [p["id"] for p in ok(ep, "payments.list_payees")] == ["PAY-001", "PAY-002"]
    added = ok(ep, "payments.add_payee", name="Ada Lind", iban=iban("SE", "45000000058398257466"))
    assert added["added"] == "PAY-003"
    err(ep, "payments.add_payee", "not a valid IBAN", name="X", iban="DE00 1234")
    err(ep, "payments.add_payee", "already has IBAN", name="Dup", iban=PRINT_IBAN.lower())
    err(ep, "payments.add_payee", "1-120 characters", name=" ", iban=iban("FR", "30006000011234567890189"))
    store_of(ep).allow_new_payees = False
    err(ep, "payments.add_payee", "cannot be added", name="Y",
        iban=iban("FR", "30006000011234567890189"))


def test_invoices_list_and_pay(ep):
    listed = ok(ep, "payments.list_invoices")
    assert [i["id"] for i in listed["invoices"]] == ["INV-0001", "INV-0002", "INV-0003"]
    assert listed["invoices"][0]["overdue"] and not listed["invoices"][1]["overdue"]
    assert listed["invoices"][0]["payee_name"] == "Nordlicht Print GmbH"
    assert [i["id"] for i in ok(ep, "payments.list_invoices", payee_id="PAY-002",
                                due_before="2026-03-31")["invoices"]] == ["INV-0002"]
    assert ok(ep, "payments.get_invoice", invoice_id="INV-0001")["payee_iban"].startswith("DE89")
    paid = ok(ep, "payments.pay_invoice", invoice_id="INV-0001", from_account="ACC-01")
    assert paid["paid"] == "INV-0001"
    assert paid["transfer"]["reference"] == "NP-2026-118" and paid["transfer"]["amount"] == "312.40"
    invoice = store_of(ep).invoice("INV-0001")
    assert invoice is not None and invoice.status == "paid" and invoice.paid_on == "2026-03-10"
    assert invoice.transfer == paid["transfer"]["id"]
    assert store_of(ep).account("ACC-01").balance == "3087.60"  # type: ignore[union-attr]
    assert [i["id"] for i in ok(ep, "payments.list_invoices", status="paid")["invoices"]] == [
        "INV-0001"]
    err(ep, "payments.pay_invoice", "already paid on 2026-03-10", invoice_id="INV-0001",
        from_account="ACC-01")
    err(ep, "payments.pay_invoice", "holds 3087.60", invoice_id="INV-0003",
        from_account="ACC-01")
    err(ep, "payments.pay_invoice", "payments.list_invoices", invoice_id="INV-9",
        from_account="ACC-01")
    err(ep, "payments.pay_invoice", "card account", invoice_id="INV-0002",
        from_account="ACC-03")
    err(ep, "payments.list_invoices", "YYYY-MM-DD", due_before="March")


def test_statement_balances_add_up(ep):
    feb = ok(ep, "payments.statement", account_id="ACC-03", month="2026-02")
    assert (feb["opening_balance"], feb["money_in"], feb["money_out"],
            feb["closing_balance"]) == ("0.00", "0.00", "-222.10", "-222.10")
    assert [t["id"] for t in feb["transactions"]] == ["TX-0001", "TX-0002"]
    ok(ep, "payments.transfer", from_account="ACC-01", amount="100.00", to_account="ACC-03")
    march = ok(ep, "payments.statement", account_id="ACC-03", month="2026-03")
    assert (march["opening_balance"], march["money_in"], march["closing_balance"]) == (
        "-222.10", "118.00", "-104.10")
    assert march["count"] == 2
    empty = ok(ep, "payments.statement", account_id="ACC-02", month="2025-12")
    assert empty["opening_balance"] == empty["closing_balance"] == "5000.00"
    err(ep, "payments.statement", "has not begun", account_id="ACC-01", month="2026-04")
    err(ep, "payments.statement", "YYYY-MM", account_id="ACC-01", month="2026-13")
    err(ep, "payments.statement", "YYYY-MM", account_id="ACC-01", month="Feb")


def test_bounds_on_paging(ep):
    err(ep, "payments.list_transactions", "between 1 and 200", limit=0)
    err(ep, "payments.list_transactions", "between 1 and 200", limit=201)
    err(ep, "payments.list_transactions", "offset", offset=-1)
    err(ep, "payments.list_transactions", "at most 120", text="x" * 121)
    err(ep, "payments.list_transactions", "YYYY-MM-DD", since="2026-2-1")


def test_same_calls_same_digest(start_episode):
    digests = []
    for _ in range(2):
        ep = start_episode(("payments",), family="tests/payments", now=NOW,
                           stores={"payments": _store()})
        assert ep.world.digest() == (digests[0][0] if digests else ep.world.digest())
        start = ep.world.digest()
        ok(ep, "payments.pay_invoice", invoice_id="INV-0002", from_account="ACC-02")
        ok(ep, "payments.transfer", from_account="ACC-01", amount="10.00", payee_id="PAY-001")
        digests.append((start, ep.world.digest()))
    assert digests[0] == digests[1] and digests[0][0] != digests[0][1]


def test_builder_validates():
    store = _store()
    with pytest.raises(ValueError, match="credit limit"):
        store.add_account("X", "checking", credit_limit="10.00")
    with pytest.raises(ValueError, match="not a valid IBAN"):
        store.add_payee("X", "DE00123")
    with pytest.raises(ValueError, match="already has an invoice"):
        store.add_invoice("PAY-001", "NP-2026-118", "1.00", "2026-01-01", "2026-01-02")
    with pytest.raises(ValueError, match="before it is issued"):
        store.add_invoice("PAY-001", "N2", "1.00", "2026-01-02", "2026-01-01")
    with pytest.raises(ValueError, match="no account"):
        store.post("ACC-99", "2026-01-01", "1.00", "x")


async def test_mcp_path_gives_the_same_results(start_episode):
    served, direct = (start_episode(("payments",), family="tests/payments", now=NOW,
                                    stores={"payments": _store()}) for _ in range(2))
    calls = [("payments.list_accounts", {}), ("payments.list_invoices", {"status": "open"}),
             ("payments.pay_invoice", {"invoice_id": "INV-0002", "from_account": "ACC-01"}),
             ("payments.transfer", {"from_account": "ACC-01", "amount": 3.5,
                                    "to_account": "ACC-02"}),
             ("payments.statement", {"account_id": "ACC-01", "month": "2026-03"})]
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name.replace(".", "_"), args)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text)
    assert served.world.digest() == direct.world.digest()
