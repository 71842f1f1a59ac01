"""finance/accounts-payable: three-way match supplier invoices, pay or dispute, log it.

Description:
    Supplier invoices lie as PDF files under ``invoices/``. Each cites a purchase order;
    the orders are lines of ``purchasing/purchase-orders.xlsx`` and the deliveries lines of
    ``warehouse/goods-receipts.xlsx``. The controller's policy mail states the price
    tolerance and the account to pay from. An invoice matches when its PO exists for that
    supplier, no line bills more than was received, and no unit price exceeds the PO's by
    more than the tolerance. The agent pays each matching invoice by transfer (its
    supplier's payee, its total, its number as the reference), mails each supplier a
    dispute for every other invoice with the stated reason, and logs every decision in
    ``ap/decision-log.xlsx``.

Apps:
    pdf, sheets, payments, mail, files.

Criteria:
    - ``paid <invoice>``: one transfer from the policy's account to the supplier's payee,
      the invoice total, the invoice number as reference; precision-aware over every
      transfer made.
    - ``disputed <invoice>``: a mail to the supplier's billing address with exactly one
      ``Invoice:`` and one ``Reason:`` line; precision-aware over every mail sent.
    - ``logged <invoice>``: its row (invoice, supplier, decision, amount, reason);
      precision-aware over the log's rows.
    - ``payments are exactly the matching invoices`` and ``log is exactly the decisions``
      (weight 2 each).
    - guards: invoices, orders, receipts and mails untouched; mail only to the disputed
      suppliers.

Difficulty:
    Knobs set the invoices and how many fail, the tolerance and invoices priced within it,
    partial and split deliveries, a superseded policy, payees of suppliers with no invoice
    and two defects on one invoice. Reference calls: easy 14, medium 20, hard 30. ``richness`` adds everyday
    mails and notes, orders and receipts of suppliers with no invoice, and other payees.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.payments import PaymentsStore, iban, money_text
from workgym.apps.sheets import workbook_bytes
from workgym.content.companies import Company, Product, companies, products
from workgym.content.distractors import everyday_mails, everyday_notes, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.core import (
    Criterion,
    GradeContext,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    register_family,
    rng_for,
)

ORDERS, RECEIPTS, LOG = ("purchasing/purchase-orders.xlsx", "warehouse/goods-receipts.xlsx",
                         "ap/decision-log.xlsx")
LOG_SHEET = "Decisions"
LOG_COLUMNS = ("Invoice", "Supplier", "Decision", "Amount", "Reason")
PO_COLUMNS = ("PO", "Supplier", "SKU", "Description", "Quantity", "Unit price")
GRN_COLUMNS = ("GRN", "Date", "PO", "SKU", "Quantity")
NO_PO, QUANTITY, PRICE = "unknown PO", "quantity not received", "price above PO"
ACCOUNTS = ("Operating account", "Payroll account", "Tax reserve account", "Capital account")


class Knobs(BaseModel, frozen=True):
    invoices: int
    """Invoices to match."""
    failing: int
    """Invoices that fail the match (each with one reason)."""
    tolerance: bool
    """The policy allows a price tolerance above 0% (and some invoices use it)."""
    partial: bool
    """Some deliveries fall short of the order (and are billed as delivered)."""
    split: bool
    """Some lines arrive in two deliveries."""
    old_policy: bool
    """An earlier policy mail, with another tolerance and account, was superseded."""
    double_defect: bool
    """One failing invoice bills too much and at too high a price (quantity wins)."""
    distractors: int
    """Distractor items at richness 1."""


def _eur(cents: int) -> str:
    return f"EUR {cents // 100:,}.{cents % 100:02d}"


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()




class _Invoice(BaseModel, frozen=True):
    number: str
    supplier: str
    payee: str
    billing: str
    po: str
    lines: tuple[tuple[str, str, int, int], ...]
    """(SKU, description, quantity, unit cents) as billed."""
    reason: str
    """"" when it matches."""

    @property
    def total(self) -> int:
        return sum(q * p for *_, q, p in self.lines)


@register_family
class AccountsPayable(TaskFamily[Knobs]):
    """Three-way match supplier invoice PDFs with orders and receipts; pay, dispute, log."""

    name = "finance/accounts-payable"
    version = 1
    apps = ("pdf", "sheets", "payments", "mail", "files")
    levels = Levels(
        easy=Level(Knobs(invoices=3, failing=1, tolerance=False, partial=False, split=False,
                         old_policy=False, double_defect=False, distractors=4), calls=14),
        medium=Level(Knobs(invoices=6, failing=3, tolerance=True, partial=True, split=False,
                           old_policy=False, double_defect=False, distractors=7), calls=20),
        hard=Level(Knobs(invoices=11, failing=5, tolerance=True, partial=True, split=True,
                         old_policy=True, double_defect=True, distractors=10), calls=30),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # not richness-dependent: the answer stays the same
        now = datetime(2026, rng.randint(2, 11), rng.randint(10, 26), 9, 0, tzinfo=UTC)
        firm, *suppliers = companies(rng, 1 + k.invoices + 8)
        me, controller, buyer = people(rng, 3, domain=firm.domain)
        tolerance = rng.choice((2, 3, 5)) if k.tolerance else 0
        account = rng.choice(ACCOUNTS)
        store = PaymentsStore(owner=firm.name, allow_new_payees=False)
        for name in rng.sample(ACCOUNTS, len(ACCOUNTS)):
            store.add_account(name, "checking", f"{rng.randint(200, 900) * 1000}.00",
                              number=iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"))
        account_id = next(a.id for a in store.accounts if a.name == account)

        taken: set[str] = set()
        orders: list[tuple[Any, ...]] = []
        receipts: list[tuple[date, str, str, int]] = []
        invoices: list[_Invoice] = []
        reasons = [NO_PO, QUANTITY, PRICE]
        failing = [reasons[i % 3] for i in range(k.failing)]
        rng.shuffle(failing)
        kinds = failing + [""] * (k.invoices - k.failing)
        rng.shuffle(kinds)
        double = next((i for i, r in enumerate(kinds) if r == QUANTITY), -1) if k.double_defect \
            else -1
        used = suppliers[:k.invoices]
        payees: dict[str, str] = {}
        for supplier in rng.sample(used, len(used)) + suppliers[k.invoices:k.invoices + 2]:
            payees[supplier.name] = store.add_payee(
                supplier.name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"),
                f"billing@{supplier.domain}").id
        for n, (supplier, reason) in enumerate(zip(used, kinds, strict=True)):
            invoices.append(self._invoice(rng, k, now, supplier, reason, n == double, tolerance,
                                          taken, orders, receipts, payees[supplier.name]))

        rich = rng_for(spec, "distractors")
        box = Mailbox(me)
        files = self._distractors(rich, scaled(spec.richness, k.distractors), k, now, me,
                                  [controller, buyer], suppliers[k.invoices + 2:], taken,
                                  orders, receipts, store, box)
        self._policy(rng, box, k, now, me, controller, tolerance, account)
        for inv in invoices:
            files[f"invoices/{inv.number}.pdf"] = self._pdf(rng, inv, firm, now)
        files[ORDERS] = self._book("Lines", PO_COLUMNS, sorted(orders))
        grns = [(f"GRN-{n:05d}", d.isoformat(), po, sku, q) for n, (d, po, sku, q)
                in enumerate(sorted(receipts), rng.randint(1000, 5000))]
        files[RECEIPTS] = self._book("Receipts", GRN_COLUMNS, grns)
        files[LOG] = self._book(LOG_SHEET, LOG_COLUMNS, [])
        mail_store, ids = box.build()

        pays = [inv for inv in invoices if not inv.reason]
        disputes = [inv for inv in invoices if inv.reason]
        pay_items = [(f"paid {i.number}", (i.payee, money_text(Decimal(i.total) / 100), i.number,
                                           account_id)) for i in pays]
        dispute_items = [(f"disputed {i.number}", (i.billing, i.number, _norm(i.reason)))
                         for i in disputes]
        log_items = [(f"logged {i.number}", self._log_key(i)) for i in invoices]
        checks = self._criteria(pay_items, dispute_items, log_items, disputes, me)

        plan = [ToolCall("mail.search", {"query": "policy", "sender": controller.email}),
                ToolCall("mail.read", {"message_id": ids["policy"]}),
                ToolCall("files.list", {"path": "invoices"}),
                *(ToolCall("pdf.read_pages", {"path": f"invoices/{i.number}.pdf"})
                  for i in sorted(invoices, key=lambda i: i.number)),
                ToolCall("sheets.read_range", {"path": ORDERS, "sheet": "Lines"}),
                ToolCall("sheets.read_range", {"path": RECEIPTS, "sheet": "Receipts"}),
                ToolCall("payments.list_accounts", {}),
                ToolCall("payments.list_payees", {})]
        for i in pays:
            plan.append(ToolCall("payments.transfer", {
                "from_account": account_id, "payee_id": i.payee,
                "amount": money_text(Decimal(i.total) / 100), "reference": i.number},
                items={"amount": (), "reference": ()}))
        for i in disputes:
            lines = (f"Invoice: {i.number}", f"Reason: {i.reason}")
            plan.append(ToolCall("mail.send", {
                "to": [i.billing], "subject": f"Invoice {i.number} disputed",
                "body": f"Hello,\n\nwe cannot pay this invoice as billed.\n\n{lines[0]}\n"
                        f"{lines[1]}\n\nPlease send a corrected invoice.\n\n{me.name}\n"
                        f"{firm.name}"}, items={"body": lines}))
        rows = [[i.number, i.supplier, "Dispute" if i.reason else "Pay",
                 i.total / 100, i.reason] for i in invoices]
        plan.append(ToolCall("sheets.append_rows", {"path": LOG, "sheet": LOG_SHEET,
                                                    "rows": rows}, items={"rows": ()}))
        return Task(spec=spec, prompt=self._prompt(me, firm, controller), apps=self.apps,
                    criteria=checks, reference=tuple(plan), artifacts=(LOG,),
                    template=WorldTemplate(now=now, files=files,
                                           stores={"mail": mail_store, "payments": store}))

    # -- world pieces ---------------------------------------------------------------------

    def _po_number(self, rng: random.Random, taken: set[str]) -> str:
        while (number := f"PO-{rng.randint(40000, 49999)}") in taken:
            pass
        taken.add(number)
        return number

    def _order(self, rng: random.Random, k: Knobs, now: datetime, supplier: Company,
               taken: set[str], orders: list[tuple[Any, ...]],
               receipts: list[tuple[date, str, str, int]],
               ) -> tuple[str, list[tuple[Product, int, int]]]:
        """Order 1-3 products and receive them: (PO, [(product, ordered, received)])."""
        po = self._po_number(rng, taken)
        chosen = products(rng, supplier, rng.randint(1, 3))
        lines = []
        for product in chosen:
            ordered = rng.randint(2, 40)
            received = rng.randint(1, ordered - 1) if k.partial and rng.random() < 0.35 \
                else ordered
            orders.append((po, supplier.name, product.sku, product.name, ordered,
                           product.unit_cents / 100))
            day = (now - timedelta(days=rng.randint(8, 30))).date()
            if k.split and received > 1 and rng.random() < 0.4:
                first = rng.randint(1, received - 1)
                receipts += [(day, po, product.sku, first),
                             (day + timedelta(days=rng.randint(1, 5)), po, product.sku,
                              received - first)]
            else:
                receipts.append((day, po, product.sku, received))
            lines.append((product, ordered, received))
        return po, lines

    def _invoice(self, rng: random.Random, k: Knobs, now: datetime, supplier: Company,
                 reason: str, double: bool, tolerance: int, taken: set[str],
                 orders: list[tuple[Any, ...]], receipts: list[tuple[date, str, str, int]],
                 payee: str) -> _Invoice:
        po, lines = self._order(rng, k, now, supplier, taken, orders, receipts)
        billed: list[list[Any]] = [[p.sku, p.name, received, p.unit_cents]
                                   for p, _, received in lines]
        if tolerance and rng.random() < 0.5:  # a price rise within the tolerance still pays
            line = rng.choice(billed)
            line[3] = line[3] * (100 + rng.randint(1, tolerance)) // 100
        at = rng.randrange(len(billed))
        if reason == NO_PO:
            # The order was never placed: the invoice cites a PO number nobody issued.
            orders[:] = [o for o in orders if o[0] != po]
            receipts[:] = [r for r in receipts if r[1] != po]
            po = self._po_number(rng, taken)
        if reason == QUANTITY or double:
            billed[at][2] = lines[at][2] + rng.randint(1, 5)
        if reason == PRICE or double:
            base = lines[at][0].unit_cents
            billed[at][3] = base * (100 + tolerance) // 100 + max(1, base * rng.randint(1, 8)
                                                                   // 100)
        while (number := f"{supplier.slug[:3].upper()}-{now.year}-{rng.randint(1000, 9999)}"
               ) in taken:
            pass
        taken.add(number)
        return _Invoice(number=number, supplier=supplier.name, payee=payee,
                        billing=f"billing@{supplier.domain}", po=po,
                        lines=tuple((str(s), str(n), int(q), int(p)) for s, n, q, p in billed), reason=reason)

    def _pdf(self, rng: random.Random, inv: _Invoice, firm: Company, now: datetime) -> bytes:
        issued = (now - timedelta(days=rng.randint(1, 6))).date()
        rows = [["SKU", "Description", "Qty", "Unit price", "Amount"]]
        rows += [[s, n, str(q), _eur(p), _eur(q * p)] for s, n, q, p in inv.lines]
        rows.append(["", "", "", "Total due", _eur(inv.total)])
        return write_pdf(f"Invoice {inv.number}", [
            f"{inv.supplier}\nBilling queries: {inv.billing}",
            f"Bill to: {firm.name}, Accounts payable, {firm.city}",
            (f"Invoice number: {inv.number}\nInvoice date: {issued.isoformat()}\n"
             f"Your purchase order: {inv.po}\nPayment terms: 30 days net"),
            PdfTable(rows), PdfHeading("Payment", 2),
            f"Please pay {_eur(inv.total)} quoting {inv.number} as the reference.",
        ], author=inv.supplier)

    def _book(self, sheet: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
        wb = Workbook()
        ws = wb.worksheets[0]
        ws.title = sheet
        ws.append(list(columns))
        for row in rows:
            ws.append(list(row))
        return workbook_bytes(wb)

    def _policy(self, rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
                controller: Person, tolerance: int, account: str) -> None:
        def text(tol: int, acct: str) -> str:
            rule = (f"a unit price may be up to {tol}% above the PO price" if tol
                    else "a unit price must not be above the PO price at all")
            return letter(me.first, f"for supplier invoices the three-way match applies: "
                          f"the invoice's PO must exist for that supplier; no line may bill "
                          f"more than the goods receipts show as received for that PO and "
                          f"SKU; and {rule}. Pay matching invoices in full from the {acct}, "
                          f"with the invoice number as the payment reference.",
                          f"{controller.first}\nFinancial controller")
        if k.old_policy:
            old = rng.choice([t for t in (0, 1, 4, 10) if t != tolerance])
            box.receive(controller, "AP policy: invoice matching", text(
                old, rng.choice([a for a in ACCOUNTS if a != account])),
                now - timedelta(days=rng.randint(60, 120)))
        box.receive(controller, "AP policy: invoice matching (updated)" if k.old_policy
                    else "AP policy: invoice matching", text(tolerance, account),
                    now - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8)),
                    key="policy")

    def _distractors(self, rng: random.Random, count: int, k: Knobs, now: datetime,
                     me: Person, staff: list[Person], others: list[Company], taken: set[str],
                     orders: list[tuple[Any, ...]], receipts: list[tuple[date, str, str, int]],
                     store: PaymentsStore, box: Mailbox) -> dict[str, bytes]:
        """Answer-neutral content: everyday mails and notes, orders of suppliers that sent
        no invoice (received in full), and other payees."""
        kinds = ["mail", "note", "order", "payee"] * 3
        rng.shuffle(kinds)
        files: dict[str, bytes] = {}
        for n, kind in enumerate(kinds[:count]):
            if kind == "mail":
                everyday_mails(box, rng, 1, me, staff, now - timedelta(days=30), now)
            elif kind == "note":
                files.update(everyday_notes(rng, 1))
            elif kind == "order" and others:
                self._order(rng, k, now, others[n % len(others)], taken, orders, receipts)
            elif kind == "payee" and others:
                company = others[(n + 1) % len(others)]
                if all(p.name != company.name for p in store.payees):
                    store.add_payee(company.name, iban("DE", f"{rng.randint(10**17, 10**18-1)}"),
                                    f"billing@{company.domain}")
        return files

    def _prompt(self, me: Person, firm: Company, controller: Person) -> str:
        return (
            f"You act for {me.name} ({me.email}) in accounts payable at {firm.name}, with "
            f"their mailbox, files, the company's bank (payments) and workbooks. Process the "
            f"supplier invoices under invoices/ (PDF files) with a three-way match against "
            f"the purchase orders in {ORDERS} (sheet \"Lines\") and the goods receipts in "
            f"{RECEIPTS} (sheet \"Receipts\"), following the AP policy in the latest policy "
            f"mail from {controller.name}, the financial controller.\n\n"
            f"Pay each invoice that matches with one payments.transfer to its supplier's "
            f"payee, for the invoice's total, as the policy says. For each invoice that does "
            f"not match, mail its supplier's billing address (printed on the invoice), one "
            f"mail per invoice, with these lines in the body:\nInvoice: <invoice number>\n"
            f"Reason: <reason>\nwhere the reason is \"{NO_PO}\" (its PO is not among the "
            f"orders for that supplier), \"{QUANTITY}\" (a line bills more than was "
            f"received) or \"{PRICE}\" (a unit price is above the PO price by more than the "
            f"tolerance); when several apply, give the first of these three.\n\n"
            f"Log every invoice as one row of {LOG} (sheet \"{LOG_SHEET}\", columns "
            f"{', '.join(LOG_COLUMNS)}): the invoice number, the supplier's name, Pay or "
            f"Dispute, the invoice total as a number with 2 decimals, and the reason (empty "
            f"for Pay). Do not change the invoices, orders or receipts.")

    # -- grading --------------------------------------------------------------------------

    @staticmethod
    def _log_key(inv: _Invoice) -> tuple[str, str, str, str, str]:
        return (inv.number, _norm(inv.supplier), "dispute" if inv.reason else "pay",
                money_text(Decimal(inv.total) / 100), _norm(inv.reason))

    def _criteria(self, pay_items: list[tuple[str, Any]], dispute_items: list[tuple[str, Any]],
                  log_items: list[tuple[str, Any]], disputes: list[_Invoice], me: Person,
                  ) -> tuple[Criterion, ...]:
        def transfers(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(t.payee or f"own account {t.to_account}", t.amount, t.reference.strip(),
                     t.from_account) for t in wc.new_records(ctx, "payments", "transfers")]

        sent = wc.sent_mails()

        def mailed(ctx: GradeContext) -> list[tuple[str, ...]]:
            found: list[tuple[str, ...]] = []
            for mail in sent(ctx):
                values: dict[str, list[str]] = {"invoice": [], "reason": []}
                for line in mail.lines():
                    key, colon, value = line.partition(":")
                    if colon and _norm(key) in values:
                        values[_norm(key)].append(value.strip())
                one = all(len(v) == 1 for v in values.values())
                for who in mail.recipients:
                    found.append((wc.address(who), values["invoice"][0], _norm(values["reason"][0]))
                                 if one else (wc.address(who), "malformed", mail.subject))
            return found

        def log_row(invoice: Any, supplier: Any, decision: Any, amount: Any, reason: Any,
                    ) -> tuple[str, ...]:
            return (str(invoice or "").strip(), _norm(supplier), _norm(decision),
                    wc.money(amount), _norm(reason))

        paid = wc.per_grade(transfers)
        disputed = wc.per_grade(mailed)
        log = wc.xlsx_rows(LOG, LOG_SHEET, LOG_COLUMNS, row=log_row)
        inputs = ["invoices", "purchasing", "warehouse"]
        return (
            *wc.item_credit(pay_items, paid, group="invoice paid"),
            *wc.item_credit(dispute_items, disputed, group="invoice disputed"),
            *wc.item_credit(log_items, log, group="decision logged"),
            wc.exact_items("payments are exactly the matching invoices",
                           [item for _, item in pay_items], paid, weight=2),
            wc.exact_items("log is exactly the decisions", [item for _, item in log_items],
                           log, weight=2),
            wc.unchanged("invoices, orders, receipts and mails untouched", folders=inputs,
                         records=[("mail", "messages")]),
            wc.only_recipients("mail only to the disputed suppliers",
                               [i.billing for i in disputes] + [me.email]),
        )
