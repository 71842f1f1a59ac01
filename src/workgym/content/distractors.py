"""Distractor helpers: goal-irrelevant but realistic content, scaled by richness.

The rule (docs/families.md): a distractor is drawn without reference to the answer. It
may depend on the setting (who, when, which files), never on which item, slot, row or
value is the answer, so nothing the agent can read (a cancelled event, an archived file,
an id, an ordering, a timestamp) points at it. Draw distractors from their own stream
(``rng_for(spec, "distractors")``) after the core is built, and place them uniformly over
the whole setting, not around the answer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from workgym.content.filler import filler_mails, filler_notes
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person


def scaled(richness: float, at_full: int) -> int:
    """How many of ``at_full`` distractors a task at ``richness`` holds."""
    if not 0.0 <= richness <= 1.0:
        raise ValueError(f"richness must be in [0, 1], got {richness}")
    return round(richness * at_full)


def times_in(rng: random.Random, start: datetime, end: datetime, count: int,
             step: timedelta = timedelta(minutes=30)) -> list[datetime]:
    """``count`` times drawn uniformly from ``start``, ``start + step``, ... before ``end``."""
    slots = int((end - start) / step)
    if slots < 1:
        raise ValueError("the window is shorter than one step")
    return [start + step * rng.randrange(slots) for _ in range(count)]


def everyday_mails(box: Mailbox, rng: random.Random, count: int, reader: Person,
                   senders: Sequence[Person], start: datetime, end: datetime) -> None:
    """File ``count`` everyday mails from ``senders`` at times spread over the window."""
    for mail, when in zip(filler_mails(rng, count, reader.first, "{sender}"),
                          times_in(rng, start, end, count), strict=True):
        who = rng.choice(list(senders))
        box.receive(who, mail.subject, mail.body.replace("{sender}", who.first), when)


def everyday_notes(rng: random.Random, count: int) -> dict[str, bytes]:
    """Up to ``count`` workspace notes (path -> bytes)."""
    return {path: text.encode() for path, text in filler_notes(rng, count)}
