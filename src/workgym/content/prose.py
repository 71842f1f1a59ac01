"""Prose: letters, lists and everyday phrasing, so families write mails the same way."""

from __future__ import annotations

import random
from collections.abc import Iterable

CLOSINGS = ("Thanks,", "Best,", "Kind regards,", "Cheers,")
ACKNOWLEDGEMENTS = (
    "Any time works for me.",
    "No constraints on my side; my calendar is up to date.",
    "Looking forward to it.",
    "Fine with me.",
)


def letter(to: str, body: str, signature: str, closing: str | None = "Thanks,",
           greeting: str = "Hi") -> str:
    """``Hi <to>,``, a blank line, the body, a blank line, the closing and signature."""
    sign = f"{closing}\n{signature}" if closing else signature
    return f"{greeting} {to},\n\n{body}\n\n{sign}"


def bullets(items: Iterable[str], mark: str = "-") -> str:
    """One ``- item`` line per item."""
    return "\n".join(f"{mark} {item}" for item in items)


def pick_closing(rng: random.Random) -> str:
    return rng.choice(CLOSINGS)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 copy``, ``3 copies`` (with ``many`` given), ``2 books``."""
    return f"{count} {word if count == 1 else many or word + 's'}"
