"""CRM content: a sales team, accounts with their contacts, a pipeline of deals with
stage histories, and the meetings, calls and notes logged against them, drawn
deterministically for the ``crm`` portal.

:func:`crm_store` builds a whole CRM from one random stream; families then add the deals
and meeting notes their task is about with ``CrmStore.add_deal`` and ``add_activity``.
Deals of the same account with similar names, closed deals and old activities make the
distractors.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import cast

from workgym.apps.crm import OPEN_STAGES, STAGES, CrmStore, Kind, Stage
from workgym.content.companies import companies
from workgym.content.people import people

__all__ = ["DEAL_LINES", "LOST_REASONS", "TITLES", "crm_store", "meeting_note"]

TITLES = ("Head of Procurement", "CFO", "CTO", "Operations Manager", "IT Director",
          "Office Manager", "Purchasing Lead", "Head of Finance", "COO", "Project Manager")
"""Job titles of contacts."""
DEAL_LINES = ("Platform licence", "Support plan", "Onboarding package", "Analytics add-on",
              "Seat expansion", "Annual renewal", "Training days", "Integration project",
              "Premium support upgrade", "Data migration")
"""What deals sell; a deal is named ``<line> <year>``."""
LOST_REASONS = ("Chose a competitor", "No budget this year", "Project cancelled",
                "Price too high", "No decision made")
_AGENDA = {
    "prospecting": ("introduced our platform", "asked about their current tooling"),
    "qualification": ("confirmed the budget owner", "walked through their requirements"),
    "proposal": ("presented the proposal", "went through the pricing options"),
    "negotiation": ("discussed contract terms", "reviewed the discount request"),
    "closed_won": ("signed the order form", "agreed the start date"),
    "closed_lost": ("heard they will not go ahead", "were told the decision went elsewhere"),
}


_OPENINGS = {"meeting": "Met {who} about {deal}.", "call": "Called {who} about {deal}.",
             "email": "Wrote to {who} about {deal}.", "note": "Spoke with {who} about {deal}."}


def meeting_note(rng: random.Random, contact: str, deal: str, stage: str,
                 kind: str = "meeting") -> str:
    """A few lines of notes of a ``kind`` of activity about ``deal`` at ``stage``, naming
    ``contact``."""
    first, second = _AGENDA[stage]
    steps = rng.choice(("Follow up next week.", "Send the summary by mail.",
                        "Check in after their internal review.", "No action for now."))
    return (_OPENINGS[kind].format(who=contact, deal=deal) + f" We {first} and {second}."
            f"\n\nNext: {steps}")


def crm_store(rng: random.Random, *, now: datetime, reps: int = 4, accounts: int = 12,
              deals: int = 30, activities: int = 40, user: str = "U-01",
              name: str = "Pipeline CRM", host: str = "crm.example",
              currency: str = "EUR") -> CrmStore:
    """A whole CRM: ``reps`` users (``U-01`` the signed-in rep by default, the last one
    the sales manager), ``accounts`` companies with one to four contacts
    each, ``deals`` deals over the last six months and the next four (open ones close in
    the future, closed ones closed in the past, each with a stage history), and
    ``activities`` past meetings, calls, e-mails and notes.

    Raises:
        ValueError: counts the content cannot fill.
    """
    if reps < 1 or accounts < 1 or deals < 0 or activities < 0:
        raise ValueError("a CRM needs a rep and an account; counts cannot be negative")
    today = now.date()
    store = CrmStore(name=name, host=host, currency=currency, user=user)
    for n, person in enumerate(people(rng, reps, domain="sales.example")):
        store.add_user(person.name, person.email, "manager" if n == reps - 1 and reps > 1
                       else "rep")
    owners = [u.id for u in store.users]
    crowd = people(rng, accounts * 4, domain="contacts.example")
    for n, company in enumerate(companies(rng, accounts)):
        account = store.add_account(company.name, industry=company.industry.capitalize(),
                                    city=company.city, website=f"https://{company.domain}/",
                                    owner=rng.choice(owners))
        for person in crowd[n * 4: n * 4 + rng.randint(1, 4)]:
            store.add_contact(account.id, person.name, title=rng.choice(TITLES),
                              email=f"{person.first.lower()}.{person.last.lower()}@"
                                    f"{company.domain}",
                              phone=f"+44 20 {rng.randrange(1000, 9999)} "
                                    f"{rng.randrange(1000, 9999)}")
    for _ in range(deals):
        _deal(rng, store, today, owners)
    for _ in range(activities):
        _activity(rng, store, today)
    return store


def _deal(rng: random.Random, store: CrmStore, today: date, owners: list[str]) -> None:
    account = rng.choice(store.accounts)
    contacts = [c.id for c in store.contacts if c.account == account.id]
    created = today - timedelta(days=rng.randrange(10, 180))
    stage = cast(Stage, rng.choice(STAGES + OPEN_STAGES))  # open deals twice as likely
    path = list(OPEN_STAGES[:OPEN_STAGES.index(stage) + 1]) if stage in OPEN_STAGES else \
        list(OPEN_STAGES[:rng.randint(1, 4)]) + [stage]
    span = max(1, (today - created).days)
    steps = sorted(created + timedelta(days=rng.randrange(0, span)) for _ in path[1:])
    history = list(zip([created, *steps], [cast(Stage, s) for s in path], strict=True))
    closed = stage not in OPEN_STAGES
    close = history[-1][0] if closed else today + timedelta(days=rng.randrange(7, 120))
    amount = rng.randrange(20, 900) * 250
    owner = account.owner if rng.random() < 0.7 else rng.choice(owners)
    store.add_deal(account.id, f"{rng.choice(DEAL_LINES)} {close.year}", f"{amount}.00", close,
                   stage=stage, owner=owner, contact=rng.choice(contacts) if contacts else None,
                   created=created, history=history,
                   lost_reason=rng.choice(LOST_REASONS) if stage == "closed_lost" else "",
                   next_step="" if closed else rng.choice(
                       ("Send proposal", "Book a demo", "Chase the signature",
                        "Confirm the budget", "")))


def _activity(rng: random.Random, store: CrmStore, today: date) -> None:
    on = today - timedelta(days=rng.randrange(1, 150))
    if store.deals and rng.random() < 0.8:
        deal = rng.choice(store.deals)
        account, deal_id, label = deal.account, deal.id, deal.name
        start = date.fromisoformat(deal.created)
        end = min(today - timedelta(days=1), date.fromisoformat(deal.close_date))
        on = start + timedelta(days=rng.randrange(0, max(1, (end - start).days + 1)))
        stage = next((h.stage for h in reversed(deal.history) if h.date <= on.isoformat()),
                     deal.history[0].stage)
    else:
        account, deal_id, label, stage = rng.choice(store.accounts).id, None, "their plans", \
            "prospecting"
    contacts = [c for c in store.contacts if c.account == account]
    person = rng.choice(contacts) if contacts else None
    kind = cast(Kind, rng.choice(("meeting", "meeting", "call", "email", "note")))
    subject = {"meeting": "Meeting", "call": "Call", "email": "E-mail", "note": "Note"}[kind]
    who = person.name if person else "the team"
    store.add_activity(kind, on, f"{subject} with {who}", account, deal=deal_id,
                       contacts=[person.id] if person else [],
                       body=meeting_note(rng, who, label, stage, kind),
                       author=rng.choice(store.users).id)
