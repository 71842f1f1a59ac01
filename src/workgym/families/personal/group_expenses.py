"""personal/group-expenses: settle a group holiday's costs to the cent.

Description:
    Back from a holiday with friends, the user settles the group's costs. The memory app
    holds the user's notes from the trip (its dates, who came, who was away on which
    days, receipts that were personal) next to the notes of an earlier trip. The friends
    logged what they paid in a shared workbook; what the user paid came as mailed
    receipts (receipts of purchases at home, outside the trip, are in the same mailbox).
    Later mails correct a logged amount, refund part of a receipt or replace it with a
    corrected one, mark a logged cost as personal, or say that only some of the group
    took part in an activity. The user's bank (payments) shows what was already sent
    between the user and each friend for this trip, among transfers for other things;
    the contacts hold each friend's address and current IBAN (a payee on file may hold
    an old one).

    A cost is shared by those present on its day (or those a mail names), each share the
    cost divided by their number rounded down to the cent, the payer's share taking the
    cents left over. The agent writes every person's net balance into a new
    ``Settlement`` sheet, pays each friend who is owed money exactly that from the
    current account to the IBAN in their contact card, and mails each friend who owes
    money a payment request with the amount and the user's IBAN.

Apps:
    sheets, mail, memory, payments, contacts.

Criteria:
    - ``balance <name>``: a ``Person | Balance`` row per person, precision-aware; and
      ``settlement is exactly the balances``.
    - ``paid <name>``: a transfer from the current account to the friend's contact IBAN
      of exactly their balance, precision-aware; ``payments are exactly what is owed``.
    - ``requested <name>``: the mail to each friend who owes has ``Amount: EUR <debt>``
      and ``IBAN: <the user's IBAN>`` (weight 2).
    - guards: transfers only to the IBANs of friends who are owed; mail only to friends
      who owe; the expenses sheet, the mails and the bank's records kept; nothing else
      changed.

Difficulty:
    Knobs set the friends, the logged costs, the receipts, the absences, the activities
    some skipped, the corrections, refunds and personal costs, and the transfers already
    made. Reference calls: easy 18, medium 25, hard 31. ``richness`` adds everyday mails,
    bank bookings, contacts and notes.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.contacts import build_contacts
from workgym.apps.memory import build_memory
from workgym.apps.payments import PaymentsStore, Transfer, iban, money_text
from workgym.apps.sheets import workbook_bytes
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.core import (
    Criterion,
    GradeContext,
    GradeError,
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

SHEET = "Expenses"
SETTLEMENT = "Settlement"
CITIES = ("Lisbon", "Porto", "Split", "Valencia", "Naples", "Ljubljana", "Bordeaux",
          "Krakow", "Seville", "Bologna", "Ghent", "Tallinn")
HOME = "Berlin"
DOMAINS = ("example.org", "example.net", "example.com", "mail.example")
# (item logged in the sheet, lowest, highest euro)
LOGGED = (("Supermarket", 35, 160), ("Dinner", 90, 320), ("Taxi", 18, 70),
          ("Museum tickets", 30, 120), ("Ferry tickets", 20, 90), ("Wine and snacks", 15, 60),
          ("Car rental", 150, 400), ("Fuel", 40, 95), ("Beach chairs", 15, 45),
          ("Boat tour", 120, 300), ("Breakfast", 15, 55), ("Concert tickets", 60, 200),
          ("Parking", 10, 40), ("Bike rental", 30, 110), ("Lunch", 40, 150))
# (merchant, what, lowest, highest euro) of the user's receipts
SHOPS = (("Taberna do Largo", "Dinner for the group", 80, 260),
         ("Mercado Fresco", "Groceries", 30, 120), ("Costa Kayaks", "Kayak rental", 60, 180),
         ("Rail Regional", "Train tickets", 30, 110), ("Sabor Workshop", "Cooking class", 120, 280),
         ("Blue Line Cruises", "Sunset cruise", 100, 260), ("Gelato Sole", "Ice cream", 12, 35),
         ("City Bikes", "Bike tour", 50, 160), ("Caffe Centrale", "Brunch", 35, 110))
HOME_SHOPS = (("Paper Lantern Books", "Books"), ("Voltshop", "Headphones"),
              ("Green Basket", "Groceries"), ("Fahrradladen Nord", "Bike repair"))
NOTES = ("", "", "", "card", "cash", "receipt in the group chat", "split later")
AWAY_WHY = ("visiting a friend in the next town", "a work call all day", "a day trip alone",
            "stayed in with a cold")
EVERYDAY_NOTES = (("books", "Finish the detective novel from the library."),
                  ("recipes", "Try the lentil soup again, with less cumin."),
                  ("home", "Return the drill to the neighbours."),
                  ("films", "Film night on Friday? Ask who is in."),
                  ("gifts", "Mum's birthday: a scarf, or the pottery class."),
                  ("bike", "Service the bike before winter."))
REFUND_WHY = ("one booking was not used", "part of the order was cancelled",
              "we charged a service twice")
PERSONAL_WHY = ("a present for my sister", "my own souvenirs", "not for the group")
OTHER_REFS = ("Concert tickets", "Birthday present for Mia", "Football tickets",
              "Pizza night", "Festival tickets", "Wedding gift")


class Knobs(BaseModel, frozen=True):
    friends: int
    """Friends on the trip besides the user."""
    logged: int
    """Costs the friends logged in the sheet."""
    receipts: int
    """The user's receipts from the trip."""
    away: int
    """Friends away on one or two days."""
    subsets: int
    """Costs only some of those present took part in (told by mail)."""
    corrections: int
    """Logged amounts corrected by mail."""
    refunds: int
    """Receipts partly refunded by mail."""
    corrected_receipts: int
    """Receipts replaced by a corrected receipt."""
    personal_mails: int
    """Logged costs that a later mail marks as personal."""
    personal_notes: int
    """The user's receipts that a memory note marks as personal."""
    transfers: int
    """Transfers already made for the trip between the user and friends."""
    distractors: int
    """Distractor items at richness 1."""


@dataclass
class _Cost:
    day: date
    item: str
    payer: int
    """Index into the group; 0 is the user."""
    logged: int
    """Cents as logged or first receipted."""
    amount: int
    """Cents that count (after corrections and refunds)."""
    shared: tuple[int, ...]
    """Who shares it (sorted indices); the payer alone for a personal cost."""
    source: str
    """``sheet`` or ``receipt``."""
    note: str = ""
    number: str = ""
    """Receipt number."""
    merchant: str = ""
    when: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))


_Booking = tuple[datetime, int, str, int | None, str | None]
"""When, signed cents, text, the friend (None: not a friend), the payee paid (None: none)."""




def _amount_is(expected: str) -> Callable[[str], bool]:
    def accept(value: str) -> bool:
        return wc.money(value) == expected
    return accept


def _both(name: str, parts: tuple[Criterion, ...], weight: float) -> Criterion:
    """One criterion that passes when every part does (a request needs the amount and
    where to pay it)."""
    def check(ctx: GradeContext) -> tuple[bool, str]:
        results = [part.check(ctx) for part in parts]
        return all(ok for ok, _ in results), "; ".join(str(e) for _, e in results)
    return Criterion(name, check, weight=weight, group=name.split()[0])


def _at(rng: random.Random, day: date) -> datetime:
    """A time of day on ``day``."""
    return datetime.combine(day, datetime.min.time()).replace(
        hour=rng.randint(8, 21), minute=rng.randrange(60), tzinfo=UTC)


def _shop(merchant: str) -> str:
    return f"{merchant} <receipts@{merchant.split()[0].lower()}.example>"


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _euros(cents: int) -> str:
    return money_text(Decimal(cents) / 100)


def shares(cost: _Cost) -> dict[int, int]:
    """Each sharer's cents: the amount over their number, rounded down; the payer's share
    takes the cents left over."""
    base = cost.amount // len(cost.shared)
    out = dict.fromkeys(cost.shared, base)
    out[cost.payer] = cost.amount - base * (len(cost.shared) - 1)
    return out


def balances(size: int, costs: list[_Cost], sent: list[tuple[int, int, int]]) -> list[int]:
    """Net cents per person: paid for shared costs - own shares + sent - received."""
    out = [0] * size
    for cost in costs:
        out[cost.payer] += cost.amount
        for who, cents in shares(cost).items():
            out[who] -= cents
    for giver, taker, cents in sent:
        out[giver] += cents
        out[taker] -= cents
    return out


def _names(group: list[Person], who: tuple[int, ...], speaker: int) -> str:
    words = ["me" if n == speaker else "you" if n == 0 else group[n].first for n in who]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


@register_family
class GroupExpenses(TaskFamily[Knobs]):
    """Settle a group holiday: net balances to the cent, pay who is owed, bill who owes."""

    name = "personal/group-expenses"
    version = 1
    apps = ("sheets", "mail", "memory", "payments", "contacts")
    levels = Levels(
        easy=Level(Knobs(friends=3, logged=6, receipts=2, away=1, subsets=0, corrections=0,
                         refunds=0, corrected_receipts=0, personal_mails=0, personal_notes=0,
                         transfers=1, distractors=6), calls=18),
        medium=Level(Knobs(friends=4, logged=9, receipts=3, away=1, subsets=1, corrections=1,
                           refunds=1, corrected_receipts=0, personal_mails=0,
                           personal_notes=1, transfers=2, distractors=9), calls=25),
        hard=Level(Knobs(friends=5, logged=12, receipts=4, away=2, subsets=2, corrections=1,
                         refunds=1, corrected_receipts=1, personal_mails=1, personal_notes=1,
                         transfers=3, distractors=12), calls=31),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: it ignores richness
        crowd = people(rng, k.friends + 8)
        crowd = [replace(p, email=f"{p.first.lower()}.{p.last.lower()}@{rng.choice(DOMAINS)}")
                 for p in crowd]
        me, friends, others = crowd[0], crowd[1:k.friends + 1], crowd[k.friends + 1:]
        group = [me, *friends]
        city, old_city = rng.sample(CITIES, 2)
        start = date(2026, rng.randint(3, 10), rng.randint(1, 20))
        days = [start + timedelta(days=n) for n in range(rng.randint(5, 7))]
        now = datetime.combine(days[-1] + timedelta(days=rng.randint(4, 8)),
                               datetime.min.time()).replace(hour=9, tzinfo=UTC)
        for _ in range(500):
            drawn = self._draw(rng, k, len(group), days)
            costs, away, sent = drawn
            owed = balances(len(group), costs, sent)
            naive = self._naive(len(group), costs)
            friends_owed = [owed[n] for n in range(1, len(group))]
            if (all(friends_owed) and any(b > 0 for b in friends_owed)
                    and any(b < 0 for b in friends_owed) and owed[0]
                    and all(a != b for a, b in zip(owed, naive, strict=True))):
                break
        else:  # pragma: no cover - the draw converges in a few tries
            raise RuntimeError("no settlement with debtors and creditors was drawn")

        slug = city.lower()
        book = f"trips/{slug}-expenses.xlsx"
        ibans = [iban("DE", f"{rng.randint(10**17, 10**18 - 1)}") for _ in group]
        box = Mailbox(me)
        keys = self._mails(rng, box, k, group, costs, city, days, now)
        memory = self._memory(rng, group, others, costs, away, city, old_city, days)
        pay, payee_of = self._bank(rng, group, ibans, sent, city, days, now)
        files = {book: self._workbook(rng, group, costs)}
        contacts = self._contacts(rng, group, ibans, others[:4])
        self._distractors(rng_for(spec, "distractors"), scaled(spec.richness, k.distractors),
                          box, memory, pay, contacts, me, others, days, now,
                          {p.name for p in crowd})
        self._renumber_bank(pay)
        mail_store, ids = box.build()

        checks = self._criteria(group, ibans, owed, book, files[book], pay.accounts[0].id,
                                pay.accounts[0].number)
        plan = self._plan(group, ibans, owed, book, ids, keys, pay, payee_of, slug, city,
                          days, memory)
        prompt = self._prompt(me, city, book)
        return Task(spec=spec, prompt=prompt, apps=self.apps, criteria=checks, reference=plan,
                    artifacts=(book,), template=WorldTemplate(now=now, files=files, stores={
                        "mail": mail_store, "payments": pay, "memory": build_memory(memory),
                        "contacts": build_contacts(contacts)}))

    # -- the trip ---------------------------------------------------------------------------

    def _draw(self, rng: random.Random, k: Knobs, size: int, days: list[date]) -> tuple[
            list[_Cost], dict[int, list[date]], list[tuple[int, int, int]]]:
        """Costs (with corrections, refunds, subsets and personal ones), absences and the
        transfers already made."""
        away: dict[int, list[date]] = {}
        for who in rng.sample(range(1, size), k.away):
            first = rng.randrange(1, len(days) - 2)
            away[who] = days[first:first + rng.randint(1, 2)]

        def present(day: date) -> tuple[int, ...]:
            return tuple(n for n in range(size) if day not in away.get(n, []))

        costs: list[_Cost] = []
        taken: set[tuple[str, date]] = set()
        for n in range(k.logged + k.receipts):
            day = rng.choice(days)
            here = present(day)
            mine = n >= k.logged
            # one cost of a kind a day, so that a mail naming its kind and day is clear
            if mine:
                merchant, item, low, high = rng.choice(
                    [s for s in SHOPS if (s[0], day) not in taken])
                payer = 0
            else:
                item, low, high = rng.choice([x for x in LOGGED if (x[0], day) not in taken])
                merchant = ""
                payer = rng.choice([x for x in here if x != 0])
            taken.add((merchant or item, day))
            cents = rng.randint(low * 100, high * 100)
            when = datetime.combine(day, datetime.min.time()).replace(
                hour=rng.randint(9, 21), minute=rng.randrange(60), tzinfo=UTC)
            costs.append(_Cost(day, item, payer, cents, cents, here, "receipt" if mine else "sheet",
                               merchant=merchant, when=when,
                               number=f"{rng.randint(10**5, 10**6 - 1)}" if mine else ""))
        logged = [c for c in costs if c.source == "sheet"]
        receipts = [c for c in costs if c.source == "receipt"]
        # one logged cost is marked personal in the sheet's note column
        changes = rng.sample(logged, 1 + k.corrections + k.personal_mails)
        marked, fixed, told = changes[0], changes[1:1 + k.corrections], \
            changes[1 + k.corrections:]
        marked.note, marked.shared = "just for me", (marked.payer,)
        for cost in fixed:
            while cost.amount == cost.logged:
                cost.amount = max(500, cost.logged + rng.choice((-1, 1)) * rng.randint(300, 4000))
            cost.note = "fixed"
        for cost in told:
            cost.shared, cost.note = (cost.payer,), "personal"
        rest = [c for c in costs if c.note == "" and len(c.shared) > 2]
        for cost in rng.sample(rest, min(k.subsets, len(rest))):
            others = [x for x in cost.shared if x != cost.payer]
            joined = rng.sample(others, rng.randint(1, len(others) - 1))
            cost.shared = tuple(sorted([cost.payer, *joined]))
            cost.note = "subset"
        plain = [c for c in receipts if c.note == ""]
        picks = rng.sample(plain, min(len(plain), k.refunds + k.corrected_receipts
                                      + k.personal_notes))
        for n, cost in enumerate(picks):
            if n < k.refunds:
                cost.amount = cost.logged - rng.randint(300, cost.logged // 3)
                cost.note = "refund"
            elif n < k.refunds + k.corrected_receipts:
                while cost.amount == cost.logged:
                    cost.amount = max(500, cost.logged
                                      + rng.choice((-1, 1)) * rng.randint(200, 2500))
                cost.note = "corrected"
            else:
                cost.shared, cost.note = (0,), "personal"
        sent = []
        for _ in range(k.transfers):
            friend = rng.randrange(1, size)
            cents = rng.randint(20, 250) * 100 + rng.choice((0, 0, rng.randrange(100)))
            sent.append((friend, 0, cents) if rng.random() < 0.6 else (0, friend, cents))
        return costs, away, sent

    @staticmethod
    def _naive(size: int, costs: list[_Cost]) -> list[int]:
        """The balances of an even split of every logged amount among everyone."""
        flat = [replace(c, amount=c.logged, shared=tuple(range(size))) for c in costs]
        return balances(size, flat, [])

    # -- the sources ------------------------------------------------------------------------

    @staticmethod
    def _contacts(rng: random.Random, group: list[Person], ibans: list[str],
                  others: list[Person]) -> list[dict[str, Any]]:
        """The user's contacts: the group with their IBANs (the user's own card has
        none), and people from elsewhere."""
        streets = ("Lindenstr.", "Hauptstr.", "Parkweg", "Am Markt", "Kastanienallee")
        cards = [{"email": p.email, "name": p.name,
                  "phone": f"+49 15{rng.randint(10**7, 10**8 - 1)}",
                  "address": f"{rng.choice(streets)} {rng.randint(1, 120)}, {HOME}",
                  "iban": ibans[n] if n else ""} for n, p in enumerate(group)]
        cards += [{"email": p.email, "name": p.name, "phone": "", "address": "",
                   "iban": iban("DE", f"{rng.randint(10**17, 10**18 - 1)}")
                   if rng.random() < 0.5 else ""} for p in others]
        return cards

    def _workbook(self, rng: random.Random, group: list[Person], costs: list[_Cost]) -> bytes:
        wb = Workbook()
        ws = wb.active
        ws.title = SHEET
        ws.append(["Date", "Item", "Paid by", "Amount (EUR)", "Note"])
        rows = [c for c in costs if c.source == "sheet"]
        rows.sort(key=lambda c: (c.day, c.when))
        for cost in rows:
            note = cost.note if cost.note == "just for me" else rng.choice(NOTES)
            ws.append([cost.day, cost.item, group[cost.payer].first,
                       float(Decimal(cost.logged) / 100), note])
            ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
            ws.cell(ws.max_row, 4).number_format = "0.00"
        return workbook_bytes(wb)

    def _mails(self, rng: random.Random, box: Mailbox, k: Knobs, group: list[Person],
               costs: list[_Cost], city: str, days: list[date], now: datetime) -> list[str]:
        """The receipts and the mails about costs; the keys of those that matter."""
        me = group[0]
        keys: list[str] = []
        back = datetime.combine(days[-1], datetime.min.time()).replace(
            tzinfo=UTC) + timedelta(days=1)
        spare = (now.date() - back.date()).days
        later = sorted({back + timedelta(days=rng.randrange(spare), hours=rng.randint(8, 21),
                                         minutes=rng.randrange(60)) for _ in range(12)})
        rng.shuffle(later)
        for cost in costs:
            if cost.source != "receipt":
                continue
            key = f"receipt {cost.number}"
            box.receive(_shop(cost.merchant),
                        f"Your receipt from {cost.merchant}",
                        self._receipt(cost.merchant, city, cost.number, cost.day, cost.item,
                                      cost.logged, "Receipt"), cost.when, key=key)
            keys.append(key)
            if cost.note == "refund":
                key = f"refund {cost.number}"
                box.receive(_shop(cost.merchant),
                            f"Refund for receipt no. {cost.number}",
                            f"Hello {me.first},\n\nwe have refunded EUR "
                            f"{_euros(cost.logged - cost.amount)} of your purchase of "
                            f"{cost.day.isoformat()} (receipt no. {cost.number}) to your card: "
                            f"{rng.choice(REFUND_WHY)}."
                            f"\n\n{cost.merchant}", later.pop(), key=key)
                keys.append(key)
            elif cost.note == "corrected":
                key = f"corrected {cost.number}"
                box.receive(_shop(cost.merchant),
                            f"Corrected receipt no. {cost.number}",
                            "This corrected receipt replaces the receipt of the same number; "
                            "the difference was settled on your card.\n\n"
                            + self._receipt(cost.merchant, city, cost.number, cost.day,
                                            cost.item, cost.amount, "Corrected receipt"),
                            later.pop(), key=key)
                keys.append(key)
        for n in range(1 + (k.receipts > 2)):
            merchant, item = rng.choice(HOME_SHOPS)
            day = days[0] - timedelta(days=rng.randint(3, 40)) if n == 0 else \
                back.date() + timedelta(days=rng.randint(0, (now.date() - back.date()).days - 1))
            number = f"{rng.randint(10**5, 10**6 - 1)}"
            key = f"home {number}"
            box.receive(_shop(merchant),
                        f"Your receipt from {merchant}",
                        self._receipt(merchant, HOME, number, day, item,
                                      rng.randint(1500, 15000), "Receipt"),
                        datetime.combine(day, datetime.min.time()).replace(
                            hour=rng.randint(9, 19), minute=rng.randrange(60), tzinfo=UTC),
                        key=key)
            keys.append(key)
        for cost in costs:
            payer = group[cost.payer]
            if cost.note == "fixed":
                key = f"fix {cost.item} {cost.day}"
                box.receive(payer, f"{cost.item} in the sheet", letter(
                    me.first, f"I logged the {cost.item.lower()} on {cost.day.isoformat()} as "
                    f"{_euros(cost.logged)} in the sheet, but the bill says "
                    f"{_euros(cost.amount)}. Please count {_euros(cost.amount)}.",
                    payer.first, closing="Cheers,"), later.pop(), key=key)
                keys.append(key)
            elif cost.note == "personal" and cost.source == "sheet":
                key = f"personal {cost.item} {cost.day}"
                box.receive(payer, f"{cost.item} on {cost.day.isoformat()}", letter(
                    me.first, f"the {cost.item.lower()} I logged on {cost.day.isoformat()} "
                    f"was only mine, I put it in the sheet by mistake: leave it out of the "
                    f"split.", payer.first, closing="Cheers,"), later.pop(), key=key)
                keys.append(key)
            elif cost.note == "subset":
                speaker = next(n for n in cost.shared if n != 0)
                what = (f"the {cost.item.lower()} on {cost.day.isoformat()}"
                        + (f" (your receipt no. {cost.number})" if cost.source == "receipt"
                           else ""))
                key = f"subset {cost.item} {cost.day}"
                box.receive(group[speaker], f"Splitting {what}", letter(
                    me.first, f"about {what}: only {_names(group, cost.shared, speaker)} took "
                    f"part, so split it between us {len(cost.shared)} and not the whole "
                    f"group.", group[speaker].first, closing="Cheers,"), later.pop(), key=key)
                keys.append(key)
        friend = rng.choice(group[1:])
        box.receive(friend, f"Photos from {city}", letter(
            me.first, f"I put my photos from {city} in the shared album. What a week!",
            friend.first, closing="See you soon,"), later.pop())
        return keys

    @staticmethod
    def _receipt(merchant: str, city: str, number: str, day: date, item: str, cents: int,
                 title: str) -> str:
        return (f"{title} no. {number}\nDate: {day.isoformat()}\n{merchant}, {city}\n\n"
                f"{item}\nTotal: EUR {_euros(cents)}\nPaid by card.\n\nThank you for your "
                f"visit!")

    def _memory(self, rng: random.Random, group: list[Person], others: list[Person],
                costs: list[_Cost], away: dict[int, list[date]], city: str, old_city: str,
                days: list[date]) -> dict[str, str]:
        slug, old = city.lower(), old_city.lower()
        notes = {
            f"trips/{slug}/plan": (f"{city}, {days[0].isoformat()} to {days[-1].isoformat()}. "
                                   f"Group: me, {', '.join(p.name for p in group[1:])}. Flat "
                                   f"near the old town."),
            f"trips/{slug}/away": "\n".join(
                f"{group[n].first}: not with us on {' and '.join(d.isoformat() for d in when)} "
                f"({rng.choice(AWAY_WHY)})" for n, when in sorted(away.items())),
        }
        mine = [c for c in costs if c.source == "receipt" and c.note == "personal"]
        if mine:
            notes[f"trips/{slug}/personal"] = "\n".join(
                f"The {c.merchant} receipt no. {c.number} of {c.day.isoformat()} was for me only "
                f"({rng.choice(PERSONAL_WHY)}): "
                "not shared." for c in mine)
        past = [group[1], *others[:2]]
        when = days[0] - timedelta(days=rng.randint(150, 300))
        notes[f"trips/{old}/plan"] = (f"{old_city}, {when.isoformat()} to "
                                      f"{(when + timedelta(days=4)).isoformat()}. Group: me, "
                                      f"{', '.join(p.name for p in past)}.")
        notes[f"trips/{old}/away"] = (f"{past[-1].first}: not with us on "
                                      f"{(when + timedelta(days=2)).isoformat()} "
                                      f"({rng.choice(AWAY_WHY)})")
        notes[f"trips/{old}/settled"] = "All settled up, nobody owes anything."
        return notes

    def _bank(self, rng: random.Random, group: list[Person], ibans: list[str],
              sent: list[tuple[int, int, int]], city: str, days: list[date],
              now: datetime) -> tuple[PaymentsStore, dict[int, str]]:
        """The user's bank: payees (some friends', one maybe with an old IBAN), the trip's
        transfers among others; which payee id holds each friend's current IBAN."""
        me = group[0]
        pay = PaymentsStore(owner=me.name)
        pay.add_account("Current account", "checking", f"{rng.randint(40, 90) * 100}.00",
                        number=iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"))
        pay.add_account("Savings", "savings", f"{rng.randint(30, 200) * 100}.00",
                        number=iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"))
        out_to = {taker for giver, taker, _ in sent if giver == 0}
        stale = {n for n in range(1, len(group)) if n not in out_to and rng.random() < 0.35}
        plain = {n for n in range(1, len(group)) if n not in out_to | stale and rng.random() < 0.3}
        payees: list[tuple[str, str, int]] = [
            (group[n].name, ibans[n], n) for n in sorted(out_to | plain)]
        payees += [(group[n].name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"), -n)
                   for n in sorted(stale)]
        payees += [(name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"), 0)
                   for name in ("Hausverwaltung Kranz", "Stadtwerke Energie", "Fibernet GmbH")]
        payee_of: dict[int, str] = {}
        stale_of: dict[int, str] = {}
        for name, number, who in sorted(payees):
            made = pay.add_payee(name, number)
            if who > 0:
                payee_of[who] = made.id
            elif who < 0:
                stale_of[-who] = made.id
        bookings: list[_Booking] = []
        for giver, taker, cents in sent:
            day = rng.choice([*days[1:], *(days[-1] + timedelta(days=d) for d in (1, 2))])
            ref = f"{city} trip" + rng.choice(("", " - advance", " - part payment",
                                               " - my share so far"))
            friend = taker if giver == 0 else giver
            at = _at(rng, day)
            bookings.append((at, cents if giver else -cents, ref, friend, payee_of.get(friend, "")))
        for _ in range(2):
            friend = rng.randrange(1, len(group))
            day = days[0] - timedelta(days=rng.randint(20, 120))
            at = _at(rng, day)
            target = payee_of.get(friend) or stale_of.get(friend)
            cents = rng.randint(15, 120) * 100
            if target and rng.random() < 0.5:
                bookings.append((at, -cents, rng.choice(OTHER_REFS), friend, target))
            else:
                bookings.append((at, cents, rng.choice(OTHER_REFS), friend, None))
        for text, low, high in (("Salary", 2800, 4200), ("Rent", -1400, -900),
                                ("Supermarket", -90, -20), ("Pharmacy", -40, -8)):
            day = now.date() - timedelta(days=rng.randint(1, 40))
            at = _at(rng, day)
            bookings.append((at, rng.randint(low * 100, high * 100), text, None, None))
        self._book(pay, group, bookings)
        return pay, payee_of

    @staticmethod
    def _book(pay: PaymentsStore, group: list[Person],
              bookings: list[_Booking]) -> None:
        """Post bookings on the current account (transfers to payees with their record)."""
        for at, cents, text, friend, payee in bookings:
            day = at.date().isoformat()
            value = Decimal(cents) / 100
            if friend is None:
                kind = "deposit" if cents > 0 else "direct_debit" if text == "Rent" else "card"
                pay.post("ACC-01", day, value, text, kind=kind,
                         merchant="" if cents > 0 or text in ("Salary", "Rent") else text)
            elif cents > 0:
                pay.post("ACC-01", day, value, f"Transfer from {group[friend].name}: {text}",
                         kind="transfer")
            else:
                made = Transfer(id=f"new-{len(pay.transfers)}", date=day,
                                from_account="ACC-01", payee=payee,
                                amount=money_text(-value), reference=text)
                pay.transfers.append(made)
                pay.post("ACC-01", day, value, f"Transfer to {group[friend].name}: {text}",
                         kind="transfer")
                pay.transactions[-1].transfer = made.id

    @staticmethod
    def _renumber_bank(pay: PaymentsStore) -> None:
        """Ids by date: bookings and transfers numbered in the order they happened."""
        pay.transactions.sort(key=lambda t: (t.date, t.description, t.amount))
        pay.transfers.sort(key=lambda t: (t.date, t.reference, t.amount))
        names = {t.id: f"TR-{n:04d}" for n, t in enumerate(pay.transfers, 1)}
        for transfer in pay.transfers:
            transfer.id = names[transfer.id]
        for n, row in enumerate(pay.transactions, 1):
            row.id = f"TX-{n:04d}"
            if row.transfer is not None:
                row.transfer = names[row.transfer]

    def _distractors(self, rng: random.Random, count: int, box: Mailbox, memory: dict[str, str],
                     pay: PaymentsStore, contacts: list[dict[str, Any]], me: Person,
                     senders: list[Person], days: list[date], now: datetime,
                     taken: set[str]) -> None:
        """Answer-neutral content: everyday mails, card bookings, contacts and notes."""
        kinds = ["mail", "booking", "contact", "note"] * 4
        rng.shuffle(kinds)
        start = datetime.combine(days[0] - timedelta(days=20), datetime.min.time()).replace(
            tzinfo=UTC)
        extra = [p for p in people(rng, 30) if p.name not in taken]
        for n, kind in enumerate(kinds[:count]):
            if kind == "mail":
                everyday_mails(box, rng, 1, me, senders, start, now - timedelta(hours=1))
            elif kind == "booking":  # at home, before or after the trip
                day = rng.choice((days[0] - timedelta(days=rng.randint(1, 50)),
                                  days[-1] + timedelta(days=rng.randint(1, 3))))
                shop = rng.choice(("Bakery", "Bookshop", "Cinema", "Drugstore", "Hardware store"))
                pay.post("ACC-01", day, Decimal(-rng.randint(300, 9000)) / 100, shop,
                         merchant=shop)
            elif kind == "contact" and extra:
                person = extra.pop()
                contacts.append({"email": f"{person.first.lower()}.{person.last.lower()}"
                                          f"@{rng.choice(DOMAINS)}", "name": person.name,
                                 "phone": "", "address": "", "iban": ""})
            else:
                key, value = rng.choice(EVERYDAY_NOTES)
                memory[f"notes/{key}-{n}"] = value

    # -- answer, plan and grading ----------------------------------------------------------

    def _plan(self, group: list[Person], ibans: list[str], owed: list[int], book: str,
              ids: dict[str, str], keys: list[str], pay: PaymentsStore,
              payee_of: dict[int, str], slug: str, city: str, days: list[date],
              memory: dict[str, str]) -> tuple[ToolCall, ...]:
        mine = sorted(key for key in memory if key.startswith(f"trips/{slug}/"))
        plan = [ToolCall("memory.list_keys", {"prefix": "trips/"}),
                ToolCall("memory.get_many", {"keys": mine}),
                ToolCall("sheets.read_range", {"path": book, "sheet": SHEET}),
                ToolCall("mail.search", {"query": "", "limit": 100}),
                *(ToolCall("mail.read", {"message_id": ids[key]}) for key in keys),
                ToolCall("payments.list_accounts", {}),
                ToolCall("payments.list_transactions", {
                    "account_id": "ACC-01", "since": days[0].isoformat(), "kind": "transfer"}),
                ToolCall("payments.list_payees", {}),
                *(ToolCall("contacts.get", {"person": p.name}) for p in group[1:])]
        rows = [[p.name, float(Decimal(owed[n]) / 100)] for n, p in enumerate(group)]
        plan += [ToolCall("sheets.add_sheet", {"path": book, "name": SETTLEMENT}),
                 ToolCall("sheets.append_rows", {"path": book, "sheet": SETTLEMENT,
                                                 "rows": [["Person", "Balance"], *rows]},
                          items={"rows": tuple(map(tuple, rows))})]
        new = len(pay.payees)
        for n in range(1, len(group)):
            if owed[n] <= 0:
                continue
            payee = payee_of.get(n)
            if payee is None:
                new += 1
                payee = f"PAY-{new:03d}"
                plan.append(ToolCall("payments.add_payee", {
                    "name": group[n].name, "iban": ibans[n], "email": group[n].email}))
            plan.append(ToolCall("payments.transfer", {
                "from_account": "ACC-01", "amount": _euros(owed[n]), "payee_id": payee,
                "reference": f"{city} trip"}, items={"amount": ()}))
        own = pay.accounts[0].number
        for n in range(1, len(group)):
            if owed[n] >= 0:
                continue
            line = f"Amount: EUR {_euros(-owed[n])}"
            plan.append(ToolCall("mail.send", {
                "to": [group[n].email], "subject": f"{city} trip: settling up",
                "body": f"Hi {group[n].first},\n\nI went through all the costs of our {city} "
                        f"trip. Your share comes to:\n\n{line}\nIBAN: {own}\n\nThanks!\n"
                        f"{group[0].first}"}, items={"body": (line,)}))
        return tuple(plan)

    @staticmethod
    def _prompt(me: Person, city: str, book: str) -> str:
        return (
            f"You act for {me.name} ({me.email}), back from a holiday in {city} with friends, "
            f"with their mail, bank (payments), contacts, spreadsheets and memory. Settle the "
            f"trip's costs.\n\n"
            f"The trip's dates, who came and who was away on which days are in "
            f"{me.first}'s memory notes for the trip. The costs are every row the friends "
            f"logged in {book} (sheet {SHEET}) and every receipt mailed to {me.first} for "
            f"something bought during the trip (between its first and last day). Apply the "
            f"corrections, corrected receipts and refunds that came by mail later; leave out "
            f"every cost marked as personal (in the sheet, in a mail or in the notes): its "
            f"payer bears it alone. A cost is shared by everyone of the group who was there "
            f"that day, unless a mail says who took part; each share is the cost divided by "
            f"the number sharing, rounded down to the cent, and the payer's share takes the "
            f"cents left over. Money already sent between {me.first} and a friend for this "
            f"trip (the payments app; the reference names the trip) counts as paid.\n\n"
            f"A person's balance = what they paid for shared costs - their shares + what they "
            f"sent - what they received (positive: they are owed money). Add a sheet "
            f"\"{SETTLEMENT}\" to {book} with the header Person | Balance and one row per "
            f"person (full name, {me.first} too) with the balance to the cent. Then settle "
            f"through {me.first}: pay each friend with a positive balance exactly that from "
            f"the current account to the IBAN in their contact card (a payee on file may "
            f"hold an old IBAN; add one when needed); mail each friend with a negative "
            f"balance a payment request with a line \"Amount: EUR <what they owe, "
            f"positive>\" and a line \"IBAN: <the current account's IBAN>\". Pay nobody "
            f"else, mail nobody else, change nothing else.")

    def _criteria(self, group: list[Person], ibans: list[str], owed: list[int], book: str,
                  template: bytes, account: str, own: str) -> tuple[Criterion, ...]:
        def settlement(name: Any, balance: Any) -> tuple[str, str]:
            if name is None and balance is None:
                return "", ""
            if not isinstance(name, str) or isinstance(balance, bool) or balance is None:
                raise ValueError(f"a row {name!r} | {balance!r} without a name and an amount")
            if isinstance(balance, float):
                balance = repr(balance)
            return _norm(name), wc.money(balance)

        rows = wc.xlsx_rows(book, SETTLEMENT, ["Person", "Balance"], settlement)

        def found_rows(ctx: GradeContext) -> list[tuple[str, str]]:
            return [r for r in rows(ctx) if r != ("", "")]

        creditors = {n for n in range(1, len(group)) if owed[n] > 0}
        debtors = [n for n in range(1, len(group)) if owed[n] < 0]
        wanted_iban = {ibans[n] for n in creditors}

        def transfers(ctx: GradeContext) -> list[tuple[str, str, str]]:
            store = ctx.world.stores.get("payments")
            if not isinstance(store, PaymentsStore):
                raise GradeError("the bank is gone")
            out = []
            for t in wc.new_records(ctx, "payments", "transfers"):
                payee = store.payee(t.payee) if t.payee else None
                out.append((t.from_account, payee.iban if payee else f"account {t.to_account}",
                            t.amount))
            return out

        paid = wc.per_grade(transfers)

        def same_iban(value: str) -> bool:
            return "".join(value.split()).upper() == own
        want_rows = [(f"balance {p.name}", (_norm(p.name), _euros(owed[n])))
                     for n, p in enumerate(group)]
        want_pay = [(f"paid {group[n].name}", (account, ibans[n], _euros(owed[n])))
                    for n in sorted(creditors)]
        shown = wc.per_grade(found_rows)
        checks: list[Criterion] = [
            *wc.item_credit(want_rows, shown, group="balance"),
            wc.exact_items("settlement is exactly the balances", [i for _, i in want_rows],
                           shown),
            *wc.item_credit(want_pay, paid, group="payment"),
            wc.exact_items("payments are exactly what is owed", [i for _, i in want_pay], paid),
        ]
        for n in debtors:
            debt = _euros(-owed[n])
            checks.append(_both(f"requested {group[n].name}", (
                wc.mail_values("amount", group[n].email, "Amount", _amount_is(debt),
                               expected=f"EUR {debt}"),
                wc.mail_values("iban", group[n].email, "IBAN", same_iban, expected=own)),
                weight=2))
        checks += [
            wc.no_items("pays only friends who are owed", paid,
                        lambda t: t[1] not in wanted_iban, what="transfers to others"),
            wc.only_recipients("mail only to friends who owe",
                               [group[0].email, *(group[n].email for n in debtors)]),
            wc.sheets_unchanged("expenses sheet kept", book, template, but=[SETTLEMENT]),
            wc.unchanged("mails and bank records kept", records=[
                ("mail", "messages"), ("payments", "transactions"), ("payments", "transfers"),
                ("payments", "payees"), ("payments", "invoices")]),
            wc.nothing_else_changed("nothing else changed", [book],
                                    changing=["mail", "payments", "memory"]),
        ]
        return tuple(checks)
