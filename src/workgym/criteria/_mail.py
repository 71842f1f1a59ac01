"""Mail-sent checks: to whom, with what subject and lines, to no one else, and when.

They read the mail app's store through its public fields only (``messages``, each with
``id``, ``folder``, ``to``, ``cc``, ``subject`` and ``body``), so the library needs no app.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from workgym.core import CallRecord, Criterion, GradeContext
from workgym.criteria._memo import Found, per_grade

SENDS = ("mail.send", "mail.reply", "mail.forward")
"""The tools that send mail."""


def address(text: str) -> str:
    """The lower-cased address in ``Name <address>`` or a bare address."""
    return parseaddr(text)[1].strip().lower()


@dataclass(frozen=True)
class Mail:
    """A mail the agent sent, as the checks see it."""

    id: str
    to: tuple[str, ...]
    """Lower-cased addresses."""
    cc: tuple[str, ...]
    subject: str
    body: str

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

    def lines(self) -> list[str]:
        """The body's non-blank lines, whitespace collapsed (one pass over the body)."""
        return [" ".join(line.split()) for line in self.body.splitlines() if line.strip()]


def sent_mails(store: str = "mail") -> Found[list[Mail]]:
    """A reader of the mails sent during the episode (new messages in the ``sent`` folder
    of ``store``). A body longer than ``GradeContext.text`` allows fails the criterion."""
    def read(ctx: GradeContext) -> list[Mail]:
        box = ctx.world.stores.get(store)
        if box is None:
            return []
        dump = ctx.initial.stores.get(store)
        old = {m.get("id") for m in json.loads(dump).get("messages", [])} if dump else set()
        found = []
        for message in getattr(box, "messages", []):
            if message.id in old or message.folder != "sent":
                continue
            found.append(Mail(
                id=message.id, to=tuple(address(a) for a in message.to),
                cc=tuple(address(a) for a in message.cc),
                subject=ctx.text(message.subject, f"the subject of {message.id}"),
                body=ctx.text(message.body, f"the body of {message.id}")))
        return found
    return per_grade(read)


def _to(mail: Mail, who: str, cc: bool) -> bool:
    return who in (mail.recipients if cc else mail.to)


def mail_sent(
    name: str,
    to: str,
    *,
    subject: str | None = None,
    lines: Sequence[str] = (),
    keys: Sequence[str] = (),
    cc: bool = False,
    store: str = "mail",
    weight: float = 1.0,
) -> Criterion:
    """At least one mail went to ``to`` with the subject and the body asked for.

    Args:
        name: the criterion's name.
        to: the recipient's address (in To; with ``cc`` also in Cc).
        subject: text the subject must contain (case-insensitive).
        lines: lines the body must hold, each as a whole line (whitespace collapsed).
        keys: keys of ``Key: value`` lines the body must hold (values are for
            :func:`mail_values`); an empty mail never passes.
        cc: a copy counts as sent to ``to``.
        store: the mail app's store.
        weight: the criterion's weight.
    """
    read, who = sent_mails(store), address(to)
    want = [" ".join(line.split()) for line in lines]

    def fits(ctx: GradeContext, mail: Mail) -> str:
        """What is wrong with ``mail`` (empty when it fits)."""
        if subject is not None and subject.casefold() not in mail.subject.casefold():
            return f"{mail.id}: subject {mail.subject[:80]!r} lacks {subject!r}"
        held = set(mail.lines())
        missing = [line for line in want if line not in held]
        missing += [f"{k}: ..." for k in keys if not ctx.line_values(mail.body, k)]
        if missing:
            return f"{mail.id}: body lacks {missing[:3]}"
        if not held:
            return f"{mail.id}: the body is empty"
        return ""

    def check(ctx: GradeContext) -> tuple[bool, str]:
        mine = [m for m in read(ctx) if _to(m, who, cc)]
        if not mine:
            return False, f"no mail sent to {who}"
        problems = [fits(ctx, m) for m in mine]
        good = [m.id for m, p in zip(mine, problems, strict=True) if not p]
        if good:
            return True, f"sent to {who}: {', '.join(good)}"
        return False, "; ".join(problems[:3])

    return Criterion(name, check, weight=weight)


def mail_values(
    name: str,
    to: str,
    key: str,
    accept: Callable[[str], bool],
    *,
    expected: str,
    cc: bool = False,
    store: str = "mail",
    weight: float = 1.0,
) -> Criterion:
    """The ``Key: value`` line of the mails to ``to`` holds the right value.

    Passes when at least one mail to ``to`` has a ``key`` line, and every mail to ``to``
    that has one has exactly one, whose value ``accept`` takes. ``accept`` runs as agent
    content: a ValueError, TypeError or OverflowError it raises fails the criterion.

    Args:
        name: the criterion's name.
        to: the recipient's address.
        key: the line's key, e.g. ``Total`` (case-insensitive).
        accept: whether a value (stripped text after the colon) is right.
        expected: the right value, for the evidence.
        cc: a copy counts as sent to ``to``.
        store: the mail app's store.
        weight: the criterion's weight.
    """
    read, who = sent_mails(store), address(to)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        stated = [(m.id, ctx.line_values(m.body, key)) for m in read(ctx) if _to(m, who, cc)]
        stated = [(i, v) for i, v in stated if v]
        if not stated:
            return False, f"no mail to {who} has a {key!r} line; expected {expected}"
        with ctx.agent_content(f"the {key!r} line"):
            wrong = [(i, v) for i, v in stated if len(v) != 1 or not accept(v[0])]
        if wrong:
            shown = [v[:2] for _, v in wrong[:3]]
            return False, f"{key}: {shown} in {[i for i, _ in wrong[:3]]}; expected {expected}"
        return True, f"{key}: {stated[0][1][0]!r} (expected {expected})"

    return Criterion(name, check, weight=weight)


def mail_fields(name: str, to: str, expected: dict[str, str], *, cc: bool = False,
                store: str = "mail", weight: float = 1.0) -> Criterion:
    """Several ``Key: value`` lines at once: for each key, some mail to ``to`` has it, and
    every mail to ``to`` that has it holds it once, with exactly the expected text."""
    read, who = sent_mails(store), address(to)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        bodies = [m.body for m in read(ctx) if _to(m, who, cc)]
        stated = {key: [v for body in bodies if (v := ctx.line_values(body, key))]
                  for key in expected}
        ok = all(v and all(x == [expected[key]] for x in v) for key, v in stated.items())
        return ok, f"stated {stated}; expected {expected}"

    return Criterion(name, check, weight=weight)


def only_recipients(name: str, allowed: Collection[str], *, store: str = "mail") -> Criterion:
    """A guard: every mail sent went only to ``allowed`` addresses (To and Cc)."""
    read, fine = sent_mails(store), {address(a) for a in allowed}

    def check(ctx: GradeContext) -> tuple[bool, str]:
        stray = sorted({a for m in read(ctx) for a in m.recipients if a not in fine})
        return not stray, f"mail sent to {stray[:5]}" if stray else "no mail to anyone else"

    return Criterion(name, check, guard=True)


CallFilter = Callable[[CallRecord], bool]


def calls_to(names: Iterable[str], **args: Any) -> CallFilter:
    """A filter of successful calls of the tools ``names`` with the given arguments (paths
    compared in normal form: ``./a/b.xlsx`` is ``a/b.xlsx``)."""
    wanted = set(names)

    def norm(value: Any) -> Any:
        return posixpath.normpath(value) if isinstance(value, str) and "/" in value else value

    def accepts(call: CallRecord) -> bool:
        given = call.args if isinstance(call.args, dict) else {}
        return call.ok and call.name in wanted and all(
            norm(given.get(k)) == norm(v) for k, v in args.items())
    return accepts


def sent_after(name: str, to: str, after: CallFilter, *, what: str,
               store: str = "mail", weight: float = 1.0) -> Criterion:
    """A trajectory check: the last mail to ``to`` was sent after the last call ``after``
    accepts (``what`` names those calls in the evidence), and both happened."""
    read, who = sent_mails(store), address(to)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        mine = {m.id for m in read(ctx) if who in m.recipients}
        sends = []
        for n, call in enumerate(ctx.calls):
            if call.ok and call.name in SENDS:
                try:
                    sent = json.loads(call.output).get("sent")
                except (ValueError, AttributeError):
                    continue
                if sent in mine:
                    sends.append(n)
        marks = [n for n, call in enumerate(ctx.calls) if after(call)]
        if not sends or not marks:
            return False, f"mails to {who} at calls {sends}; {what} at calls {marks}"
        return sends[-1] > marks[-1], (f"last mail to {who} at call {sends[-1]}, last of "
                                       f"{what} at call {marks[-1]}")

    return Criterion(name, check, kind="trajectory", weight=weight)
