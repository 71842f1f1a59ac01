"""Report deliverables: the checks a memo (a .docx of ``Key: value`` lines) and the mail
that carries a report's files need, shared by the report families.

They follow the rules of ``workgym.criteria`` (bounded reads, fail closed, one reading
per grade) and are candidates for that library.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal

from workgym import criteria as wc
from workgym.core import Criterion, GradeContext, GradeError

__all__ = ["amount_cents", "decimal_text", "mailed_with", "memo_lines", "memo_value", "whole"]


def amount_cents(value: object, what: str = "amount") -> int:
    """Cents of a number a sheet cell or a text holds (``1234.5``, ``"1,234.50"``).

    Raises:
        GradeError: not a plain finite number, or one with more than two decimals.
    """
    # a float cell holds the nearest double: its shortest repr is what was written
    number = GradeContext.number(repr(value) if isinstance(value, float) else value, what)
    cents = number * 100
    if cents != cents.to_integral_value():
        raise GradeError(f"{what}: {value!r} has more than two decimals")
    return int(cents)


def whole(value: object, what: str = "count") -> int:
    """A whole number from a cell or a text.

    Raises:
        GradeError: not a plain whole number.
    """
    number = GradeContext.number(repr(value) if isinstance(value, float) else value, what)
    if number != number.to_integral_value():
        raise GradeError(f"{what}: {value!r} is not a whole number")
    return int(number)


def memo_lines(rel: str) -> wc.Found[list[str]]:
    """A reader of the lines of the Word document ``rel``: its paragraphs, a line break
    inside one starting a new line (bounded, failing closed)."""
    read = wc.docx_paragraphs(rel)

    def lines(ctx: GradeContext) -> list[str]:
        return [wc.collapse(part) for paragraph in read(ctx)
                for part in paragraph.splitlines() if part.strip()]
    return wc.per_grade(lines)


def memo_value(name: str, rel: str, key: str, accept: Callable[[str], bool], *,
               expected: str, weight: float = 1.0) -> Criterion:
    """The memo ``rel`` has exactly one ``key: value`` line, and ``accept`` takes its value
    (``accept`` runs as agent content: its ValueError or GradeError fails the criterion)."""
    read = memo_lines(rel)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        found = ctx.line_values("\n".join(read(ctx)), key, rel)
        if len(found) != 1:
            return False, f"{len(found)} {key!r} line(s) in {rel}; expected one: {expected}"
        with ctx.agent_content(f"the {key!r} line of {rel}"):
            ok = accept(found[0])
        return ok, f"{key}: {found[0][:80]!r} (expected {expected})"

    return Criterion(name, check, weight=weight)


def mailed_with(name: str, to: str, paths: Sequence[str], *, store: str = "mail",
                weight: float = 1.0) -> Criterion:
    """A mail sent to ``to`` has every file of ``paths`` attached, each as it is at the end
    (so the files were final when they went out)."""
    who = wc.address(to)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        box = ctx.world.stores.get(store)
        dump = ctx.initial.stores.get(store)
        old = {m.get("id") for m in json.loads(dump).get("messages", [])} if dump else set()
        finals = {}
        for rel in paths:
            try:
                finals[rel.rsplit("/", 1)[-1]] = ctx.read_bytes(rel)
            except GradeError as exc:
                return False, f"{rel}: {exc}"
        tried = []
        for message in getattr(box, "messages", []):
            if message.id in old or message.folder != "sent" or who not in (
                    wc.address(a) for a in [*message.to, *message.cc]):
                continue
            attached = {a.filename: a for a in message.attachments}
            missing = [n for n, data in finals.items()
                       if n not in attached or attached[n].data() != data]
            if not missing:
                return True, f"{message.id} carries {sorted(finals)} as they are now"
            tried.append(f"{message.id} lacks or has an older {missing}")
        return False, "; ".join(tried[:3]) or f"no mail sent to {who}"

    return Criterion(name, check, weight=weight)


def decimal_text(cents: int) -> str:
    """``123450`` -> ``"1234.50"``."""
    return f"{Decimal(cents) / 100:.2f}"
