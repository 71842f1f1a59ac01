"""crm: a sales team's CRM (accounts, contacts, deals through their stages, activities).

One state, two surfaces: the ``crm`` app's tools (the API) and the CRM's website
(``https://crm.example/`` by default, the store's ``host``), which the browser app opens.
Both call the same rules below, so a deal moved either way leaves the same store.

The signed-in rep (``user``) owns the deals they create and is the author of what they
log; every rep sees every account, as in a small sales team.

A deal goes through the stages prospecting -> qualification -> proposal -> negotiation
and closes as closed_won or closed_lost. While it is open it may move to any stage, on
or back; each move is kept in its history (date, stage, who, note) and sets the stage's
probability (10, 20, 50 and 75 per cent; 100 won, 0 lost), which may then be adjusted
between 1 and 99 while the deal is open. Closing dates the deal's close date today; a
lost deal needs the reason it was lost. A closed deal is final: its stage, amount and
dates no longer change (a new opportunity is a new deal). An open deal's expected close
date cannot lie in the past.

The forecast of a period sums the open deals expected to close in it, by stage: their
amounts and their weighted amounts (amount x probability / 100, to the cent, half up),
next to what was won in the period.

Money is a decimal string with two places (``"12500.00"``) in the store's currency, in the
store and on the wire. Ids are assigned in sequence (``D-001``, ``AC-0001``...), dates
come from the world's frozen clock, listings are sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, TypeVar, cast, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import matches_terms, word_terms
from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    Node,
    Page,
    PortalSite,
    Redirect,
    Request,
    Section,
    Select,
    Table,
    Text,
    TextArea,
    action,
    page,
    paginate,
)
from workgym.core import App, GradeError, Store, ToolError, World, tool

__all__ = [
    "KINDS",
    "PROBABILITY",
    "STAGES",
    "Account",
    "Activity",
    "Contact",
    "CrmApp",
    "CrmError",
    "CrmSite",
    "CrmStore",
    "Deal",
    "StageChange",
    "User",
    "crm_of",
    "forecast",
    "weighted",
]

Stage = Literal["prospecting", "qualification", "proposal", "negotiation", "closed_won",
                "closed_lost"]
Kind = Literal["meeting", "call", "email", "note"]

STAGES: tuple[str, ...] = get_args(Stage)
"""The stages in pipeline order, the two closed ones last."""
OPEN_STAGES = STAGES[:4]
CLOSED_STAGES = frozenset({"closed_won", "closed_lost"})
PROBABILITY: dict[str, int] = {"prospecting": 10, "qualification": 20, "proposal": 50,
                               "negotiation": 75, "closed_won": 100, "closed_lost": 0}
"""The probability (per cent) a move to each stage sets."""
STAGE_LABELS: dict[str, str] = {"prospecting": "Prospecting", "qualification": "Qualification",
                                "proposal": "Proposal", "negotiation": "Negotiation",
                                "closed_won": "Closed won", "closed_lost": "Closed lost"}
KINDS: tuple[str, ...] = get_args(Kind)
"""Kinds of activity."""

MAX_RESULTS = 100
MAX_NAME = 200
MAX_TEXT = 10_000
"""Longest activity body (meeting notes)."""
MAX_NOTE = 1_000
MAX_CONTACTS = 2_000
MAX_DEALS = 2_000
MAX_ACTIVITIES = 5_000
MAX_HISTORY = 200
"""Most stage changes one deal keeps."""
MAX_AMOUNT = Decimal("1000000000.00")
MAX_LINKED = 20
"""Most contacts one activity names."""
_CENT = Decimal("0.01")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
Day = Annotated[str, Field(min_length=1, max_length=32, description="an ISO date, e.g. "
                                                                    "\"2026-04-30\"")]
Amount = Annotated[str, Field(min_length=1, max_length=32, description=(
    "a positive decimal string with at most two decimals, e.g. \"12500.00\""))]


def money_text(value: Decimal) -> str:
    """A money value as the store's text: two decimals."""
    text = f"{value.quantize(_CENT, ROUND_HALF_UP):.2f}"
    return "0.00" if text == "-0.00" else text


def weighted(amount: str, probability: int) -> Decimal:
    """``amount`` x ``probability`` / 100, to the cent (half up)."""
    return (Decimal(amount) * probability / 100).quantize(_CENT, ROUND_HALF_UP)


# -- the store ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Model):
    """A member of the sales team."""

    id: str
    """``U-01`` upwards."""
    name: str
    email: str
    role: Literal["rep", "manager"] = "rep"


class Account(_Model):
    """A customer or prospect company."""

    id: str
    """``A-001`` upwards."""
    name: str
    industry: str = ""
    city: str = ""
    website: str = ""
    owner: str = ""
    """The user id of the account's owner."""


class Contact(_Model):
    """A person at an account."""

    id: str
    """``C-001`` upwards."""
    account: str
    name: str
    title: str = ""
    email: str = ""
    phone: str = ""


class StageChange(_Model):
    """One step of a deal's history."""

    date: str
    stage: Stage
    by: str = ""
    """The user id that moved it."""
    note: str = ""


class Deal(_Model):
    """An opportunity: an amount expected to close on a date, at a stage."""

    id: str
    """``D-001`` upwards."""
    account: str
    name: str
    stage: Stage = "prospecting"
    amount: str
    """Decimal text, e.g. ``"12500.00"``."""
    probability: int = Field(default=10, ge=0, le=100)
    close_date: str
    """ISO date: expected while open, actual once closed."""
    owner: str = ""
    contact: str | None = None
    """The deal's main contact."""
    created: str
    updated: str
    lost_reason: str = ""
    next_step: str = ""
    history: list[StageChange] = Field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


class Activity(_Model):
    """A meeting, call, e-mail or note logged against an account (and maybe a deal)."""

    id: str
    """``AC-0001`` upwards."""
    kind: Kind
    date: str
    subject: str
    body: str = ""
    account: str
    deal: str | None = None
    contacts: list[str] = Field(default_factory=list)
    author: str = ""


class CrmStore(Store):
    """The CRM's whole state."""

    host: str = "crm.example"
    """Host name of the CRM's website."""
    name: str = "Pipeline CRM"
    currency: str = "EUR"
    user: str = ""
    """The signed-in user's id."""
    users: list[User] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    deals: list[Deal] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)

    # lookups ------------------------------------------------------------------------

    def user_(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    def deal(self, deal_id: str) -> Deal | None:
        return next((d for d in self.deals if d.id == deal_id), None)

    def activity(self, activity_id: str) -> Activity | None:
        return next((a for a in self.activities if a.id == activity_id), None)

    # builders for families ----------------------------------------------------------------

    def add_user(self, name: str, email: str, role: Literal["rep", "manager"] = "rep") -> User:
        """Add a member of the team, with the next id ``U-01``..."""
        user = User(id=f"U-{len(self.users) + 1:02d}", name=name, email=email, role=role)
        self.users.append(user)
        return user

    def add_account(self, name: str, *, industry: str = "", city: str = "", website: str = "",
                    owner: str = "") -> Account:
        """Add an account, with the next id ``A-001``...

        Raises:
            ValueError: an account of that name already, or an unknown owner.
        """
        if any(a.name.casefold() == name.casefold() for a in self.accounts):
            raise ValueError(f"an account named {name!r} exists")
        if owner and self.user_(owner) is None:
            raise ValueError(f"no user {owner!r}")
        account = Account(id=_next_id("A-", [a.id for a in self.accounts], 3), name=name,
                          industry=industry, city=city, website=website, owner=owner)
        self.accounts.append(account)
        return account

    def add_contact(self, account: str, name: str, *, title: str = "", email: str = "",
                    phone: str = "") -> Contact:
        """Add a contact at an account, with the next id ``C-001``...

        Raises:
            ValueError: an unknown account.
        """
        if self.account(account) is None:
            raise ValueError(f"no account {account!r}")
        contact = Contact(id=_next_id("C-", [c.id for c in self.contacts], 3), account=account,
                          name=name, title=title, email=email, phone=phone)
        self.contacts.append(contact)
        return contact

    def add_deal(self, account: str, name: str, amount: str | Decimal, close_date: date, *,
                 stage: Stage = "prospecting", owner: str = "", contact: str | None = None,
                 created: date, probability: int | None = None,
                 history: Sequence[tuple[date, Stage]] = (), next_step: str = "",
                 lost_reason: str = "") -> Deal:
        """Add a deal, with the next id ``D-001``... ``history`` is the stages it went
        through before (date, stage), oldest first; the current stage ends it.

        Raises:
            ValueError: an unknown account, owner or contact, or an amount that is not a
                positive number of cents.
        """
        if self.account(account) is None:
            raise ValueError(f"no account {account!r}")
        if owner and self.user_(owner) is None:
            raise ValueError(f"no user {owner!r}")
        if contact is not None and self.contact(contact) is None:
            raise ValueError(f"no contact {contact!r}")
        value = Decimal(amount)
        if value <= 0 or value != value.quantize(_CENT):
            raise ValueError(f"amount {amount!r} must be positive, in whole cents")
        steps = [StageChange(date=d.isoformat(), stage=s, by=owner) for d, s in history]
        if not steps or steps[-1].stage != stage:
            steps.append(StageChange(date=created.isoformat(), stage=stage, by=owner))
        deal = Deal(id=_next_id("D-", [d.id for d in self.deals], 3), account=account,
                    name=name, stage=stage, amount=money_text(value),
                    probability=PROBABILITY[stage] if probability is None else probability,
                    close_date=close_date.isoformat(), owner=owner, contact=contact,
                    created=created.isoformat(), updated=steps[-1].date, history=steps,
                    next_step=next_step, lost_reason=lost_reason)
        self.deals.append(deal)
        return deal

    def add_activity(self, kind: Kind, on: date, subject: str, account: str, *,
                     body: str = "", deal: str | None = None,
                     contacts: Sequence[str] = (), author: str = "") -> Activity:
        """Log an activity, with the next id ``AC-0001``...

        Raises:
            ValueError: an unknown account, deal or contact.
        """
        if self.account(account) is None:
            raise ValueError(f"no account {account!r}")
        if deal is not None and self.deal(deal) is None:
            raise ValueError(f"no deal {deal!r}")
        for contact in contacts:
            if self.contact(contact) is None:
                raise ValueError(f"no contact {contact!r}")
        made = Activity(id=_next_id("AC-", [a.id for a in self.activities], 4), kind=kind,
                        date=on.isoformat(), subject=subject, body=body, account=account,
                        deal=deal, contacts=list(contacts), author=author)
        self.activities.append(made)
        return made


def _next_id(prefix: str, taken: Sequence[str], width: int) -> str:
    numbers = [int(t[len(prefix):]) for t in taken
               if t.startswith(prefix) and t[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def crm_of(world: World) -> CrmStore:
    """The world's CRM, for graders.

    Raises:
        GradeError: the world has no CRM store.
    """
    store = world.stores.get("crm")
    if not isinstance(store, CrmStore):
        raise GradeError("the world has no CRM")
    return store


# -- the rules both surfaces share --------------------------------------------------------


class CrmError(Exception):
    """A request the CRM refuses; ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def account_for(store: CrmStore, account_id: str) -> Account:
    """The account ``account_id``.

    Raises:
        CrmError: an unknown account.
    """
    found = store.account(account_id.strip())
    if found is None:
        raise CrmError(f"no account {account_id!r}; list_accounts lists them (ids like "
                       "'A-001')", "account")
    return found


def contact_for(store: CrmStore, contact_id: str) -> Contact:
    """The contact ``contact_id``.

    Raises:
        CrmError: an unknown contact.
    """
    found = store.contact(contact_id.strip())
    if found is None:
        raise CrmError(f"no contact {contact_id!r}; list_contacts lists them (ids like "
                       "'C-001')", "contact")
    return found


def deal_for(store: CrmStore, deal_id: str) -> Deal:
    """The deal ``deal_id``.

    Raises:
        CrmError: an unknown deal.
    """
    found = store.deal(deal_id.strip())
    if found is None:
        raise CrmError(f"no deal {deal_id!r}; list_deals lists them (ids like 'D-001')",
                       "deal")
    return found


def activity_for(store: CrmStore, activity_id: str) -> Activity:
    """The activity ``activity_id``.

    Raises:
        CrmError: an unknown activity.
    """
    found = store.activity(activity_id.strip())
    if found is None:
        raise CrmError(f"no activity {activity_id!r}; list_activities lists them (ids like "
                       "'AC-0001')")
    return found


def parse_amount(text: str, field: str = "amount") -> Decimal:
    """A positive amount as typed, e.g. ``"12500"`` or ``"12,500.50"``.

    Raises:
        CrmError: not a positive number of at most two decimals, or too large.
    """
    hint = f"give the amount as a positive number with at most two decimals, such as " \
           f"'12500.00' (got {text!r})"
    cleaned = text.strip().replace(",", "")
    whole, dot, cents = cleaned.partition(".")
    if (not whole.isascii() or not whole.isdigit() or len(whole) > 10
            or (dot and (not cents.isascii() or not cents.isdigit() or len(cents) > 2))):
        raise CrmError(hint, field)
    value = Decimal(cleaned)
    if value <= 0:
        raise CrmError(hint, field)
    if value > MAX_AMOUNT:
        raise CrmError(f"the amount is larger than {MAX_AMOUNT}", field)
    return value.quantize(_CENT)


def parse_day(text: str, field: str) -> date:
    """An ISO date as typed.

    Raises:
        CrmError: not a date such as 2026-04-30.
    """
    try:
        if len(text.strip()) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CrmError(f"give {field.replace('_', ' ')} as an ISO date such as 2026-04-30 "
                       f"(got {text!r})", field) from None
    if not 2000 <= day.year <= 2100:
        raise CrmError(f"{field.replace('_', ' ')} must lie between 2000 and 2100", field)
    return day


def _text(text: str, field: str, limit: int, *, required: bool = False) -> str:
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise CrmError(f"the {field.replace('_', ' ')} is longer than {limit} characters",
                       field)
    if required and not cleaned:
        raise CrmError(f"give the {field.replace('_', ' ')}", field)
    return cleaned


def _terms(query: str) -> list[tuple[str, bool]]:
    try:
        return word_terms(query)
    except ToolError as exc:
        raise CrmError(str(exc), "q") from None


def _stage(text: str) -> Stage:
    if text not in STAGES:
        raise CrmError(f"stage must be one of: {', '.join(STAGES)}", "stage")
    return cast(Stage, text)


def create_deal(store: CrmStore, today: date, account_id: str, name: str, amount: str,
                close_date: str, stage: str = "prospecting",
                contact_id: str | None = None) -> Deal:
    """Open a new deal at an account, owned by the signed-in user.

    Raises:
        CrmError: an unknown account or contact (or a contact of another account), a
            closed stage, a bad amount or a close date in the past.
    """
    account = account_for(store, account_id)
    title = _text(name, "name", MAX_NAME, required=True)
    value = parse_amount(amount)
    when = parse_day(close_date, "close_date")
    chosen = _stage(stage)
    if chosen in CLOSED_STAGES:
        raise CrmError("a new deal starts open; create it at an open stage and move it to "
                       f"{chosen} afterwards", "stage")
    if when < today:
        raise CrmError(f"the expected close date {when} is in the past; today is {today}",
                       "close_date")
    contact = None
    if contact_id:
        contact = contact_for(store, contact_id)
        if contact.account != account.id:
            raise CrmError(f"contact {contact.id} works at {contact.account}, not at "
                           f"{account.id}", "contact")
    if len(store.deals) >= MAX_DEALS:
        raise CrmError(f"the CRM holds {MAX_DEALS} deals, the most it can")
    deal = Deal(id=_next_id("D-", [d.id for d in store.deals], 3), account=account.id,
                name=title, stage=chosen, amount=money_text(value),
                probability=PROBABILITY[chosen], close_date=when.isoformat(),
                owner=store.user, contact=contact.id if contact else None,
                created=today.isoformat(), updated=today.isoformat(),
                history=[StageChange(date=today.isoformat(), stage=chosen, by=store.user)])
    store.deals.append(deal)
    return deal


def move_deal(store: CrmStore, today: date, deal_id: str, stage: str, note: str = "",
              lost_reason: str = "") -> Deal:
    """Move an open deal to another stage (closing it is a move to closed_won or
    closed_lost; a lost deal needs ``lost_reason``).

    Raises:
        CrmError: an unknown deal, a closed deal, the stage it is already at, an unknown
            stage, or a loss without its reason.
    """
    deal = deal_for(store, deal_id)
    target = _stage(stage)
    remark = _text(note, "note", MAX_NOTE)
    why = _text(lost_reason, "lost_reason", MAX_NOTE)
    if not deal.is_open:
        raise CrmError(f"deal {deal.id} is {deal.stage} since {deal.close_date}; a closed deal "
                       "is final (create a new deal for a new opportunity)", "stage")
    if target == deal.stage:
        raise CrmError(f"deal {deal.id} is already at {target}", "stage")
    if target == "closed_lost" and not why:
        raise CrmError("say why the deal was lost (lost_reason)", "lost_reason")
    if why and target != "closed_lost":
        raise CrmError("a lost reason goes only with a move to closed_lost", "lost_reason")
    if len(deal.history) >= MAX_HISTORY:
        raise CrmError(f"deal {deal.id} has {MAX_HISTORY} stage changes, the most it keeps")
    deal.stage = target
    deal.probability = PROBABILITY[target]
    if target in CLOSED_STAGES:
        deal.close_date = today.isoformat()
        deal.lost_reason = why
    deal.updated = today.isoformat()
    deal.history.append(StageChange(date=today.isoformat(), stage=target, by=store.user,
                                    note=remark))
    return deal


def update_deal(store: CrmStore, today: date, deal_id: str, *, amount: str | None = None,
                close_date: str | None = None, probability: int | None = None,
                next_step: str | None = None, contact_id: str | None = None) -> Deal:
    """Change an open deal's amount, expected close date, probability (1-99), next step
    or main contact; what is None stays. All or nothing: a refused field changes none.

    Raises:
        CrmError: an unknown or closed deal, nothing to change, or a bad value.
    """
    deal = deal_for(store, deal_id)
    if amount is None and close_date is None and probability is None and next_step is None \
            and contact_id is None:
        raise CrmError("give at least one of amount, close_date, probability, next_step or "
                       "contact_id to change")
    if not deal.is_open and (amount is not None or close_date is not None
                             or probability is not None):
        raise CrmError(f"deal {deal.id} is {deal.stage}; a closed deal's amount, date and "
                       "probability are final")
    value = parse_amount(amount) if amount is not None else None
    when = parse_day(close_date, "close_date") if close_date is not None else None
    if when is not None and when < today:
        raise CrmError(f"the expected close date {when} is in the past; today is {today}",
                       "close_date")
    if probability is not None and not 1 <= probability <= 99:
        raise CrmError("an open deal's probability is between 1 and 99 per cent (100 and 0 "
                       "mean closed: move the deal to closed_won or closed_lost)",
                       "probability")
    step = _text(next_step, "next_step", MAX_NOTE) if next_step is not None else None
    contact = None
    if contact_id:
        contact = contact_for(store, contact_id)
        if contact.account != deal.account:
            raise CrmError(f"contact {contact.id} works at {contact.account}, not at the "
                           f"deal's account {deal.account}", "contact")
    if value is not None:
        deal.amount = money_text(value)
    if when is not None:
        deal.close_date = when.isoformat()
    if probability is not None:
        deal.probability = probability
    if step is not None:
        deal.next_step = step
    if contact is not None:
        deal.contact = contact.id
    deal.updated = today.isoformat()
    return deal


def log_activity(store: CrmStore, today: date, kind: str, subject: str, body: str = "",
                 account_id: str | None = None, deal_id: str | None = None,
                 contact_ids: Sequence[str] = (), on: str | None = None) -> Activity:
    """Log a meeting, call, e-mail or note against an account, or a deal (and so its
    account), naming the contacts involved; dated today unless ``on`` says otherwise.

    Raises:
        CrmError: an unknown kind, account, deal or contact, a deal of another account,
            neither account nor deal, or text too long.
    """
    if kind not in KINDS:
        raise CrmError(f"kind must be one of: {', '.join(KINDS)}", "kind")
    title = _text(subject, "subject", MAX_NAME, required=True)
    text = _text(body, "body", MAX_TEXT)
    deal = deal_for(store, deal_id) if deal_id else None
    if account_id:
        account = account_for(store, account_id)
        if deal is not None and deal.account != account.id:
            raise CrmError(f"deal {deal.id} belongs to account {deal.account}, not "
                           f"{account.id}", "deal")
    elif deal is not None:
        account = account_for(store, deal.account)
    else:
        raise CrmError("give the account (or the deal) the activity is about", "account")
    when = parse_day(on, "date") if on else today
    if len(contact_ids) > MAX_LINKED:
        raise CrmError(f"an activity names at most {MAX_LINKED} contacts", "contacts")
    people: list[str] = []
    for contact_id in contact_ids:
        contact = contact_for(store, contact_id)
        if contact.account != account.id:
            raise CrmError(f"contact {contact.id} works at {contact.account}, not at "
                           f"{account.id}", "contacts")
        if contact.id not in people:
            people.append(contact.id)
    if len(store.activities) >= MAX_ACTIVITIES:
        raise CrmError(f"the CRM holds {MAX_ACTIVITIES} activities, the most it can")
    made = Activity(id=_next_id("AC-", [a.id for a in store.activities], 4),
                    kind=cast(Kind, kind), date=when.isoformat(), subject=title, body=text,
                    account=account.id, deal=deal.id if deal else None, contacts=people,
                    author=store.user)
    store.activities.append(made)
    return made


def add_contact(store: CrmStore, account_id: str, name: str, email: str = "",
                title: str = "", phone: str = "") -> Contact:
    """Add a contact at an account.

    Raises:
        CrmError: an unknown account, no name, an address that is not one or is
            already a contact's, or text too long.
    """
    account = account_for(store, account_id)
    full = _text(name, "name", MAX_NAME, required=True)
    address = _text(email, "email", MAX_NAME).lower()
    if address and not _is_address(address):
        raise CrmError(f"{email!r} is not an e-mail address such as name@company.example",
                       "email")
    if address and any(c.email.lower() == address for c in store.contacts):
        raise CrmError(f"{address} is already a contact's address; list_contacts finds it",
                       "email")
    if len(store.contacts) >= MAX_CONTACTS:
        raise CrmError(f"the CRM holds {MAX_CONTACTS} contacts, the most it can")
    contact = Contact(id=_next_id("C-", [c.id for c in store.contacts], 3), account=account.id,
                      name=full, title=_text(title, "title", MAX_NAME), email=address,
                      phone=_text(phone, "phone", 40))
    store.contacts.append(contact)
    return contact


def _is_address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text and "@" not in domain
                and all(part for part in domain.split(".")))


def find_accounts(store: CrmStore, query: str = "", industry: str | None = None,
                  owner: str | None = None) -> list[Account]:
    """Accounts whose id, name, industry, city or website hold every word of ``query``,
    by name.

    Raises:
        CrmError: a query too long or without words.
    """
    wanted = _terms(query)
    found = [a for a in store.accounts
             if (industry is None or a.industry.casefold() == industry.casefold())
             and (owner is None or a.owner == owner)
             and (not wanted or matches_terms(f"{a.id} {a.name} {a.industry} {a.city} "
                                              f"{a.website}", wanted))]
    return sorted(found, key=lambda a: (a.name.casefold(), a.id))


def find_contacts(store: CrmStore, query: str = "", account: str | None = None) -> list[Contact]:
    """Contacts whose id, name, title, e-mail or account name hold every word of
    ``query``, by name.

    Raises:
        CrmError: a query too long or without words.
    """
    wanted = _terms(query)
    names = {a.id: a.name for a in store.accounts}
    found = [c for c in store.contacts if (account is None or c.account == account)
             and (not wanted or matches_terms(f"{c.id} {c.name} {c.title} {c.email} "
                                              f"{names.get(c.account, '')}", wanted))]
    return sorted(found, key=lambda c: (c.name.casefold(), c.id))


def find_deals(store: CrmStore, stage: str | None = None, owner: str | None = None,
               account: str | None = None, after: date | None = None,
               before: date | None = None, open_only: bool = False) -> list[Deal]:
    """Deals by (close date, id), filtered; ``after``/``before`` bound the close date
    (both inclusive)."""
    found = [d for d in store.deals
             if (stage is None or d.stage == stage) and (owner is None or d.owner == owner)
             and (account is None or d.account == account) and (not open_only or d.is_open)
             and (after is None or d.close_date >= after.isoformat())
             and (before is None or d.close_date <= before.isoformat())]
    return sorted(found, key=lambda d: (d.close_date, d.id))


def find_activities(store: CrmStore, account: str | None = None, deal: str | None = None,
                    kind: str | None = None, contact: str | None = None) -> list[Activity]:
    """Activities, newest first (by date, then id)."""
    found = [a for a in store.activities
             if (account is None or a.account == account) and (deal is None or a.deal == deal)
             and (kind is None or a.kind == kind)
             and (contact is None or contact in a.contacts)]
    return sorted(found, key=lambda a: (a.date, a.id), reverse=True)


def forecast(store: CrmStore, after: date | None = None, before: date | None = None,
             owner: str | None = None) -> dict[str, Any]:
    """The forecast of the deals closing between ``after`` and ``before`` (inclusive):
    per open stage the count, amount and weighted amount, their totals, and the deals won
    and lost in the period. Amounts are decimal strings."""
    deals = find_deals(store, owner=owner, after=after, before=before)
    rows = []
    total, total_weighted, count = Decimal(0), Decimal(0), 0
    for stage in OPEN_STAGES:
        those = [d for d in deals if d.stage == stage]
        amount = sum((Decimal(d.amount) for d in those), Decimal(0))
        value = sum((weighted(d.amount, d.probability) for d in those), Decimal(0))
        rows.append({"stage": stage, "deals": len(those), "amount": money_text(amount),
                     "weighted": money_text(value)})
        total, total_weighted, count = total + amount, total_weighted + value, count + len(those)
    won = [d for d in deals if d.stage == "closed_won"]
    lost = [d for d in deals if d.stage == "closed_lost"]
    return {"from": after.isoformat() if after else None,
            "to": before.isoformat() if before else None, "owner": owner,
            "currency": store.currency, "stages": rows,
            "open": {"deals": count, "amount": money_text(total),
                     "weighted": money_text(total_weighted)},
            "won": {"deals": len(won), "amount": money_text(
                sum((Decimal(d.amount) for d in won), Decimal(0)))},
            "lost": {"deals": len(lost), "amount": money_text(
                sum((Decimal(d.amount) for d in lost), Decimal(0)))}}


# -- views (the same data for the tools and the pages) ----------------------------------------


def account_view(account: Account) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "industry": account.industry,
            "city": account.city, "website": account.website, "owner": account.owner}


def contact_view(store: CrmStore, contact: Contact) -> dict[str, Any]:
    account = store.account(contact.account)
    return {"id": contact.id, "account": contact.account,
            "account_name": account.name if account else "", "name": contact.name,
            "title": contact.title, "email": contact.email, "phone": contact.phone}


def deal_summary(store: CrmStore, deal: Deal) -> dict[str, Any]:
    account = store.account(deal.account)
    return {"id": deal.id, "name": deal.name, "account": deal.account,
            "account_name": account.name if account else "", "stage": deal.stage,
            "amount": deal.amount, "probability": deal.probability,
            "close_date": deal.close_date, "owner": deal.owner}


def deal_view(store: CrmStore, deal: Deal) -> dict[str, Any]:
    view = deal_summary(store, deal)
    view.update(currency=store.currency, weighted=money_text(weighted(deal.amount,
                                                                      deal.probability)),
                contact=deal.contact, created=deal.created, updated=deal.updated,
                next_step=deal.next_step, lost_reason=deal.lost_reason,
                history=[h.model_dump() for h in deal.history],
                activities=[a.id for a in find_activities(store, deal=deal.id)])
    return view


def activity_view(activity: Activity, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": activity.id, "kind": activity.kind, "date": activity.date,
                            "subject": activity.subject, "account": activity.account,
                            "deal": activity.deal, "contacts": list(activity.contacts),
                            "author": activity.author}
    if full:
        view["body"] = activity.body
    else:
        view["preview"] = " ".join(activity.body.split())[:160]
    return view


T = TypeVar("T")


def _paged(found: Sequence[T], view: Callable[[T], dict[str, Any]], limit: int,
           offset: int) -> dict[str, Any]:
    """One page of ``found``, each shown through ``view`` (only the page's rows are)."""
    return {"total": len(found), "offset": offset,
            "results": [view(item) for item in found[offset:offset + limit]]}


# -- the API -----------------------------------------------------------------------------------


class CrmApp(App):
    """The sales team's CRM: accounts, contacts, deals and their stages, activities and the
    forecast. Amounts are decimal strings in the CRM's currency, dates ISO 8601."""

    name = "crm"

    @property
    def store(self) -> CrmStore:
        """The world's CRM; an empty one (not added to the world) when it has none, so
        that a read leaves the world as it was (every write needs a record, so fails)."""
        store = self.world.existing_store("crm", CrmStore)
        return CrmStore() if store is None else store

    @property
    def _today(self) -> date:
        return self.world.now.date()

    def _run(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return rule(*args, **kwargs)
        except CrmError as exc:
            raise ToolError(str(exc)) from None

    def _user(self, user_id: str | None) -> str | None:
        if user_id is not None and self.store.user_(user_id.strip()) is None:
            raise ToolError(f"no user {user_id!r}; list_users lists the team (ids like "
                            "'U-01')")
        return user_id.strip() if user_id is not None else None

    @tool(read_only=True, concurrent=False)
    def list_users(self) -> dict[str, Any]:
        """The sales team and who is signed in: ``{"signed_in", "users": [{id, name, email,
        role}]}``."""
        store = self.store
        return {"signed_in": store.user, "users": [u.model_dump() for u in store.users]}

    @tool(read_only=True, concurrent=False)
    def list_accounts(self, query: Annotated[str, Field(max_length=500)] = "",
                      industry: Annotated[str, Field(max_length=100)] | None = None,
                      owner_id: Id | None = None, limit: Limit = 20,
                      offset: Offset = 0) -> dict[str, Any]:
        """Accounts sorted by name. Every word of the query must occur as a word of the
        account's id, name, industry, city or website (case-insensitive; end a word with *
        to match its prefix).

        Returns ``{"total", "offset", "results": [{id, name, industry, city, website,
        owner}]}``.

        Args:
            query: words to look for, e.g. "halcyon"; empty lists every account.
            industry: only this industry, e.g. "Software".
            owner_id: only accounts this user owns, e.g. "U-02".
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        owner = self._user(owner_id)
        found = self._run(find_accounts, self.store, query, industry, owner)
        return _paged(found, account_view, limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_account(self, account_id: Id) -> dict[str, Any]:
        """One account with its contacts, its deals (by close date) and its ten latest
        activities.

        Args:
            account_id: the account's id, e.g. "A-001".
        """
        store = self.store
        account = self._run(account_for, store, account_id)
        view = account_view(account)
        view.update(
            contacts=[contact_view(store, c) for c in find_contacts(store, account=account.id)],
            deals=[deal_summary(store, d) for d in find_deals(store, account=account.id)],
            activities=[activity_view(a, full=False)
                        for a in find_activities(store, account=account.id)[:10]])
        return view

    @tool(read_only=True, concurrent=False)
    def list_contacts(self, query: Annotated[str, Field(max_length=500)] = "",
                      account_id: Id | None = None, limit: Limit = 20,
                      offset: Offset = 0) -> dict[str, Any]:
        """Contacts sorted by name. Every word of the query must occur as a word of the
        contact's id, name, title, e-mail or account name.

        Returns ``{"total", "offset", "results": [{id, account, account_name, name, title,
        email, phone}]}``.

        Args:
            query: words to look for, e.g. "procurement"; empty lists everyone.
            account_id: only the contacts of this account, e.g. "A-001".
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        account = self._run(account_for, store, account_id).id if account_id else None
        found = self._run(find_contacts, store, query, account)
        return _paged(found, lambda c: contact_view(store, c), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_contact(self, contact_id: Id) -> dict[str, Any]:
        """One contact, with the ids of the activities that name them (newest first).

        Args:
            contact_id: the contact's id, e.g. "C-001".
        """
        store = self.store
        contact = self._run(contact_for, store, contact_id)
        view = contact_view(store, contact)
        view["activities"] = [a.id for a in find_activities(store, contact=contact.id)]
        return view

    @tool(destructive=False)
    def add_contact(self, account_id: Id, name: Name,
                    email: Annotated[str, Field(max_length=MAX_NAME)] = "",
                    title: Annotated[str, Field(max_length=MAX_NAME)] = "",
                    phone: Annotated[str, Field(max_length=40)] = "") -> dict[str, Any]:
        """Add a contact at an account. Returns the new contact (id ``C-...``).

        Args:
            account_id: the account's id, e.g. "A-001".
            name: the person's full name.
            email: their e-mail address (unique among contacts).
            title: their job title, e.g. "Head of Procurement".
            phone: their phone number.
        """
        store = self.store
        return contact_view(store, self._run(add_contact, store, account_id, name, email,
                                             title, phone))

    @tool(read_only=True, concurrent=False)
    def list_deals(self, stage: Stage | None = None, owner_id: Id | None = None,
                   account_id: Id | None = None, closing_after: Day | None = None,
                   closing_before: Day | None = None, open_only: bool = False,
                   limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Deals sorted by close date (expected for open deals, actual for closed ones).

        Returns ``{"total", "offset", "results": [{id, name, account, account_name, stage,
        amount, probability, close_date, owner}]}``.

        Args:
            stage: only deals at this stage: prospecting, qualification, proposal,
                negotiation, closed_won or closed_lost.
            owner_id: only deals this user owns, e.g. "U-02".
            account_id: only the deals of this account.
            closing_after: only deals closing on or after this date.
            closing_before: only deals closing on or before this date.
            open_only: only deals not yet closed.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        owner = self._user(owner_id)
        account = self._run(account_for, store, account_id).id if account_id else None
        after = self._run(parse_day, closing_after, "closing_after") if closing_after else None
        before = self._run(parse_day, closing_before, "closing_before") \
            if closing_before else None
        found = find_deals(store, stage, owner, account, after, before, open_only)
        return _paged(found, lambda d: deal_summary(store, d), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_deal(self, deal_id: Id) -> dict[str, Any]:
        """One deal: account, stage, amount, probability, weighted amount, close date,
        owner, main contact, next step, lost reason, its stage history and the ids of its
        activities.

        Args:
            deal_id: the deal's id, e.g. "D-001".
        """
        store = self.store
        return deal_view(store, self._run(deal_for, store, deal_id))

    @tool(destructive=False)
    def create_deal(self, account_id: Id, name: Name, amount: Amount, close_date: Day,
                    stage: Stage = "prospecting", contact_id: Id | None = None
                    ) -> dict[str, Any]:
        """Open a new deal at an account, owned by the signed-in user. Returns the deal
        (id ``D-...``).

        Args:
            account_id: the account's id, e.g. "A-001".
            name: what is being sold, e.g. "Support plan renewal 2026".
            amount: the deal's value, e.g. "12500.00".
            close_date: when it is expected to close, an ISO date not in the past.
            stage: an open stage to start at (default prospecting).
            contact_id: the main contact, one of the account's contacts.
        """
        store = self.store
        return deal_view(store, self._run(create_deal, store, self._today, account_id, name,
                                          amount, close_date, stage, contact_id))

    @tool
    def move_deal(self, deal_id: Id, stage: Stage, note: Note = "",
                  lost_reason: Note = "") -> dict[str, Any]:
        """Move an open deal to another stage; this sets the stage's probability (10, 20,
        50, 75; closed_won 100, closed_lost 0). Closing dates the deal today and is final;
        closed_lost needs lost_reason. Returns the deal.

        Args:
            deal_id: the deal's id, e.g. "D-001".
            stage: prospecting, qualification, proposal, negotiation, closed_won or
                closed_lost.
            note: why it moved, kept in the deal's history.
            lost_reason: why the deal was lost (only with closed_lost, and then needed).
        """
        store = self.store
        return deal_view(store, self._run(move_deal, store, self._today, deal_id, stage, note,
                                          lost_reason))

    @tool
    def update_deal(self, deal_id: Id, amount: Amount | None = None,
                    close_date: Day | None = None,
                    probability: Annotated[int, Field(ge=0, le=100)] | None = None,
                    next_step: Note | None = None, contact_id: Id | None = None
                    ) -> dict[str, Any]:
        """Change an open deal's amount, expected close date or probability (1-99), or any
        deal's next step or main contact; arguments left out stay as they are. Returns the
        deal.

        Args:
            deal_id: the deal's id, e.g. "D-001".
            amount: the new value, e.g. "14000.00".
            close_date: the new expected close date (not in the past).
            probability: the new probability in per cent, 1-99.
            next_step: what happens next, e.g. "Send revised quote by Friday".
            contact_id: the new main contact, one of the account's contacts.
        """
        store = self.store
        return deal_view(store, self._run(update_deal, store, self._today, deal_id,
                                          amount=amount, close_date=close_date,
                                          probability=probability, next_step=next_step,
                                          contact_id=contact_id))

    @tool(destructive=False)
    def log_activity(self, kind: Kind, subject: Name,
                     body: Annotated[str, Field(max_length=MAX_TEXT)] = "",
                     account_id: Id | None = None, deal_id: Id | None = None,
                     contact_ids: Annotated[list[Id], Field(max_length=MAX_LINKED)] | None = None,
                     date: Day | None = None) -> dict[str, Any]:
        """Log a meeting, call, e-mail or note against an account or a deal (a deal's
        account is taken when only the deal is given). Returns the activity (id
        ``AC-...``).

        Args:
            kind: meeting, call, email or note.
            subject: a one-line summary, e.g. "Pricing call with procurement".
            body: the notes.
            account_id: the account it is about, e.g. "A-001".
            deal_id: the deal it is about, e.g. "D-001".
            contact_ids: the account's contacts involved, e.g. ["C-001"].
            date: when it happened, an ISO date (default today).
        """
        return activity_view(self._run(log_activity, self.store, self._today, kind, subject,
                                       body, account_id, deal_id, contact_ids or (), date))

    @tool(read_only=True, concurrent=False)
    def list_activities(self, account_id: Id | None = None, deal_id: Id | None = None,
                        kind: Kind | None = None, contact_id: Id | None = None,
                        limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Activities, newest first, each with the start of its notes (``preview``;
        get_activity gives the whole text).

        Returns ``{"total", "offset", "results": [{id, kind, date, subject, account, deal,
        contacts, author, preview}]}``.

        Args:
            account_id: only this account's activities.
            deal_id: only this deal's activities.
            kind: only meetings, calls, emails or notes.
            contact_id: only activities naming this contact.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        account = self._run(account_for, store, account_id).id if account_id else None
        deal = self._run(deal_for, store, deal_id).id if deal_id else None
        contact = self._run(contact_for, store, contact_id).id if contact_id else None
        found = find_activities(store, account, deal, kind, contact)
        return _paged(found, lambda a: activity_view(a, full=False), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_activity(self, activity_id: Id) -> dict[str, Any]:
        """One activity with its whole notes.

        Args:
            activity_id: the activity's id, e.g. "AC-0001".
        """
        return activity_view(self._run(activity_for, self.store, activity_id))

    @tool(read_only=True, concurrent=False)
    def forecast(self, closing_after: Day | None = None, closing_before: Day | None = None,
                 owner_id: Id | None = None) -> dict[str, Any]:
        """The forecast of the deals closing in a period: for each open stage the number
        of deals, their amount and their weighted amount (amount x probability / 100), the
        open totals, and the deals won and lost in the period.

        Returns ``{"from", "to", "owner", "currency", "stages": [{stage, deals, amount,
        weighted}], "open": {deals, amount, weighted}, "won": {deals, amount}, "lost":
        {deals, amount}}``.

        Args:
            closing_after: the period's first day (ISO date; default: no bound).
            closing_before: the period's last day (ISO date; default: no bound).
            owner_id: only this user's deals.
        """
        owner = self._user(owner_id)
        after = self._run(parse_day, closing_after, "closing_after") if closing_after else None
        before = self._run(parse_day, closing_before, "closing_before") \
            if closing_before else None
        return forecast(self.store, after, before, owner)


# -- the website ---------------------------------------------------------------------------------


class CrmSite(PortalSite[CrmStore]):
    """The CRM's website over the same store (see the module docstring)."""

    store_name = "crm"
    store_type = CrmStore
    lookup_error = CrmError

    def nav(self) -> Sequence[Link]:
        return [Link("Accounts", "/accounts"), Link("Contacts", "/contacts"),
                Link("Deals", "/deals"), Link("Activities", "/activities"),
                Link("Forecast", "/forecast")]

    def _deal_table(self, caption: str, deals: Sequence[Deal]) -> Table:
        store = self.store
        names = {a.id: a.name for a in store.accounts}
        return Table(caption, ["Deal", "Name", "Account", "Stage", "Amount", "Probability",
                               "Close date", "Owner"], [
            [Link(d.id, f"/deals/{_q(d.id)}"), d.name, names.get(d.account, d.account),
             STAGE_LABELS[d.stage], d.amount, f"{d.probability}%", d.close_date, d.owner]
            for d in deals])

    def _activity_table(self, activities: Sequence[Activity]) -> Table:
        return Table("Activities", ["Activity", "Date", "Kind", "Subject", "Account", "Deal"], [
            [Link(a.id, f"/activities/{_q(a.id)}"), a.date, a.kind, a.subject, a.account,
             a.deal or ""] for a in activities])

    def _log_form(self, account: Account, deal: Deal | None) -> Form:
        contacts = find_contacts(self.store, account=account.id)
        fields: list[Node] = [
            Select("kind", "Kind", [(k, k.capitalize()) for k in KINDS]),
            Input("subject", "Subject", required=True),
            Input("date", "Date", "date", self._today.isoformat()),
            TextArea("body", "Notes")]
        fields += [Input(f"contact_{c.id}", f"Involved: {c.name}", "checkbox")
                   for c in contacts[:MAX_LINKED]]
        return Form("log", [*fields, Button("Log activity")], label="Log an activity")

    def _log_post(self, request: Request, account: Account, deal: Deal | None) -> Activity:
        contacts = [c.id for c in find_contacts(self.store, account=account.id)
                    if request.form.get(f"contact_{c.id}") == "on"]
        return log_activity(self.store, self._today, request.form.get("kind", ""),
                            request.form.get("subject", ""), request.form.get("body", ""),
                            account.id, deal.id if deal else None, contacts,
                            request.form.get("date", "") or None)

    # pages -----------------------------------------------------------------------------

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.store
        user = store.user_(store.user)
        summary = forecast(store)
        mine = find_deals(store, owner=store.user or None, open_only=True)
        return Page(store.name, [
            Heading(store.name),
            Text(f"Signed in as {user.name} ({user.id})." if user else "Not signed in."),
            Form("search", [Input("q", "Search accounts", "search"), Button("Search")],
                 label="Search accounts", method="get", action="/accounts"),
            Table("Pipeline", ["Stage", "Deals", "Amount", "Weighted"], [
                [Link(STAGE_LABELS[row["stage"]], f"/deals?stage={row['stage']}"),
                 str(row["deals"]), row["amount"], row["weighted"]]
                for row in summary["stages"]]),
            self._deal_table("Your open deals", mine[:10]),
        ])

    @page("/accounts")
    def accounts(self, request: Request) -> Page:
        store = self.store
        industries = sorted({a.industry for a in store.accounts if a.industry})
        industry = request.arg("industry")
        try:
            found, problem = find_accounts(store, request.arg("q"), industry or None), ""
        except CrmError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        body: list[Node] = [
            Heading("Accounts"),
            Form("filter", [Input("q", "Search accounts", "search", request.arg("q")),
                            Select("industry", "Industry", [("", "All industries"),
                                                            *((i, i) for i in industries)],
                                   industry),
                            Button("Search")], label="Filter accounts", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Accounts", ["Account", "Name", "Industry", "City", "Owner"], [
            [Link(a.id, f"/accounts/{_q(a.id)}"), a.name, a.industry, a.city, a.owner]
            for a in rows]))
        return Page("Accounts", [*body, *pager])

    @page("/accounts/{account_id}")
    def account(self, request: Request, account_id: str) -> Page:
        store = self.store
        account = self._find(account_for, store, account_id)
        contacts = find_contacts(store, account=account.id)
        return Page(account.name, [
            Heading(account.name),
            Details([("Account", account.id), ("Industry", account.industry),
                     ("City", account.city), ("Website", account.website),
                     ("Owner", account.owner)], "Account details"),
            Table("Contacts", ["Contact", "Name", "Title", "E-mail", "Phone"], [
                [Link(c.id, f"/contacts/{_q(c.id)}"), c.name, c.title, c.email, c.phone]
                for c in contacts]),
            self._deal_table("Deals", find_deals(store, account=account.id)),
            Link("New deal", f"/deals/new?account={_q(account.id)}"),
            self._activity_table(find_activities(store, account=account.id)[:20]),
            self._log_form(account, None),
            Form("contact", [Input("name", "Name", required=True), Input("title", "Title"),
                             Input("email", "E-mail", "email"), Input("phone", "Phone"),
                             Button("Add contact")], label="Add a contact"),
        ])

    @action("/accounts/{account_id}")
    def account_post(self, request: Request, account_id: str) -> Redirect | Invalid:
        store = self.store
        account = self._find(account_for, store, account_id)
        try:
            if request.form.get("_form") == "contact":
                made = add_contact(store, account.id, request.form.get("name", ""),
                                   request.form.get("email", ""), request.form.get("title", ""),
                                   request.form.get("phone", ""))
                return Redirect(f"/contacts/{_q(made.id)}", f"Contact {made.id} added.")
            logged = self._log_post(request, account, None)
        except CrmError as exc:
            return _invalid(exc, request)
        return Redirect(f"/activities/{_q(logged.id)}", f"Activity {logged.id} logged.")

    @page("/contacts")
    def contacts(self, request: Request) -> Page:
        store = self.store
        try:
            found, problem = find_contacts(store, request.arg("q")), ""
        except CrmError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        names = {a.id: a.name for a in store.accounts}
        body: list[Node] = [
            Heading("Contacts"),
            Form("search", [Input("q", "Search contacts", "search", request.arg("q")),
                            Button("Search")], label="Search contacts", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Contacts", ["Contact", "Name", "Title", "Account", "E-mail"], [
            [Link(c.id, f"/contacts/{_q(c.id)}"), c.name, c.title,
             Link(names.get(c.account, c.account), f"/accounts/{_q(c.account)}"), c.email]
            for c in rows]))
        return Page("Contacts", [*body, *pager])

    @page("/contacts/{contact_id}")
    def contact(self, request: Request, contact_id: str) -> Page:
        store = self.store
        contact = self._find(contact_for, store, contact_id)
        account = store.account(contact.account)
        return Page(contact.name, [
            Heading(contact.name),
            Details([("Contact", contact.id),
                     ("Account", Link(account.name if account else contact.account,
                                      f"/accounts/{_q(contact.account)}")),
                     ("Title", contact.title), ("E-mail", contact.email),
                     ("Phone", contact.phone)], "Contact details"),
            self._activity_table(find_activities(store, contact=contact.id)[:20])])

    @page("/deals")
    def deals(self, request: Request) -> Page:
        store = self.store
        stage = request.arg("stage")
        owner = request.arg("owner")
        found = find_deals(store, stage if stage in STAGES else None, owner or None)
        rows, pager = paginate(found, request)
        return Page("Deals", [
            Heading("Deals"),
            Form("filter", [
                Select("stage", "Stage", [("", "Any stage"), *STAGE_LABELS.items()], stage),
                Select("owner", "Owner", [("", "Anyone"), *((u.id, u.name) for u in store.users)],
                       owner),
                Button("Filter")], label="Filter deals", method="get"),
            self._deal_table("Deals", rows), *pager])

    @page("/deals/new")
    def new_deal(self, request: Request) -> Page:
        store = self.store
        chosen = request.arg("account")
        accounts = find_accounts(store)
        contacts = find_contacts(store, account=chosen) if store.account(chosen) else []
        return Page("New deal", [
            Heading("New deal"),
            Form("deal", [
                Select("account", "Account", [(a.id, f"{a.name} ({a.id})") for a in accounts],
                       chosen),
                Input("name", "Deal name", required=True),
                Input("amount", "Amount", required=True),
                Input("close_date", "Expected close date", "date", required=True),
                Select("stage", "Stage", [(s, STAGE_LABELS[s]) for s in OPEN_STAGES]),
                Select("contact", "Main contact", [("", "None"),
                                                   *((c.id, c.name) for c in contacts)]),
                Button("Create deal")], label="New deal")])

    @action("/deals/new")
    def new_deal_post(self, request: Request) -> Redirect | Invalid:
        form = request.form
        try:
            deal = create_deal(self.store, self._today, form.get("account", ""),
                               form.get("name", ""), form.get("amount", ""),
                               form.get("close_date", ""), form.get("stage", "prospecting"),
                               form.get("contact", "") or None)
        except CrmError as exc:
            return _invalid(exc, request)
        return Redirect(f"/deals/{_q(deal.id)}", f"Deal {deal.id} created.")

    @page("/deals/{deal_id}")
    def deal(self, request: Request, deal_id: str) -> Page:
        store = self.store
        deal = self._find(deal_for, store, deal_id)
        account = store.account(deal.account)
        contact = store.contact(deal.contact) if deal.contact else None
        items: list[tuple[str, str | Link]] = [
            ("Deal", deal.id),
            ("Account", Link(account.name if account else deal.account,
                             f"/accounts/{_q(deal.account)}")),
            ("Stage", STAGE_LABELS[deal.stage]), ("Amount", f"{deal.amount} {store.currency}"),
            ("Probability", f"{deal.probability}%"),
            ("Weighted", money_text(weighted(deal.amount, deal.probability))),
            ("Close date", deal.close_date), ("Owner", deal.owner),
            ("Main contact", Link(contact.name, f"/contacts/{_q(contact.id)}") if contact
             else "—"),
            ("Next step", deal.next_step or "—")]
        if deal.lost_reason:
            items.append(("Lost because", deal.lost_reason))
        body: list[Node] = [
            Heading(deal.name), Details(items, "Deal details"),
            Table("Stage history", ["Date", "Stage", "By", "Note"], [
                [h.date, STAGE_LABELS[h.stage], h.by, h.note] for h in deal.history])]
        if deal.is_open and account is not None:
            others = [(s, STAGE_LABELS[s]) for s in STAGES if s != deal.stage]
            body.append(Form("stage", [
                Select("stage", "New stage", others), Input("lost_reason", "Lost reason"),
                TextArea("note", "Note"), Button("Move deal")], label="Move the deal"))
            contacts = find_contacts(store, account=deal.account)
            body.append(Form("edit", [
                Input("amount", "Amount", value=deal.amount),
                Input("close_date", "Expected close date", "date", deal.close_date),
                Input("probability", "Probability (%)", "number", str(deal.probability),
                      min=1, max=99),
                Input("next_step", "Next step", value=deal.next_step),
                Select("contact", "Main contact", [("", "Unchanged"),
                                                   *((c.id, c.name) for c in contacts)]),
                Button("Save changes")], label="Edit the deal"))
        body.append(self._activity_table(find_activities(store, deal=deal.id)[:20]))
        if account is not None:
            body.append(self._log_form(account, deal))
        return Page(deal.name, body)

    @action("/deals/{deal_id}")
    def deal_post(self, request: Request, deal_id: str) -> Redirect | Invalid:
        store = self.store
        deal = self._find(deal_for, store, deal_id)
        form = request.form
        try:
            which = form.get("_form")
            if which == "stage":
                move_deal(store, self._today, deal.id, form.get("stage", ""),
                          form.get("note", ""), form.get("lost_reason", ""))
                notice = f"Deal {deal.id} is now {STAGE_LABELS[deal.stage]}."
            elif which == "edit":
                probability = _whole(form.get("probability", ""))
                if probability is None:
                    return Invalid({"probability": "enter a whole number of per cent, such "
                                                   "as 40"})
                changes: dict[str, Any] = {}
                for key, current in (("amount", deal.amount), ("close_date", deal.close_date),
                                     ("next_step", deal.next_step)):
                    if form.get(key, current).strip() != current:
                        changes[key] = form.get(key, "")
                if probability != deal.probability:
                    changes["probability"] = probability
                if form.get("contact"):
                    changes["contact_id"] = form["contact"]
                if not changes:
                    return Invalid({}, "Nothing was changed.")
                update_deal(store, self._today, deal.id, **changes)
                notice = f"Deal {deal.id} saved."
            else:
                account = self._find(account_for, store, deal.account)
                logged = self._log_post(request, account, deal)
                return Redirect(f"/activities/{_q(logged.id)}", f"Activity {logged.id} logged.")
        except CrmError as exc:
            return _invalid(exc, request)
        return Redirect(f"/deals/{_q(deal.id)}", notice)

    @page("/activities")
    def activities(self, request: Request) -> Page:
        kind = request.arg("kind")
        found = find_activities(self.store, kind=kind if kind in KINDS else None)
        rows, pager = paginate(found, request)
        return Page("Activities", [
            Heading("Activities"),
            Form("filter", [Select("kind", "Kind", [("", "Any kind"),
                                                    *((k, k.capitalize()) for k in KINDS)],
                                   kind), Button("Filter")],
                 label="Filter activities", method="get"),
            self._activity_table(rows), *pager])

    @page("/activities/{activity_id}")
    def activity(self, request: Request, activity_id: str) -> Page:
        store = self.store
        item = self._find(activity_for, store, activity_id)
        people = [store.contact(c) for c in item.contacts]
        return Page(item.subject, [
            Heading(item.subject),
            Details([("Activity", item.id), ("Kind", item.kind), ("Date", item.date),
                     ("Account", Link(item.account, f"/accounts/{_q(item.account)}")),
                     ("Deal", Link(item.deal, f"/deals/{_q(item.deal)}") if item.deal
                      else "—"),
                     ("Contacts", ", ".join(p.name for p in people if p) or "—"),
                     ("Author", item.author)], "Activity details"),
            Section("Notes", [Text(par) for par in item.body.split("\n\n") if par.strip()]
                    or [Text("No notes.")])])

    @page("/forecast")
    def forecast_page(self, request: Request) -> Page:
        store = self.store
        errors: list[Node] = []
        bounds: list[date | None] = []
        for key in ("from", "to"):
            try:
                bounds.append(parse_day(request.arg(key), key) if request.arg(key) else None)
            except CrmError as exc:
                errors.append(Alert(str(exc), "error"))
                bounds.append(None)
        owner = request.arg("owner")
        result = forecast(store, bounds[0], bounds[1],
                          owner if store.user_(owner) is not None else None)
        return Page("Forecast", [
            Heading("Forecast"),
            Form("period", [Input("from", "From", "date", request.arg("from")),
                            Input("to", "To", "date", request.arg("to")),
                            Select("owner", "Owner", [("", "Everyone"),
                                                      *((u.id, u.name) for u in store.users)],
                                   owner),
                            Button("Show")], label="Forecast period", method="get"),
            *errors,
            Table("Forecast by stage", ["Stage", "Deals", "Amount", "Weighted"], [
                [STAGE_LABELS[row["stage"]], str(row["deals"]), row["amount"], row["weighted"]]
                for row in result["stages"]]),
            Details([("Open deals", str(result["open"]["deals"])),
                     ("Open amount", result["open"]["amount"]),
                     ("Weighted", result["open"]["weighted"]),
                     ("Won", f"{result['won']['amount']} ({result['won']['deals']} deals)"),
                     ("Lost", f"{result['lost']['amount']} ({result['lost']['deals']} deals)")],
                    "Totals")])


def _q(text: str) -> str:
    """``text`` as one URL path segment or query value."""
    return quote(text, safe="")


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 9:
        return None
    return int(text)


def _invalid(exc: CrmError, request: Request) -> Invalid:
    """A refusal shown at the field it is about when the form has that field, else over
    the whole form."""
    message = str(exc)
    if exc.field and exc.field in request.form:
        return Invalid({exc.field: message})
    return Invalid({}, message[0].upper() + message[1:] + ".")
