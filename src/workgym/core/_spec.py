"""TaskSpec: the frozen, hashable description of one task."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workgym.core._variant import canonical_variant

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")


class TaskSpec(BaseModel):
    """Everything that determines a task. Same spec, byte-identical world."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str
    """Family name without version, e.g. ``office/library-catalogue``."""
    version: int = Field(ge=1)
    """Family version; changing what a family generates bumps it."""
    seed: int = Field(ge=0)
    """Procedural seed."""
    difficulty: Difficulty = "medium"
    """Named difficulty level."""
    richness: float = Field(default=0.5, ge=0.0, le=1.0)
    """0..1: how many goal-irrelevant but realistic distractors the world holds."""
    variant: str = "default"
    """Interface variant: the family's own variant, ``dialect=`` and ``phrasing=``
    (see ``workgym.core.Variant``), kept in canonical form."""

    @field_validator("variant")
    @classmethod
    def _canonical_variant(cls, value: str) -> str:
        return canonical_variant(value)

    @field_validator("family")
    @classmethod
    def _family_name(cls, value: str) -> str:
        if value.count("/") != 1 or not all(value.split("/")):
            raise ValueError(f"family must look like 'category/name', got {value!r}")
        return value

    @property
    def family_id(self) -> str:
        """Versioned family id, e.g. ``office/library-catalogue-v1``."""
        return f"{self.family}-v{self.version}"

    @property
    def category(self) -> str:
        return self.family.split("/", 1)[0]

    @property
    def id(self) -> str:
        """Content hash of the spec: the task id."""
        digest = hashlib.sha256(self.canonical_json().encode()).hexdigest()
        return digest[:16]

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> TaskSpec:
        return cls.model_validate_json(text)


def parse_seeds(text: str) -> list[int]:
    """``0-99``, ``3``, ``1,5,9`` or ``0-9,20-29`` to a list of seeds.

    Raises:
        ValueError: anything else, or a negative seed.
    """
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            elif part:
                seeds.append(int(part))
    except ValueError:
        raise ValueError(f"seeds must look like '0-99' or '1,5,9', got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds must be non-negative integers, got {text!r}")
    return seeds
