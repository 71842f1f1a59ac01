"""payments: online banking (accounts, a card feed, payees, transfers, invoices, statements).

Money is always a decimal string with two places (``"1250.00"``, ``"-42.10"``), in the
store and on the wire, never a float: amounts the agent gives are strings such as
``"125.50"`` and are refused when they are not positive or have more than two decimals.

Every booking on an account is a transaction with a signed amount (money out is negative)
and a date. Card accounts hold the card feed: purchases are negative, refunds positive,
and the balance is what is owed (negative) on the card. Transfers move money from a
current or savings account to another of the owner's accounts or to a known payee; paying
an invoice is a transfer to the invoice's payee with the invoice number as its reference.
New bookings are dated on the world's frozen clock and get ids in sequence (``TX-0001``,
``TR-0001``...), so the same calls always give the same store.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workgym.core import App, Store, ToolError, tool

__all__ = [
    "Account",
    "Invoice",
    "Payee",
    "PaymentsApp",
    "PaymentsStore",
    "Transaction",
    "Transfer",
    "iban",
    "money",
    "money_text",
    "valid_iban",
]

AccountKind = Literal["checking", "savings", "card"]
InvoiceStatus = Literal["open", "paid"]

MAX_RESULTS = 200
"""Most rows one listing returns; page with ``offset`` for more."""
MAX_AMOUNT = Decimal("1000000000.00")
"""Largest amount a tool accepts."""
MAX_REFERENCE = 140
"""Longest transfer reference (the SEPA limit)."""
MAX_NAME = 120
_CENT = Decimal("0.01")


# -- money -------------------------------------------------------------------------------


def money(text: str | Decimal | int) -> Decimal:
    """A money value (store text, a Decimal or an int) as a Decimal with two places.

    Raises:
        TypeError: a float or a bool (money is never a float).
        ValueError: not a finite number, or more than two decimals.
    """
    if isinstance(text, (bool, float)):
        raise TypeError(f"money must be a decimal string, not {type(text).__name__}")
    try:
        value = Decimal(text) if not isinstance(text, Decimal) else text
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    if value != value.quantize(_CENT):
        raise ValueError(f"{text!r} has more than two decimals")
    return value.quantize(_CENT)


def money_text(value: Decimal | str | int) -> str:
    """The store's text of a money value: two decimals, ``-`` for negatives."""
    text = f"{money(value):.2f}"
    return "0.00" if text == "-0.00" else text


def _amount(text: str, field: str = "amount") -> Decimal:
    """A positive amount the agent gave, e.g. "125.50"."""
    hint = f"{field} must be a positive amount as a string with at most two decimals, " \
           f"such as '125.50'"
    cleaned = text.strip()
    whole, dot, cents = cleaned.partition(".")
    if (not whole.isdigit() or not whole.isascii() or len(whole) > 12
            or (dot and (not cents.isdigit() or not cents.isascii() or not 1 <= len(cents) <= 2))):
        raise ToolError(f"{hint} (got {text!r})")
    value = Decimal(cleaned).quantize(_CENT)
    if value <= 0:
        raise ToolError(f"{hint} (got {text!r}, which is not more than zero)")
    if value > MAX_AMOUNT:
        raise ToolError(f"{field} {text!r} is larger than {MAX_AMOUNT}")
    return value


# -- IBANs -------------------------------------------------------------------------------


def _iban_remainder(text: str) -> int:
    rearranged = text[4:] + text[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97


def _normal_iban(text: str) -> str:
    return "".join(text.split()).upper()


def valid_iban(text: str) -> bool:
    """Whether ``text`` (spaces allowed) is a well-formed IBAN with correct check digits."""
    value = _normal_iban(text)
    if not 15 <= len(value) <= 34 or not value.isascii() or not value.isalnum():
        return False
    if not value[:2].isalpha() or not value[2:4].isdigit():
        return False
    return _iban_remainder(value) == 1


def iban(country: str, bban: str) -> str:
    """An IBAN for a country code and a domestic account number, with its check digits
    (for families building payees): ``iban("DE", "370400440532013000")``.

    Raises:
        ValueError: a country code that is not two letters, or a malformed account number.
    """
    country = country.upper()
    bban = _normal_iban(bban)
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        raise ValueError(f"country must be a two-letter code, got {country!r}")
    if not 11 <= len(bban) <= 30 or not bban.isascii() or not bban.isalnum():
        raise ValueError(f"bban must be 11-30 letters and digits, got {bban!r}")
    check = 98 - _iban_remainder(f"{country}00{bban}")
    return f"{country}{check:02d}{bban}"


def _grouped(value: str) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


# -- the store ---------------------------------------------------------------------------


class Account(BaseModel):
    """One of the owner's accounts."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``ACC-01`` upwards."""
    name: str
    """What the bank shows, e.g. ``Everyday current account``."""
    kind: AccountKind
    currency: str = "EUR"
    number: str = ""
    """IBAN of a current or savings account; the masked card number of a card."""
    balance: str = "0.00"
    """Booked balance; on a card, negative is what is owed."""
    credit_limit: str | None = None
    """Cards only: the most that may be owed."""


class Payee(BaseModel):
    """Someone the owner may send money to."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``PAY-001`` upwards."""
    name: str
    iban: str
    """Without spaces."""
    email: str = ""


class Transaction(BaseModel):
    """One booking on an account."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``TX-0001`` upwards."""
    account: str
    date: str
    """ISO date of booking, ``YYYY-MM-DD``."""
    amount: str
    """Signed: money in is positive, money out negative."""
    description: str
    kind: str = "card"
    """``card`` (purchases and refunds), ``transfer``, ``deposit``, ``direct_debit``, ``fee``..."""
    merchant: str = ""
    """Card purchases: the merchant's name."""
    category: str = ""
    transfer: str | None = None
    """Id of the transfer that made this booking."""


class Transfer(BaseModel):
    """Money sent from one of the owner's accounts."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``TR-0001`` upwards."""
    date: str
    from_account: str
    to_account: str | None = None
    """One of the owner's accounts, or None for a payment to a payee."""
    payee: str | None = None
    """The payee's id, or None for a transfer between own accounts."""
    amount: str
    """Positive."""
    reference: str = ""
    invoice: str | None = None
    """Id of the invoice this transfer paid."""


class Invoice(BaseModel):
    """A bill from a payee."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``INV-0001`` upwards."""
    payee: str
    """The payee's id."""
    number: str
    """The payee's own invoice number, used as the payment reference."""
    amount: str
    currency: str = "EUR"
    issued: str
    """ISO date."""
    due: str
    """ISO date."""
    description: str = ""
    status: InvoiceStatus = "open"
    paid_on: str | None = None
    transfer: str | None = None
    """Id of the transfer that paid it."""


class PaymentsStore(Store):
    """The owner's bank: accounts, payees, bookings, transfers and invoices."""

    owner: str = ""
    """The account holder's name."""
    accounts: list[Account] = Field(default_factory=list)
    payees: list[Payee] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    invoices: list[Invoice] = Field(default_factory=list)
    allow_new_payees: bool = True
    """Whether ``payments.add_payee`` may add payees (families may lock the list)."""

    # -- building (families) and lookups ---------------------------------------------------

    def add_account(self, name: str, kind: AccountKind, balance: str | Decimal = "0.00", *,
                    currency: str = "EUR", number: str = "",
                    credit_limit: str | Decimal | None = None) -> Account:
        """Open an account with the next id and a starting balance.

        Raises:
            ValueError: a malformed balance or credit limit, or a credit limit on an
                account that is not a card.
        """
        if credit_limit is not None and kind != "card":
            raise ValueError("only card accounts have a credit limit")
        account = Account(id=f"ACC-{len(self.accounts) + 1:02d}", name=name, kind=kind,
                          currency=currency, number=number, balance=money_text(balance),
                          credit_limit=None if credit_limit is None else money_text(credit_limit))
        self.accounts.append(account)
        return account

    def add_payee(self, name: str, iban_text: str, email: str = "") -> Payee:
        """Add a payee with the next id.

        Raises:
            ValueError: an IBAN with wrong check digits.
        """
        if not valid_iban(iban_text):
            raise ValueError(f"{iban_text!r} is not a valid IBAN")
        payee = Payee(id=f"PAY-{len(self.payees) + 1:03d}", name=name,
                      iban=_normal_iban(iban_text), email=email)
        self.payees.append(payee)
        return payee

    def post(self, account: str, on: date | str, amount: str | Decimal, description: str, *,
             kind: str = "card", merchant: str = "", category: str = "",
             transfer: str | None = None) -> Transaction:
        """Book a signed amount on an account (changing its balance), with the next id.

        Raises:
            ValueError: an unknown account, a malformed amount or date.
        """
        target = self.account(account)
        if target is None:
            raise ValueError(f"no account {account!r}")
        day = on if isinstance(on, str) else on.isoformat()
        date.fromisoformat(day)
        value = money(amount)
        row = Transaction(id=f"TX-{len(self.transactions) + 1:04d}", account=account,
                          date=day, amount=money_text(value), description=description,
                          kind=kind, merchant=merchant, category=category, transfer=transfer)
        self.transactions.append(row)
        target.balance = money_text(money(target.balance) + value)
        return row

    def add_invoice(self, payee: str, number: str, amount: str | Decimal, issued: date | str,
                    due: date | str, description: str = "", *,
                    currency: str = "EUR") -> Invoice:
        """Add an open invoice with the next id.

        Raises:
            ValueError: an unknown payee, a duplicate number for that payee, a malformed
                amount or date, or a due date before the issue date.
        """
        if self.payee(payee) is None:
            raise ValueError(f"no payee {payee!r}")
        if any(i.payee == payee and i.number == number for i in self.invoices):
            raise ValueError(f"payee {payee} already has an invoice numbered {number!r}")
        issued_text = issued if isinstance(issued, str) else issued.isoformat()
        due_text = due if isinstance(due, str) else due.isoformat()
        if date.fromisoformat(due_text) < date.fromisoformat(issued_text):
            raise ValueError("an invoice cannot be due before it is issued")
        value = money(amount)
        if value <= 0:
            raise ValueError("an invoice amount must be positive")
        invoice = Invoice(id=f"INV-{len(self.invoices) + 1:04d}", payee=payee, number=number,
                          amount=money_text(value), currency=currency, issued=issued_text,
                          due=due_text, description=description)
        self.invoices.append(invoice)
        return invoice

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def payee(self, payee_id: str) -> Payee | None:
        return next((p for p in self.payees if p.id == payee_id), None)

    def invoice(self, invoice_id: str) -> Invoice | None:
        return next((i for i in self.invoices if i.id == invoice_id), None)

    def transfers_to(self, payee_id: str) -> list[Transfer]:
        """Every transfer to a payee, oldest first (for graders)."""
        return [t for t in self.transfers if t.payee == payee_id]


# -- the app -----------------------------------------------------------------------------


class PaymentsApp(App):
    """Online banking for the account holder: accounts (ids like "ACC-01"), the card feed,
    payees ("PAY-001"), transfers ("TR-0001"), invoices ("INV-0001") and monthly
    statements. Amounts are decimal strings with two places, e.g. "125.50"; money out of
    an account shows as a negative amount."""

    name = "payments"

    @property
    def store(self) -> PaymentsStore:
        existing = self.world.stores.get("payments")
        if isinstance(existing, PaymentsStore):
            return existing
        return self.world.store("payments", PaymentsStore)

    def _today(self) -> date:
        return self.world.now.date()

    @tool(read_only=True)
    def list_accounts(self) -> dict[str, Any]:
        """The holder's accounts: id, name, kind (checking, savings or card), currency,
        number (IBAN, or the masked card number), booked balance and, for cards, the
        credit limit and what is still available."""
        rows = []
        for account in self.store.accounts:
            row: dict[str, Any] = account.model_dump()
            if account.kind != "card":
                row["number"] = _grouped(account.number) if account.number else ""
                row.pop("credit_limit")
            elif account.credit_limit is not None:
                row["available_credit"] = money_text(
                    money(account.credit_limit) + money(account.balance))
            rows.append(row)
        return {"owner": self.store.owner, "today": self._today().isoformat(),
                "accounts": rows}

    @tool(read_only=True)
    def list_transactions(
        self,
        account_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        text: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Bookings on the accounts, newest first (the card feed is the bookings on card
        accounts). Each has an id, account, date, signed amount, description, kind,
        merchant and category.

        Args:
            account_id: only this account, e.g. "ACC-02"; default every account.
            since: only bookings on or after this date (YYYY-MM-DD).
            until: only bookings on or before this date (YYYY-MM-DD).
            text: only bookings whose description or merchant contains this text
                (case-insensitive).
            kind: only this kind: card, transfer, deposit, direct_debit, fee...
            limit: most bookings to return (1-200).
            offset: bookings to skip, for the next page.
        """
        _page(limit, offset)
        if account_id is not None:
            self._account(account_id)
        start = _day(since, "since") if since is not None else None
        end = _day(until, "until") if until is not None else None
        needle = text.casefold().strip() if text else ""
        if len(needle) > MAX_NAME:
            raise ToolError(f"text must be at most {MAX_NAME} characters")
        found = []
        for row in self.store.transactions:
            if account_id is not None and row.account != account_id.strip():
                continue
            if kind is not None and row.kind != kind.strip():
                continue
            day = date.fromisoformat(row.date)
            if (start and day < start) or (end and day > end):
                continue
            if needle and needle not in f"{row.description}\n{row.merchant}".casefold():
                continue
            found.append(row)
        found.sort(key=lambda r: (r.date, r.id), reverse=True)
        return {"total": len(found), "offset": offset,
                "transactions": [r.model_dump() for r in found[offset:offset + limit]]}

    @tool(read_only=True)
    def list_payees(self) -> list[dict[str, Any]]:
        """Every payee the holder may pay: id, name, IBAN and e-mail, by id."""
        return [{**p.model_dump(), "iban": _grouped(p.iban)} for p in self.store.payees]

    @tool(destructive=False)
    def add_payee(self, name: str, iban: str, email: str = "") -> dict[str, Any]:
        """Add a payee to pay later. The IBAN's check digits must be right.

        Args:
            name: the payee's name, e.g. "Nordlicht Print GmbH".
            iban: the payee's IBAN, spaces allowed, e.g. "DE89 3704 0044 0532 0130 00".
            email: the payee's e-mail address, if known.
        """
        if not self.store.allow_new_payees:
            raise ToolError("new payees cannot be added here; pay one of the payees that "
                            "payments.list_payees lists")
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise ToolError(f"name must be 1-{MAX_NAME} characters")
        if len(email) > MAX_NAME:
            raise ToolError(f"email must be at most {MAX_NAME} characters")
        if len(iban) > 64 or not valid_iban(iban):
            raise ToolError(f"{iban!r} is not a valid IBAN (two letters, two check digits, "
                            "then the account number; the check digits must match)")
        normal = _normal_iban(iban)
        same = next((p for p in self.store.payees if p.iban == normal), None)
        if same is not None:
            raise ToolError(f"payee {same.id} ({same.name}) already has IBAN {_grouped(normal)}")
        payee = self.store.add_payee(name, normal, email.strip())
        return {"added": payee.id, **payee.model_dump(), "iban": _grouped(payee.iban)}

    @tool(destructive=False)
    def transfer(self, from_account: str, amount: str, to_account: str | None = None,
                 payee_id: str | None = None, reference: str = "") -> dict[str, Any]:
        """Send money from a checking or savings account, either to another of the holder's
        accounts (to_account; paying into a card account pays the card off) or to a payee
        (payee_id): give exactly one of the two. The account must hold the amount.

        Args:
            from_account: the account to send from, e.g. "ACC-01".
            amount: a positive amount as a string with at most two decimals, e.g. "250.00".
            to_account: one of the holder's other accounts, e.g. "ACC-02".
            payee_id: a payee from payments.list_payees, e.g. "PAY-003".
            reference: the text the receiver sees (at most 140 characters).
        """
        value = _amount(amount)
        source = self._source(from_account)
        if (to_account is None) == (payee_id is None):
            raise ToolError("give exactly one of to_account (one of your accounts) and "
                            "payee_id (a payee from payments.list_payees)")
        reference = self._reference(reference)
        if to_account is not None:
            target = self._account(to_account)
            if target.id == source.id:
                raise ToolError("to_account must differ from from_account")
            if target.currency != source.currency:
                raise ToolError(f"{target.id} is in {target.currency} and {source.id} in "
                                f"{source.currency}; transfers between currencies are not "
                                "supported")
            self._check_funds(source, value)
            return self._book(source, value, reference, to=target).model_dump()
        payee = self._payee(payee_id or "")
        self._check_funds(source, value)
        return self._book(source, value, reference, payee=payee).model_dump()

    @tool(read_only=True)
    def list_invoices(self, status: InvoiceStatus | None = None, payee_id: str | None = None,
                      due_before: str | None = None, limit: int = 50,
                      offset: int = 0) -> dict[str, Any]:
        """Invoices by due date (then id): id, payee, number, amount, issue and due dates,
        status (open or paid), whether an open one is overdue, and how a paid one was paid.

        Args:
            status: only open or only paid invoices.
            payee_id: only this payee's invoices, e.g. "PAY-002".
            due_before: only invoices due on or before this date (YYYY-MM-DD).
            limit: most invoices to return (1-200).
            offset: invoices to skip, for the next page.
        """
        _page(limit, offset)
        if payee_id is not None:
            self._payee(payee_id)
        end = _day(due_before, "due_before") if due_before is not None else None
        found = [i for i in self.store.invoices
                 if (status is None or i.status == status)
                 and (payee_id is None or i.payee == payee_id.strip())
                 and (end is None or date.fromisoformat(i.due) <= end)]
        found.sort(key=lambda i: (i.due, i.id))
        return {"total": len(found), "offset": offset,
                "invoices": [self._invoice_row(i) for i in found[offset:offset + limit]]}

    @tool(read_only=True)
    def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        """One invoice in full, with its payee's name and IBAN.

        Args:
            invoice_id: the invoice's id, e.g. "INV-0004".
        """
        invoice = self._invoice(invoice_id)
        row = self._invoice_row(invoice)
        payee = self.store.payee(invoice.payee)
        row["payee_iban"] = _grouped(payee.iban) if payee else None
        return row

    @tool(destructive=False)
    def pay_invoice(self, invoice_id: str, from_account: str) -> dict[str, Any]:
        """Pay an open invoice in full: a transfer of its amount to its payee, with the
        invoice number as the reference. The invoice is then marked paid today.

        Args:
            invoice_id: the invoice to pay, e.g. "INV-0004".
            from_account: the checking or savings account to pay from, e.g. "ACC-01".
        """
        invoice = self._invoice(invoice_id)
        if invoice.status == "paid":
            raise ToolError(f"{invoice.id} was already paid on {invoice.paid_on} "
                            f"(transfer {invoice.transfer})")
        source = self._source(from_account)
        if source.currency != invoice.currency:
            raise ToolError(f"{invoice.id} is in {invoice.currency} but {source.id} is in "
                            f"{source.currency}; pay it from a {invoice.currency} account")
        payee = self.store.payee(invoice.payee)
        if payee is None:
            raise ToolError(f"the payee of {invoice.id} is not among your payees; add it "
                            "with payments.add_payee first")
        value = money(invoice.amount)
        self._check_funds(source, value)
        made = self._book(source, value, invoice.number, payee=payee, invoice=invoice.id)
        invoice.status = "paid"
        invoice.paid_on = made.date
        invoice.transfer = made.id
        return {"paid": invoice.id, "transfer": made.model_dump()}

    @tool(read_only=True)
    def statement(self, account_id: str, month: str, offset: int = 0) -> dict[str, Any]:
        """An account's statement for one calendar month: opening and closing balances,
        money in and out, and the month's bookings in date order.

        Args:
            account_id: the account, e.g. "ACC-01".
            month: the month as YYYY-MM, e.g. "2026-02"; not after the current month.
            offset: bookings to skip, when a month holds more than 200.
        """
        account = self._account(account_id)
        start, end = _month(month)
        if start > self._today():
            raise ToolError(f"{month} has not begun yet (today is {self._today().isoformat()})")
        _page(MAX_RESULTS, offset)
        rows = [t for t in self.store.transactions if t.account == account.id]
        after = sum((money(t.amount) for t in rows if date.fromisoformat(t.date) >= end),
                    Decimal("0.00"))
        within = sorted((t for t in rows if start <= date.fromisoformat(t.date) < end),
                        key=lambda t: (t.date, t.id))
        closing = money(account.balance) - after
        net = sum((money(t.amount) for t in within), Decimal("0.00"))
        money_in = sum((money(t.amount) for t in within if money(t.amount) > 0),
                       Decimal("0.00"))
        return {
            "account": account.id, "name": account.name, "currency": account.currency,
            "month": f"{start:%Y-%m}",
            "opening_balance": money_text(closing - net),
            "money_in": money_text(money_in),
            "money_out": money_text(net - money_in),
            "closing_balance": money_text(closing),
            "count": len(within), "offset": offset,
            "transactions": [t.model_dump() for t in within[offset:offset + MAX_RESULTS]],
        }

    # -- helpers -------------------------------------------------------------------------

    def _account(self, account_id: str) -> Account:
        account = self.store.account(account_id.strip())
        if account is None:
            raise ToolError(f"no account {account_id!r}; payments.list_accounts lists them "
                            "(ids look like 'ACC-01')")
        return account

    def _source(self, account_id: str) -> Account:
        account = self._account(account_id)
        if account.kind == "card":
            raise ToolError(f"{account.id} is a card account; send money from a checking or "
                            "savings account")
        return account

    def _payee(self, payee_id: str) -> Payee:
        payee = self.store.payee(payee_id.strip())
        if payee is None:
            raise ToolError(f"no payee {payee_id!r}; payments.list_payees lists them (ids look "
                            "like 'PAY-001'), and payments.add_payee adds one")
        return payee

    def _invoice(self, invoice_id: str) -> Invoice:
        invoice = self.store.invoice(invoice_id.strip())
        if invoice is None:
            raise ToolError(f"no invoice {invoice_id!r}; payments.list_invoices lists them "
                            "(ids look like 'INV-0001')")
        return invoice

    def _reference(self, reference: str) -> str:
        reference = reference.strip()
        if len(reference) > MAX_REFERENCE or "\n" in reference:
            raise ToolError(f"reference must be one line of at most {MAX_REFERENCE} characters")
        return reference

    def _check_funds(self, source: Account, value: Decimal) -> None:
        balance = money(source.balance)
        if balance < value:
            raise ToolError(f"{source.id} holds {money_text(balance)} {source.currency}, less "
                            f"than {money_text(value)}; choose another account or a smaller "
                            "amount")

    def _book(self, source: Account, value: Decimal, reference: str, *,
              to: Account | None = None, payee: Payee | None = None,
              invoice: str | None = None) -> Transfer:
        store = self.store
        today = self._today().isoformat()
        made = Transfer(id=f"TR-{len(store.transfers) + 1:04d}", date=today,
                        from_account=source.id, to_account=to.id if to else None,
                        payee=payee.id if payee else None, amount=money_text(value),
                        reference=reference, invoice=invoice)
        store.transfers.append(made)
        where = to.name if to is not None else payee.name if payee is not None else ""
        text = f"Transfer to {where}" + (f": {reference}" if reference else "")
        store.post(source.id, today, -value, text, kind="transfer", transfer=made.id)
        if to is not None:
            back = f"Transfer from {source.name}" + (f": {reference}" if reference else "")
            store.post(to.id, today, value, back, kind="transfer", transfer=made.id)
        return made

    def _invoice_row(self, invoice: Invoice) -> dict[str, Any]:
        payee = self.store.payee(invoice.payee)
        row = invoice.model_dump()
        row["payee_name"] = payee.name if payee else None
        row["overdue"] = (invoice.status == "open"
                          and date.fromisoformat(invoice.due) < self._today())
        return row


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_RESULTS:
        raise ToolError(f"limit must be between 1 and {MAX_RESULTS}")
    if not 0 <= offset <= 1_000_000:
        raise ToolError("offset must be between 0 and 1000000")


def _day(text: str, field: str) -> date:
    try:
        if len(text.strip()) != 10:
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(f"{field} must be a date as YYYY-MM-DD, e.g. '2026-03-02', "
                        f"got {text!r}") from None


def _month(text: str) -> tuple[date, date]:
    """The first day of month ``YYYY-MM`` and of the month after it."""
    cleaned = text.strip()
    year, dash, number = cleaned.partition("-")
    if not (dash and len(year) == 4 and year.isdigit() and len(number) == 2
            and number.isdigit() and 1 <= int(number) <= 12 and int(year) >= 1900):
        raise ToolError(f"month must be YYYY-MM, e.g. '2026-02', got {text!r}")
    start = date(int(year), int(number), 1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end
