"""Variants: the interface a task is posed through, as a typed value with a canonical string.

A ``TaskSpec.variant`` string names up to three independent axes, joined by commas:

- the family's own variant (a bare name a family declares in ``TaskFamily.variants``,
  e.g. ``markdown``; ``default`` when omitted), which the family's ``generate`` reads;
- ``dialect=NAME``: the tool surface (``native``, ``mcp-public`` or ``proc-N``), applied
  by the episode's tool layer (see ``workgym.core._dialects``);
- ``phrasing=N``: the prompt's wording (0 is the family's own prompt), applied by
  ``paraphrase`` below.

Dialect and phrasing never reach the family: it generates the task for its own variant
and the interface is laid over it, so every family gets them without code of its own,
and the world, the criteria and the reference are those of the plain task.

The canonical form lists the family variant first, then ``dialect``, then ``phrasing``,
leaving out whatever is at its default (``default``, ``native``, ``0``); all at default
is ``default``. ``TaskSpec`` stores only canonical forms, so one task has one id.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workgym.core._validation import validation_message

NAMED_DIALECTS: tuple[str, ...] = ("native", "mcp-public")
"""The dialects known by name; ``proc-N`` (N = 0, 1, ...) adds one per seed."""
MAX_PROC_DIALECT = 10**6
"""Highest N of a ``proc-N`` dialect."""
MAX_PHRASING = 10**6
"""Highest phrasing number."""

_FAMILY_VARIANT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PROC = re.compile(r"^proc-(0|[1-9][0-9]*)$")
_KEYS = ("dialect", "phrasing")


def dialect_problem(name: str) -> str | None:
    """Why ``name`` is not a dialect name, or None when it is one."""
    if name in NAMED_DIALECTS:
        return None
    match = _PROC.match(name)
    if match and int(match.group(1)) <= MAX_PROC_DIALECT:
        return None
    return (f"unknown dialect {name!r}; dialects are {', '.join(NAMED_DIALECTS)} and "
            f"proc-N for N from 0 to {MAX_PROC_DIALECT} (e.g. dialect=proc-3)")


def proc_number(name: str) -> int | None:
    """N of a ``proc-N`` dialect name, None for a named dialect."""
    match = _PROC.match(name)
    return int(match.group(1)) if match else None


class Variant(BaseModel):
    """The parsed form of a ``TaskSpec.variant`` string.

    Example:
        >>> v = parse_variant("phrasing=2,dialect=mcp-public")
        >>> v.dialect, v.phrasing, str(v)
        ('mcp-public', 2, 'dialect=mcp-public,phrasing=2')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str = "default"
    """The family's own variant, one of its ``TaskFamily.variants``."""
    dialect: str = "native"
    """The tool surface: ``native``, ``mcp-public`` or ``proc-N``."""
    phrasing: int = Field(default=0, ge=0, le=MAX_PHRASING)
    """The prompt's wording: 0 is the family's own prompt, 1, 2, ... paraphrases."""

    @field_validator("family")
    @classmethod
    def _family_name(cls, value: str) -> str:
        if not _FAMILY_VARIANT.match(value):
            raise ValueError(f"a family variant is a lowercase name (letters, digits, '-', "
                             f"'_'), got {value!r}")
        return value

    @field_validator("dialect")
    @classmethod
    def _dialect_name(cls, value: str) -> str:
        problem = dialect_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def interface_only(self) -> bool:
        """Whether only the family's own variant is set (no dialect, no phrasing)."""
        return self.dialect == "native" and self.phrasing == 0

    def canonical(self) -> str:
        """The canonical string form (see the module docstring)."""
        parts = [] if self.family == "default" else [self.family]
        if self.dialect != "native":
            parts.append(f"dialect={self.dialect}")
        if self.phrasing:
            parts.append(f"phrasing={self.phrasing}")
        return ",".join(parts) or "default"

    def __str__(self) -> str:
        return self.canonical()

    def replace(self, **changes: Any) -> Variant:
        """This variant with some axes changed, validated again."""
        return Variant.model_validate({**self.model_dump(), **changes})


def parse_variant(text: str) -> Variant:
    """Parse a variant string (any order of its parts) into a :class:`Variant`.

    Raises:
        ValueError: an unknown key, a repeated axis, a bad dialect name or phrasing, with
            the accepted forms in the message.
    """
    values: dict[str, Any] = {}
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise ValueError(f"variant {text!r} has an empty part; join parts with single "
                             "commas, e.g. 'dialect=mcp-public,phrasing=1'")
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq:
            key, value = "family", part
        elif key not in _KEYS:
            raise ValueError(f"variant {text!r}: unknown key {key!r}; the keys are "
                             f"{', '.join(_KEYS)} (and a bare family variant name)")
        if key in values:
            raise ValueError(f"variant {text!r} sets {key} twice")
        if key == "phrasing":
            if not value.isdigit() or (len(value) > 1 and value[0] == "0"):
                raise ValueError(f"variant {text!r}: phrasing is a whole number 0..."
                                 f"{MAX_PHRASING}, got {value!r}")
            values[key] = int(value)
        else:
            values[key] = value
    try:
        return Variant.model_validate(values)
    except ValidationError as exc:
        reason = validation_message(exc, where=False)
        raise ValueError(f"variant {text!r}: {reason}") from None


def canonical_variant(text: str) -> str:
    """The canonical form of a variant string (raises ValueError as ``parse_variant``)."""
    return parse_variant(text).canonical()


# -- prompt paraphrase ----------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One instruction of a declared prompt, with other wordings of the same demand."""

    text: str
    alternatives: tuple[str, ...] = ()
    """Other phrasings that keep every requirement of ``text`` (names, numbers, exact
    strings): a paraphrase picks one of ``text`` and these."""

    def __post_init__(self) -> None:
        if not self.text.strip() or any(not a.strip() for a in self.alternatives):
            raise ValueError("a Requirement's text and alternatives must not be empty")


@dataclass(frozen=True)
class Instructions:
    """A prompt declared in parts, so that phrasings can reword and reorder it.

    ``lead`` and ``close`` keep their place; ``requirements`` are independent of one
    another (any order states the same task), so a phrasing shuffles them. Whatever
    depends on order belongs in ``lead`` or ``close``. ``text()`` is the prompt of
    phrasing 0: a family passes it as ``Task.prompt`` and the parts as
    ``Task.instructions``.

    Example:
        >>> parts = Instructions(
        ...     lead="You are Ana. Process this month's receipts.",
        ...     requirements=(Requirement("Write totals.txt with one line per month.",
        ...                               ("Put one line per month in totals.txt.",)),
        ...                   "Do not change the receipts."))
        >>> Task(..., prompt=parts.text(), instructions=parts)
    """

    lead: str
    requirements: tuple[Requirement | str, ...]
    close: str = ""

    def __post_init__(self) -> None:
        if not self.lead.strip():
            raise ValueError("Instructions need a lead (who the agent is, what the task is)")
        if not self.requirements:
            raise ValueError("Instructions need at least one requirement")

    def items(self) -> tuple[Requirement, ...]:
        """The requirements, plain strings as :class:`Requirement`."""
        return tuple(r if isinstance(r, Requirement) else Requirement(r)
                     for r in self.requirements)

    def text(self) -> str:
        """The prompt as declared: the lead, one ``- `` line per requirement, the close."""
        body = "\n".join(f"- {r.text}" for r in self.items())
        return "\n\n".join(p for p in (self.lead.strip(), body, self.close.strip()) if p)


FRAMES: tuple[str, ...] = (
    "Here is your task.\n\n{body}",
    "{body}\n\nThat is the whole task.",
    "Task\n----\n{body}",
    "Please take care of the following.\n\n{body}",
    "Request:\n\n{body}\n\n(End of request.)",
    "Your assignment:\n\n{body}",
)
"""The framings of phrasings 1, 2, ...: phrasing N is framed by ``FRAMES[(N - 1) % 6]``.
A frame adds no demand of its own."""

_PROHIBITION = re.compile(r"^(Do not|Don't|Never) ")
_TRAILING = re.compile(r"(?<=[.!])\s+(?=(?:Do not|Don't|Never) [^\n]*[.!]$)")


def frame_of(phrasing: int) -> int | None:
    """The index in ``FRAMES`` of a phrasing (None for phrasing 0, the prompt itself).

    Splits of unseen phrasings hold out frames: train on phrasings whose frame is not F,
    test on those whose frame is.
    """
    return None if phrasing == 0 else (phrasing - 1) % len(FRAMES)


def paraphrase(prompt: str, phrasing: int, *, instructions: Instructions | None = None,
               key: tuple[object, ...] = ()) -> str:
    """The prompt in phrasing ``phrasing`` (0 gives ``prompt`` unchanged).

    Every sentence of the prompt survives, so every requirement does; what changes is the
    framing (``FRAMES``) and the order of independent instructions:

    - with ``instructions``, each requirement takes one of its wordings, the requirements
      are shuffled, and they are laid out as a bulleted list, a numbered list or prose;
    - without, the prompt's prohibitions (lines or closing sentences that start with
      "Do not", "Don't" or "Never", which constrain every step alike) move as a block to
      the front or the end, or stay.

    Args:
        prompt: the family's prompt (phrasing 0).
        phrasing: 0, 1, 2, ...
        instructions: the prompt's declared parts, if the family gives them.
        key: what the random choices hang on (the task's family, seed and level), so one
            phrasing number words different tasks differently.

    Raises:
        ValueError: a negative phrasing, or ``instructions`` that do not give ``prompt``.
    """
    if phrasing < 0:
        raise ValueError(f"phrasing must be 0 or more, got {phrasing}")
    if phrasing == 0:
        return prompt
    if instructions is not None and instructions.text() != prompt:
        raise ValueError("the prompt is not instructions.text(); pass prompt=parts.text()")
    from workgym.core._seeding import derive_seed

    rng = random.Random(derive_seed("phrasing", phrasing, *key))
    if instructions is not None:
        body = _declared_body(instructions, rng)
    else:
        body = _moved_prohibitions(prompt, rng)
    frame = FRAMES[(phrasing - 1) % len(FRAMES)]
    return frame.format(body=body)


def _declared_body(parts: Instructions, rng: random.Random) -> str:
    items = [rng.choice((r.text, *r.alternatives)) for r in parts.items()]
    order = list(range(len(items)))
    if len(order) > 1:
        while order == sorted(order):  # a shuffle that changes something
            rng.shuffle(order)
    chosen = [items[i] for i in order]
    layout = rng.randrange(3)
    if layout == 0:
        body = "\n".join(f"- {text}" for text in chosen)
    elif layout == 1:
        body = "\n".join(f"{n}. {text}" for n, text in enumerate(chosen, 1))
    else:
        body = " ".join(text.strip() for text in chosen)
    return "\n\n".join(p for p in (parts.lead.strip(), body, parts.close.strip()) if p)


def prohibitions(prompt: str) -> tuple[str, list[str]]:
    """Split off a prompt's prohibitions: the prompt without them, and them in order.

    A prohibition is a whole line, or the closing sentence of a line, that starts with
    "Do not", "Don't" or "Never" and ends with a full stop. Lines of lists and indented
    lines (a format to follow) are left alone.
    """
    kept: list[str] = []
    found: list[str] = []
    for line in prompt.split("\n"):
        plain = line and not line[0].isspace() and not re.match(r"^(\d+\.|[-*]) ", line)
        if plain and _PROHIBITION.match(line) and line.rstrip().endswith((".", "!")):
            found.append(line.strip())
            continue
        if plain:
            parts = _TRAILING.split(line, maxsplit=1)
            if len(parts) == 2 and parts[0].strip():
                kept.append(parts[0].rstrip())
                found.append(parts[1].strip())
                continue
        kept.append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return text, found


def _moved_prohibitions(prompt: str, rng: random.Random) -> str:
    rest, found = prohibitions(prompt)
    if not found or not rest.strip():
        return prompt
    block = " ".join(found)
    place = rng.randrange(3)
    if place == 0:
        return prompt
    if place == 1:
        return f"{block}\n\n{rest}"
    return f"{rest}\n\n{block}"
