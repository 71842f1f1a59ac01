"""Small Python codebases with planted bugs, for coding tasks.

A :class:`Routine` is one self-contained function of a utility library, written here as
real, typed Python: the correct version, and one or more buggy versions (each a plausible
slip: an off-by-one, a missed rounding rule, a comparison one step off). The source text
a generated project holds is taken from these very functions (``inspect.getsource``), so
what a task's hidden cases expect is exactly what the correct code returns: there is no
second implementation to drift from it.

Every argument and result is JSON data (numbers, strings, booleans, lists), so a case
can be written into a test file, sent to a sandboxed run and compared as canonical JSON.

- :data:`ROUTINES`: the pool, by name; each has a theme (the module it lives in);
- :func:`render_module`: a module's source from routines, each correct or buggy;
- :func:`render_tests`: a ``unittest`` file asserting cases;
- :func:`outcome`: what a version of a routine gives for some arguments (a value, or the
  name of the exception it raised), as canonical JSON.
"""

from __future__ import annotations

import inspect
import json
import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

__all__ = ["ROUTINES", "THEMES", "Routine", "call_text", "outcome", "render_module",
           "render_tests"]

Args = tuple[Any, ...]


# -- money ---------------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """Parse an amount such as "1,234.50" or "-3.2" into integer cents."""
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount: {text!r}")
    cents = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    return -cents if negative else cents


def _parse_amount_one_decimal(text: str) -> int:
    """Parse an amount such as "1,234.50" or "-3.2" into integer cents."""
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount: {text!r}")
    cents = int(whole) * 100 + int(frac or "0")
    return -cents if negative else cents


def _parse_amount_sign(text: str) -> int:
    """Parse an amount such as "1,234.50" or "-3.2" into integer cents."""
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount: {text!r}")
    cents = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    return cents


def _draw_amount(rng: random.Random) -> Args:
    whole = rng.choice((rng.randint(0, 99), rng.randint(100, 9999), rng.randint(10_000, 999_999)))
    text = f"{whole:,}" if whole >= 1000 and rng.random() < 0.6 else str(whole)
    decimals = rng.choice((0, 1, 1, 2, 2))
    if decimals:
        text += "." + "".join(rng.choice("0123456789") for _ in range(decimals))
    if rng.random() < 0.35:
        text = "-" + text
    if rng.random() < 0.06:
        text = rng.choice(("12.345", "abc", "1.2.3", "", "-"))
    return (text,)


def apply_discount(cents: int, percent: int) -> int:
    """The price in cents after a percentage discount, the discount rounded half up."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    off = (cents * percent + 50) // 100
    return cents - off


def _apply_discount_truncated(cents: int, percent: int) -> int:
    """The price in cents after a percentage discount, the discount rounded half up."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    off = cents * percent // 100
    return cents - off


def _apply_discount_zero(cents: int, percent: int) -> int:
    """The price in cents after a percentage discount, the discount rounded half up."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    off = (cents * percent + 50) // 100
    return cents - off


def _draw_discount(rng: random.Random) -> Args:
    percent = rng.choice((0, 5, 10, 12, 15, 20, 25, 33, 50, 100, rng.randint(1, 99)))
    if rng.random() < 0.05:
        percent = rng.choice((-5, 101, 150))
    return (rng.randint(1, 250_000), percent)


def percent_change(old: int, new: int) -> float:
    """The change from old to new in percent of old, rounded to one decimal."""
    if old == 0:
        raise ValueError("no percentage change from zero")
    return round((new - old) / abs(old) * 100, 1)


def _percent_change_of_new(old: int, new: int) -> float:
    """The change from old to new in percent of old, rounded to one decimal."""
    if old == 0:
        raise ValueError("no percentage change from zero")
    return round((new - old) / abs(new) * 100, 1)


def _percent_change_signed(old: int, new: int) -> float:
    """The change from old to new in percent of old, rounded to one decimal."""
    if old == 0:
        raise ValueError("no percentage change from zero")
    return round((new - old) / old * 100, 1)


def _draw_change(rng: random.Random) -> Args:
    old = rng.choice((rng.randint(1, 900), -rng.randint(1, 900)))
    if rng.random() < 0.05:
        old = 0
    return (old, rng.randint(-900, 900) or 7)


def luhn_valid(number: str) -> bool:
    """Whether a card or account number (spaces allowed) passes the Luhn check."""
    digits = [int(ch) for ch in number if ch.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _luhn_valid_parity(number: str) -> bool:
    """Whether a card or account number (spaces allowed) passes the Luhn check."""
    digits = [int(ch) for ch in number if ch.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _luhn_valid_carry(number: str) -> bool:
    """Whether a card or account number (spaces allowed) passes the Luhn check."""
    digits = [int(ch) for ch in number if ch.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
        total += digit
    return total % 10 == 0


def _draw_luhn(rng: random.Random) -> Args:
    body = [rng.randint(0, 9) for _ in range(rng.choice((11, 13, 15)))]
    total = 0
    for position, digit in enumerate(reversed(body)):
        if position % 2 == 0:  # these are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    check = (10 - total % 10) % 10
    if rng.random() < 0.4:
        check = (check + rng.randint(1, 9)) % 10
    text = "".join(map(str, [*body, check]))
    if rng.random() < 0.3:
        text = " ".join(text[i:i + 4] for i in range(0, len(text), 4))
    return (text,)


# -- text ----------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """A lower-case URL slug: runs of anything but ASCII letters and digits become one "-"."""
    out: list[str] = []
    dash = False
    for ch in title.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif out and not dash:
            out.append("-")
            dash = True
    return "".join(out).rstrip("-")


def _slugify_trailing(title: str) -> str:
    """A lower-case URL slug: runs of anything but ASCII letters and digits become one "-"."""
    out: list[str] = []
    dash = False
    for ch in title.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif out and not dash:
            out.append("-")
            dash = True
    return "".join(out)


def _slugify_runs(title: str) -> str:
    """A lower-case URL slug: runs of anything but ASCII letters and digits become one "-"."""
    out: list[str] = []
    for ch in title.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out:
            out.append("-")
    return "".join(out).rstrip("-")


_WORDS = ("quarterly", "report", "budget", "team", "offsite", "invoice", "Q3", "plan",
          "release", "notes", "2026", "draft", "final", "review", "kick-off", "roadmap")


def _draw_title(rng: random.Random) -> Args:
    words = rng.sample(_WORDS, rng.randint(1, 4))
    glue = [rng.choice((" ", " ", "  ", " - ", ", ", ": ", "/")) for _ in words[1:]]
    text = words[0] + "".join(g + w for g, w in zip(glue, words[1:], strict=True))
    if rng.random() < 0.4:
        text += rng.choice(("!", "?", " (v2)", "...", " "))
    if rng.random() < 0.2:
        text = rng.choice((" ", "#", "-- ")) + text
    return (text.title() if rng.random() < 0.5 else text,)


def top_words(text: str, n: int) -> list[list[Any]]:
    """The n most frequent words (case-insensitive, punctuation stripped) with their
    counts, most frequent first, ties in alphabetical order."""
    counts: dict[str, int] = {}
    for raw in text.lower().split():
        word = raw.strip(".,;:!?\"'()")
        if word:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [[word, count] for word, count in ranked[:n]]


def _top_words_ties(text: str, n: int) -> list[list[Any]]:
    """The n most frequent words (case-insensitive, punctuation stripped) with their
    counts, most frequent first, ties in alphabetical order."""
    counts: dict[str, int] = {}
    for raw in text.lower().split():
        word = raw.strip(".,;:!?\"'()")
        if word:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    return [[word, count] for word, count in ranked[:n]]


def _top_words_case(text: str, n: int) -> list[list[Any]]:
    """The n most frequent words (case-insensitive, punctuation stripped) with their
    counts, most frequent first, ties in alphabetical order."""
    counts: dict[str, int] = {}
    for raw in text.split():
        word = raw.strip(".,;:!?\"'()")
        if word:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [[word, count] for word, count in ranked[:n]]


_VOCABULARY = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta")


def _draw_words(rng: random.Random) -> Args:
    pool = rng.sample(_VOCABULARY, rng.randint(3, 6))
    words = [rng.choice(pool) for _ in range(rng.randint(4, 14))]
    words = [w.capitalize() if rng.random() < 0.25 else w for w in words]
    words = [w + rng.choice((",", ".", "!", "")) if rng.random() < 0.2 else w for w in words]
    return (" ".join(words), rng.randint(1, 4))


def format_duration(seconds: int) -> str:
    """A duration as "1h 02m 03s", "4m 05s" or "7s"."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _format_duration_hours(seconds: int) -> str:
    """A duration as "1h 02m 03s", "4m 05s" or "7s"."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _format_duration_minutes(seconds: int) -> str:
    """A duration as "1h 02m 03s", "4m 05s" or "7s"."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def _draw_seconds(rng: random.Random) -> Args:
    hours = rng.choice((0, 0, 0, 1, 2, rng.randint(3, 30)))
    minutes = rng.choice((0, rng.randint(1, 9), rng.randint(10, 59)))
    value = hours * 3600 + minutes * 60 + rng.choice((rng.randint(0, 9), rng.randint(10, 59)))
    return (-value if rng.random() < 0.04 and value else value,)


# -- dates ---------------------------------------------------------------------------------


def business_days(start: str, end: str) -> int:
    """Weekdays (Monday to Friday) from start, inclusive, to end, exclusive (ISO dates)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError("end is before start")
    days = 0
    current = first
    while current < last:
        if current.weekday() < 5:
            days += 1
        current += timedelta(days=1)
    return days


def _business_days_inclusive(start: str, end: str) -> int:
    """Weekdays (Monday to Friday) from start, inclusive, to end, exclusive (ISO dates)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError("end is before start")
    days = 0
    current = first
    while current <= last:
        if current.weekday() < 5:
            days += 1
        current += timedelta(days=1)
    return days


def _business_days_saturday(start: str, end: str) -> int:
    """Weekdays (Monday to Friday) from start, inclusive, to end, exclusive (ISO dates)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError("end is before start")
    days = 0
    current = first
    while current < last:
        if current.weekday() < 6:
            days += 1
        current += timedelta(days=1)
    return days


def _draw_span(rng: random.Random) -> Args:
    first = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
    last = first + timedelta(days=rng.randint(0, 45))
    if rng.random() < 0.05:
        first, last = last + timedelta(days=1), first
    return (first.isoformat(), last.isoformat())


def is_leap_year(year: int) -> bool:
    """Whether a year of the Gregorian calendar has 366 days."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _is_leap_year_400(year: int) -> bool:
    """Whether a year of the Gregorian calendar has 366 days."""
    return year % 4 == 0 and year % 100 != 0


def _is_leap_year_100(year: int) -> bool:
    """Whether a year of the Gregorian calendar has 366 days."""
    return year % 4 == 0


def _draw_year(rng: random.Random) -> Args:
    return (rng.choice((rng.randint(1200, 2800), 100 * rng.randint(12, 28),
                        4 * rng.randint(300, 700))),)


def days_in_month(year: int, month: int) -> int:
    """The number of days in a month (1-12) of a Gregorian year."""
    if not 1 <= month <= 12:
        raise ValueError("month must be between 1 and 12")
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_in_month_table(year: int, month: int) -> int:
    """The number of days in a month (1-12) of a Gregorian year."""
    if not 1 <= month <= 12:
        raise ValueError("month must be between 1 and 12")
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 8, 11) else 31


def _days_in_month_range(year: int, month: int) -> int:
    """The number of days in a month (1-12) of a Gregorian year."""
    if not 1 <= month < 12:
        raise ValueError("month must be between 1 and 12")
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _draw_month(rng: random.Random) -> Args:
    month = rng.choice((2, 8, 9, 12, rng.randint(1, 12)))
    if rng.random() < 0.05:
        month = rng.choice((0, 13))
    return (rng.choice((2024, 2025, 2000, 1900, rng.randint(1990, 2030))), month)


# -- collections ---------------------------------------------------------------------------


def median(values: list[int]) -> float:
    """The median of a non-empty list of numbers."""
    if not values:
        raise ValueError("the median of no values is undefined")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _median_even(values: list[int]) -> float:
    """The median of a non-empty list of numbers."""
    if not values:
        raise ValueError("the median of no values is undefined")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle])


def _median_unsorted(values: list[int]) -> float:
    """The median of a non-empty list of numbers."""
    if not values:
        raise ValueError("the median of no values is undefined")
    ordered = list(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _draw_values(rng: random.Random) -> Args:
    return ([rng.randint(-50, 200) for _ in range(rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8)))],)


def chunk(items: list[Any], size: int) -> list[list[Any]]:
    """The items in consecutive groups of size (the last group may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _chunk_partial(items: list[Any], size: int) -> list[list[Any]]:
    """The items in consecutive groups of size (the last group may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[i:i + size]) for i in range(0, len(items) - size + 1, size)]


def _draw_chunks(rng: random.Random) -> Args:
    return (list(range(rng.randint(0, 11))), rng.choice((1, 2, 3, 4, 5, rng.randint(0, 6))))


def merge_ranges(ranges: list[list[int]]) -> list[list[int]]:
    """Overlapping or touching [start, end] ranges merged, in order of start."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _merge_ranges_touching(ranges: list[list[int]]) -> list[list[int]]:
    """Overlapping or touching [start, end] ranges merged, in order of start."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _merge_ranges_nested(ranges: list[list[int]]) -> list[list[int]]:
    """Overlapping or touching [start, end] ranges merged, in order of start."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def _draw_ranges(rng: random.Random) -> Args:
    out = []
    for _ in range(rng.randint(1, 6)):
        start = rng.randint(0, 40)
        out.append([start, start + rng.randint(0, 12)])
    if len(out) > 1 and rng.random() < 0.5:  # a range that starts where another ends
        out.append([out[0][1], out[0][1] + rng.randint(1, 5)])
    return (out,)


def running_total(values: list[int]) -> list[int]:
    """The running (cumulative) sums of a list of numbers."""
    totals: list[int] = []
    total = 0
    for value in values:
        total += value
        totals.append(total)
    return totals


def _running_total_first(values: list[int]) -> list[int]:
    """The running (cumulative) sums of a list of numbers."""
    totals: list[int] = []
    total = 0
    for value in values:
        totals.append(total)
        total += value
    return totals


def _draw_running(rng: random.Random) -> Args:
    size = rng.randint(0, 8)
    if rng.random() < 0.1:  # a quiet stretch
        return ([0] * size,)
    return ([rng.randint(-20, 99) for _ in range(size)],)


# -- the pool ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Routine:
    """One function of the pool: its correct version, its buggy ones, its inputs."""

    name: str
    theme: str
    """The module it belongs in (a key of ``THEMES``)."""
    correct: Callable[..., Any]
    bugs: tuple[Callable[..., Any], ...]
    draw: Callable[[random.Random], Args]
    """Arguments for one case (sometimes invalid ones, which must raise)."""
    context: str
    """What a user was doing when they met it, for a bug report ("importing bank
    statements")."""

    def version(self, bug: int | None) -> Callable[..., Any]:
        """The correct version (``bug`` None) or buggy version number ``bug``."""
        return self.correct if bug is None else self.bugs[bug]

    def source(self, bug: int | None = None) -> str:
        """The source of a version, named as the correct one."""
        return _source(self.version(bug), self.name)


THEMES: dict[str, str] = {
    "money": "Amounts, prices and account numbers.",
    "text": "Titles, words and durations as people read them.",
    "dates": "Calendar arithmetic.",
    "lists": "Lists of numbers and ranges.",
}
"""Theme (the module's name) -> the module's docstring."""
_IMPORTS = (("date.", "from datetime import date, timedelta"), ("Any", "from typing import Any"))

ROUTINES: dict[str, Routine] = {r.name: r for r in (
    Routine("parse_amount", "money", parse_amount,
            (_parse_amount_one_decimal, _parse_amount_sign), _draw_amount,
            "importing the bank statement export"),
    Routine("apply_discount", "money", apply_discount,
            (_apply_discount_truncated, _apply_discount_zero), _draw_discount,
            "pricing the spring promotion"),
    Routine("percent_change", "money", percent_change,
            (_percent_change_of_new, _percent_change_signed), _draw_change,
            "building the month-over-month revenue table"),
    Routine("luhn_valid", "money", luhn_valid, (_luhn_valid_parity, _luhn_valid_carry),
            _draw_luhn, "validating account numbers on the payee form"),
    Routine("slugify", "text", slugify, (_slugify_trailing, _slugify_runs), _draw_title,
            "generating page URLs for the help centre"),
    Routine("top_words", "text", top_words, (_top_words_ties, _top_words_case), _draw_words,
            "summarising support tickets by keyword"),
    Routine("format_duration", "text", format_duration,
            (_format_duration_hours, _format_duration_minutes), _draw_seconds,
            "showing call lengths in the agent dashboard"),
    Routine("business_days", "dates", business_days,
            (_business_days_inclusive, _business_days_saturday), _draw_span,
            "computing invoice due dates"),
    Routine("is_leap_year", "dates", is_leap_year, (_is_leap_year_400, _is_leap_year_100),
            _draw_year, "running the year-end calendar job"),
    Routine("days_in_month", "dates", days_in_month,
            (_days_in_month_table, _days_in_month_range), _draw_month,
            "prorating monthly subscriptions"),
    Routine("median", "lists", median, (_median_even, _median_unsorted), _draw_values,
            "building the response-time report"),
    Routine("chunk", "lists", chunk, (_chunk_partial,), _draw_chunks,
            "sending notifications in batches"),
    Routine("merge_ranges", "lists", merge_ranges,
            (_merge_ranges_touching, _merge_ranges_nested), _draw_ranges,
            "combining booked time slots"),
    Routine("running_total", "lists", running_total, (_running_total_first,),
            _draw_running, "drawing the cumulative sign-ups chart"),
)}
"""Every routine, by name."""


@cache
def _source(fn: Callable[..., Any], name: str) -> str:
    text = textwrap.dedent(inspect.getsource(fn))
    _, sep, rest = text.partition("(")
    return f"def {name}{sep}{rest}"


def _canonical(value: Any) -> Any:
    """Tuples as lists, recursively (what a JSON round trip gives)."""
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    return value


def outcome(routine: Routine, bug: int | None, args: Sequence[Any]) -> str:
    """What a version returns for ``args``, as canonical JSON: ``["ok", value]``, or
    ``["raised", "<exception type>"]``."""
    try:
        value = routine.version(bug)(*_canonical(list(args)))
    except Exception as exc:  # noqa: BLE001 - the case records which exception it is
        return json.dumps(["raised", type(exc).__name__])
    return json.dumps(["ok", _canonical(value)], sort_keys=True)


def render_module(package: str, theme: str, versions: Sequence[tuple[Routine, int | None]]
                  ) -> str:
    """A module's source: its docstring, the imports its routines need, then each routine
    in the version given (``None`` for the correct one)."""
    bodies = [routine.source(bug) for routine, bug in versions]
    imports = [line for marker, line in _IMPORTS if any(marker in b for b in bodies)]
    head = f'"""{package}.{theme}: {THEMES[theme]}"""\n\nfrom __future__ import annotations\n'
    if imports:
        head += "\n" + "\n".join(imports) + "\n"
    return "\n\n".join([head, *(b.rstrip("\n") + "\n" for b in bodies)])


def call_text(name: str, args: Sequence[Any]) -> str:
    """``name(arg, ...)`` as Python source."""
    return f"{name}({', '.join(repr(_canonical(a)) for a in args)})"


def render_tests(package: str, module: str, cases: Sequence[tuple[Routine, Args]]) -> str:
    """A ``unittest`` module asserting what the correct routines give for ``cases``
    (grouped into one TestCase per routine, in order of first appearance)."""
    names = list(dict.fromkeys(r.name for r, _ in cases))
    lines = ["import unittest", "", f"from {package}.{module} import {', '.join(sorted(names))}",
             ""]
    for name in names:
        routine = ROUTINES[name]
        title = "".join(p.capitalize() for p in name.split("_"))
        lines += ["", f"class {title}Test(unittest.TestCase):"]
        for number, (_, args) in enumerate([c for c in cases if c[0].name == name], 1):
            kind, value = json.loads(outcome(routine, None, args))
            call = call_text(name, args)
            lines.append(f"    def test_{name}_{number}(self):")
            if kind == "raised":
                lines += [f"        with self.assertRaises({value}):", f"            {call}"]
            else:
                lines.append(f"        self.assertEqual({call}, {value!r})")
            lines.append("")
    lines += ["", 'if __name__ == "__main__":', "    unittest.main()"]
    return "\n".join(lines) + "\n"
