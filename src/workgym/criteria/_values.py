"""Values the agent wrote, read back in the one form the answer is kept in."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_MONEY_CHARS = 32
"""Longest text an amount is read from; a longer one is not an amount."""
MAX_MONEY = Decimal(10) ** 12
"""Largest amount (in absolute value) read as one."""


def money(value: Any) -> str:
    """An amount the agent wrote (``1,234.50``, ``EUR 12``, ``12 €``, a number) as
    two-decimal text (``1234.50``, ``12.00``), to compare with an answer kept that way.

    Raises:
        ValueError: not an amount: a boolean or None, text that is no number, more than
            two decimals, not finite, or out of range. A criterion reading agent content
            fails closed on it.
    """
    if value is None or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    text = str(value)
    if len(text) > MAX_MONEY_CHARS:
        raise ValueError(f"an amount of more than {MAX_MONEY_CHARS} characters")
    text = text.replace(",", "").replace("EUR", "").replace("€", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not number.is_finite() or abs(number) > MAX_MONEY or number != round(number, 2):
        raise ValueError(f"{value!r} is not an amount with two decimals")
    out = f"{number.quantize(Decimal('0.01')):.2f}"
    return "0.00" if out == "-0.00" else out
