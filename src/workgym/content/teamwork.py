"""Team tools content: a chat workspace from the people of a directory, everyday chatter,
the reading of what the agent posted, and meetings that book no room.

Handles follow the address (``lena.novak@example.org`` is ``lena.novak``), so a family, its
prompt and its grader name people the same way. Chatter is drawn without reference to any
answer: it is placed uniformly over a window by whoever the family lists.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from workgym.apps.calendar import CalendarStore, Room
from workgym.apps.chat import ChatStore
from workgym.content.distractors import times_in
from workgym.content.people import Person
from workgym.content.scheduling import Meeting, Slot, earliest
from workgym.core import GradeContext

CHATTER = (
    "Morning all! Coffee machine on 3 is fixed, finally.",
    "Reminder: the all-hands moved to Thursday 15:00.",
    "Anyone else seeing the wiki load slowly today?",
    "Thanks for the quick review yesterday, much appreciated.",
    "I'll be a few minutes late to stand-up.",
    "The new onboarding doc is in the shared drive if anyone wants a look.",
    "Who has the spare HDMI adapter? It's not in the drawer.",
    "Lunch order for Friday is open until noon, see the pinned sheet.",
    "Quick poll: should we move the retro to the afternoon?",
    "FYI the VPN maintenance is this Saturday morning.",
    "Nice work on the demo, the customer loved it.",
    "Can someone remind me where the expense template lives?",
    "Heads-up: fire drill at 11:00 tomorrow.",
    "Welcome to the channel, glad to have you here!",
    "Pushing my 1:1s to next week, sorry for the shuffle.",
    "The printer on the second floor is out of toner again.",
)
"""Everyday chat lines that matter to no task."""

WORK_ITEMS = (
    "Retry failed webhook deliveries", "Partial refunds in the API", "Export payouts as CSV",
    "Rate-limit the login endpoint", "Show card brand icons at checkout",
    "Cache exchange rates for an hour", "Audit log for admin actions",
    "Paginate the transactions list", "Validate IBANs on input", "Dark mode for the dashboard",
    "Email receipts in the customer's language", "Remove the legacy v1 endpoints",
    "Alert on payout delays", "Store idempotency keys for 24 hours",
    "Add 3-D Secure to saved cards", "Speed up the invoice search",
    "Split the settlement job by region", "Mask card numbers in logs",
    "Support Apple Pay on the web", "Nightly reconciliation report",
    "Fix rounding in currency conversion", "Self-serve API keys", "Dispute evidence upload",
    "Timeouts on the refunds page", "Upgrade the PDF renderer", "SSO for the admin console",
    "Move secrets to the vault", "Bulk-cancel subscriptions", "Fraud score on every payment",
    "Archive invoices older than seven years", "Webhooks signed with rotating keys",
    "Localise the checkout into Polish", "Retry policy for bank transfers",
    "Show pending balance on the dashboard", "Trim the mobile SDK's size",
)
"""Titles of an engineering team's tickets."""


def handle(person: Person) -> str:
    """A person's chat handle: the local part of their address."""
    return person.email.split("@", 1)[0].lower()


def chat_store(me: Person, staff: Iterable[Person],
               channels: Mapping[str, tuple[str, Sequence[Person]]]) -> ChatStore:
    """A workspace where ``me`` is the agent, every person of ``staff`` a user, and each
    channel (name -> (topic, members)) exists with ``me`` among its members."""
    store = ChatStore(me=handle(me))
    for person in sorted({p.email: p for p in staff if p.email != me.email}.values(),
                         key=lambda p: p.email):
        store.add_user(handle(person), person.name, person.email)
    for name, (topic, members) in channels.items():
        store.add_channel(name, [store.me, *(handle(p) for p in members if p.email != me.email)],
                          topic=topic)
    return store


@dataclass(frozen=True)
class Post:
    """A message to put in a channel (added in time order by :func:`add_posts`)."""

    channel: str
    author: Person
    text: str
    at: datetime


def add_posts(store: ChatStore, posts: Iterable[Post]) -> None:
    """Add messages in time order, so ids follow time and say nothing of what matters."""
    for post in sorted(posts, key=lambda p: (p.at, p.channel, p.author.email, p.text)):
        store.add_message(post.channel, handle(post.author), post.text, post.at)


def chatter(rng: random.Random, channel: str, authors: Sequence[Person], count: int,
            start: datetime, end: datetime) -> list[Post]:
    """``count`` everyday messages by ``authors``, spread uniformly over the window."""
    if not authors or count < 1:
        return []
    return [Post(channel, rng.choice(list(authors)), rng.choice(CHATTER), when)
            for when in times_in(rng, start, end, count)]


@dataclass(frozen=True)
class Posted:
    """A message the agent posted, as a grader sees it."""

    id: str
    conversation: str
    """The conversation's id."""
    members: frozenset[str]
    """Handles of everyone in the conversation (the agent included)."""
    channel: str
    """The channel's name, or '' for a direct conversation."""
    text: str

    def lines(self) -> list[str]:
        """The text's non-blank lines, whitespace collapsed."""
        return [" ".join(line.split()) for line in self.text.splitlines() if line.strip()]


def posted(ctx: GradeContext, store: str = "chat") -> list[Posted]:
    """The messages the agent added during the episode (new messages by ``me``), each text
    bounded by ``GradeContext.text``."""
    chat = ctx.world.stores.get(store)
    if not isinstance(chat, ChatStore):
        return []
    dump = ctx.initial.stores.get(store)
    old = {m.get("id") for m in json.loads(dump).get("messages", [])} if dump else set()
    where = {c.id: c for c in chat.conversations}
    found = []
    for m in chat.messages:
        if m.id in old or m.user != chat.me or m.conversation not in where:
            continue
        conversation = where[m.conversation]
        found.append(Posted(m.id, conversation.id, frozenset(conversation.members),
                            conversation.name if conversation.kind == "channel" else "",
                            ctx.text(m.text, f"chat message {m.id}")))
    return found


NO_ROOM = Room(name="(no room)", address="no-room@invalid", capacity=1)
"""Stands for "no room needed" in ``content.scheduling.earliest``: no event books it, so
it is always free, and a meeting that needs no room is placed by its people alone."""


def earliest_unroomed(store: CalendarStore, meeting: Meeting,
                      allows: Callable[[Slot], bool]) -> Slot | None:
    """The earliest slot of ``meeting`` that ``allows`` accepts and every participant has
    free (``content.scheduling.earliest`` for a meeting that books no room)."""
    found = earliest(store, meeting, allows, [NO_ROOM])
    return None if found is None else found[0]
