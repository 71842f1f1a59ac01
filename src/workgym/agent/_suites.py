"""Suites: named task sets built from the family registry.

``train`` and ``holdout`` seeds are disjoint by construction: a seed is in the holdout of
a family iff ``derive_seed("split", family name, seed) % 10 == 0``; every other seed is
train. The family name carries no version, so a seed stays on its side when a family
gets a new version.

The generalization splits (``SPLITS``, ``split:NAME``) each pair a train side with a test
side that differ along one axis (seeds, families, tool dialect, phrasing, level or
richness); the two sides are disjoint by construction: the test side always takes holdout
seeds, the train side train seeds, and on the split's own axis their values never meet.
docs/splits.md describes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from workgym.core import (
    DIFFICULTIES,
    FRAMES,
    Difficulty,
    TaskSpec,
    canonical_variant,
    derive_seed,
    family_ids,
    get_family,
    parse_seeds,
)

HOLDOUT_MODULUS = 10
SMOKE_PER_FAMILY = 2
"""Tasks per family in ``smoke`` (easy, holdout seeds)."""
HOLDOUT_PER_LEVEL = 10
"""Holdout seeds per family and difficulty in ``holdout`` and its slices."""
TRAIN_PER_LEVEL = 100
"""Train seeds per family and difficulty in the ``train`` suite (training can draw more
with ``train_seeds``)."""

SUITES = ("smoke", "holdout", "train", "category:NAME", "difficulty:LEVEL", "family:ID",
          "split:NAME", "split:NAME:train")

Side = Literal["train", "test"]
SIDES: tuple[Side, ...] = ("train", "test")

TRANSFER_TEST_CATEGORIES: tuple[str, ...] = ("markets", "privacy", "research", "slides")
"""Categories on the test side of ``transfer`` (every other category trains), unless a
family says otherwise with ``TaskFamily.transfer_side``."""
INTERFACE_TRAIN_PROCS = 500
"""``interface`` trains on ``native``, ``mcp-public`` and ``proc-0`` ... ``proc-499``."""
INTERFACE_TEST_FIRST = 1000
"""``interface`` tests on ``proc-1000`` ... ``proc-1999``."""
PARAPHRASE_TEST_FRAMES: tuple[int, ...] = (4, 5)
"""Frames (``workgym.core.FRAMES``) of the phrasings ``paraphrase`` tests on; its train
side takes phrasing 0 and the phrasings of every other frame."""
PHRASINGS_PER_FRAME = 50
"""Phrasings drawn per frame by ``paraphrase`` (phrasing n has frame (n - 1) % 6)."""


def is_holdout(family: str, seed: int) -> bool:
    """Whether ``seed`` of ``family`` (``category/name``, no version) is a holdout seed."""
    return derive_seed("split", family, seed) % HOLDOUT_MODULUS == 0


def holdout_seeds(family: str, n: int) -> list[int]:
    """The first ``n`` holdout seeds of ``family``."""
    return _take(family, n, holdout=True)


def train_seeds(family: str, n: int) -> list[int]:
    """The first ``n`` train seeds of ``family`` (never a holdout seed)."""
    return _take(family, n, holdout=False)


def _take(family: str, n: int, *, holdout: bool) -> list[int]:
    found: list[int] = []
    seed = 0
    while len(found) < n:
        if is_holdout(family, seed) == holdout:
            found.append(seed)
        seed += 1
    return found


def _families(prefix: str | None = None) -> Iterator[tuple[str, str]]:
    for fid in family_ids():
        fam = get_family(fid)
        if prefix is None or fam.name.split("/", 1)[0] == prefix:
            yield fid, fam.name


def _holdout(per_level: int, levels: tuple[str, ...] = DIFFICULTIES,
             category: str | None = None) -> list[TaskSpec]:
    specs: list[TaskSpec] = []
    for fid, name in _families(category):
        fam = get_family(fid)
        for level in levels:
            specs.extend(fam.spec(seed, level) for seed in holdout_seeds(name, per_level))  # type: ignore[arg-type]
    return specs


def transfer_side(family_id: str) -> Side:
    """The side of the ``transfer`` split ``family_id`` is on: the family's own
    ``transfer_side`` when set, else ``test`` for ``TRANSFER_TEST_CATEGORIES``."""
    family = get_family(family_id)
    if family.transfer_side is not None:
        return family.transfer_side
    return "test" if family.name.split("/", 1)[0] in TRANSFER_TEST_CATEGORIES else "train"


def _pick(key: str, family: str, seed: int) -> int:
    return derive_seed(key, family, seed)


def interface_dialects(side: Side) -> tuple[str, ...]:
    """The dialects of one side of ``interface`` (the test side's are ``proc-N``)."""
    if side == "train":
        return ("native", "mcp-public", *(f"proc-{n}" for n in range(INTERFACE_TRAIN_PROCS)))
    return tuple(f"proc-{INTERFACE_TEST_FIRST + n}" for n in range(INTERFACE_TEST_FIRST))


def paraphrase_frames(side: Side) -> tuple[int, ...]:
    """The frames of one side of ``paraphrase`` (phrasing 0 trains too)."""
    test = PARAPHRASE_TEST_FRAMES
    return test if side == "test" else tuple(f for f in range(len(FRAMES)) if f not in test)


def _dialect(family: str, seed: int, side: Side) -> str:
    choices = interface_dialects(side)
    return f"dialect={choices[_pick('interface', family, seed) % len(choices)]}"


def _phrasing(family: str, seed: int, side: Side) -> str:
    frames = paraphrase_frames(side)
    pick = _pick("paraphrase", family, seed)
    slots = len(frames) + (side == "train")  # the train side also keeps phrasing 0
    slot = pick % slots
    if side == "train" and slot == len(frames):
        return "default"
    phrasing = frames[slot] + 1 + len(FRAMES) * ((pick // slots) % PHRASINGS_PER_FRAME)
    return f"phrasing={phrasing}"


def _plain(family: str, seed: int, side: Side) -> str:
    return "default"


@dataclass(frozen=True)
class Split:
    """A generalization split: a train side and a test side that differ along one axis.

    Both sides take every registered family (``transfer`` divides them), the levels and
    richness of their side, and a variant drawn per task; the train side takes train
    seeds and the test side holdout seeds.
    """

    name: str
    axis: str
    """What differs between the sides, in words."""
    levels: dict[Side, tuple[Difficulty, ...]] = field(
        default_factory=lambda: {"train": DIFFICULTIES, "test": DIFFICULTIES})
    richness: dict[Side, float] = field(default_factory=lambda: {"train": 0.5, "test": 0.5})
    variant: Callable[[str, int, Side], str] = _plain
    """The variant string of a task from its family name, seed and side."""
    divides_families: bool = False
    """Whether each family is on one side only (``transfer_side``)."""

    def family_ids(self, side: Side) -> list[str]:
        """The families of ``side``."""
        return [fid for fid in family_ids()
                if not self.divides_families or transfer_side(fid) == side]

    def specs(self, side: Side, per_level: int | None = None) -> list[TaskSpec]:
        """The tasks of ``side``: ``per_level`` seeds per family and level (the holdout or
        train suite's default size otherwise)."""
        n = per_level or (TRAIN_PER_LEVEL if side == "train" else HOLDOUT_PER_LEVEL)
        pick = train_seeds if side == "train" else holdout_seeds
        specs: list[TaskSpec] = []
        for fid in self.family_ids(side):
            fam = get_family(fid)
            for level in self.levels[side]:
                specs.extend(fam.spec(seed, level, self.richness[side],
                                      self.variant(fam.name, seed, side))
                             for seed in pick(fam.name, n))
        return specs

    def side_of(self, spec: TaskSpec, family_id: str | None = None) -> Side | None:
        """The side of this split ``spec`` is on, or None when it is on neither.

        The seed decides the only side it can be on (holdout seeds test, train seeds
        train); it is on that side when its level, richness and variant are the side's
        and, for a split that divides families, its family is on that side too. The
        family's version is not compared: a seed keeps its side across versions.

        Args:
            spec: the task.
            family_id: the registered id of ``spec``'s family (looked up when None).
        """
        side: Side = "test" if is_holdout(spec.family, spec.seed) else "train"
        if spec.difficulty not in self.levels[side] or spec.richness != self.richness[side]:
            return None
        if spec.variant != canonical_variant(self.variant(spec.family, spec.seed, side)):
            return None
        if self.divides_families:
            fid = family_id or _current_ids().get(spec.family)
            if fid is None or transfer_side(fid) != side:
                return None
        return side


def _current_ids() -> dict[str, str]:
    """Registered family ids by family name (``office/library-catalogue``)."""
    return {get_family(fid).name: fid for fid in family_ids()}


def split_sides(spec: TaskSpec) -> dict[str, Side | None]:
    """Which side of each split in ``SPLITS`` ``spec`` is on (None: on neither side).

    A task of an unregistered family (an external benchmark's case) is on no side.
    Several splits can hold one task: a plain hard holdout task is on the test side of
    ``holdout`` and of ``difficulty``.

    Example:
        >>> spec = split_specs("interface", "test", per_level=1)[0]
        >>> split_sides(spec)["interface"], split_sides(spec)["holdout"]
        ('test', None)
    """
    fid = _current_ids().get(spec.family)
    if fid is None:
        return dict.fromkeys(SPLITS)
    return {name: split.side_of(spec, fid) for name, split in SPLITS.items()}


SPLITS: dict[str, Split] = {split.name: split for split in (
    Split("holdout", "seeds: train seeds against holdout seeds"),
    Split("transfer", "families: whole families and categories never trained on",
          divides_families=True),
    Split("interface", "tool dialect: native, mcp-public and proc-0..499 against unseen "
          "proc-1000..1999", variant=_dialect),
    Split("paraphrase", "phrasing: the prompt and phrasings of frames 0-3 against "
          "phrasings of the unseen frames 4-5", variant=_phrasing),
    Split("difficulty", "level: easy and medium against hard",
          levels={"train": ("easy", "medium"), "test": ("hard",)}),
    Split("richness", "richness: 0.5 against 1.0 (twice the distractors)",
          richness={"train": 0.5, "test": 1.0}),
)}
"""The generalization splits by name; ``split:NAME`` is the test side of one."""


def split_specs(name: str, side: Side = "test", per_level: int | None = None) -> list[TaskSpec]:
    """The tasks of one side of the split ``name`` (see ``SPLITS``).

    Raises:
        ValueError: an unknown split or side.
    """
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; splits: {', '.join(SPLITS)}")
    if side not in SIDES:
        raise ValueError(f"a split's side is 'train' or 'test', got {side!r}")
    return SPLITS[name].specs(side, per_level)


def _named(name: str, per_level: int | None) -> list[TaskSpec]:
    kind, _, arg = name.partition(":")
    specs: list[TaskSpec]
    if kind == "smoke" and not arg:
        n = per_level or SMOKE_PER_FAMILY
        specs = [get_family(fid).spec(seed, "easy")
                 for fid, fam in _families() for seed in holdout_seeds(fam, n)]
    elif kind == "holdout" and not arg:
        specs = _holdout(per_level or HOLDOUT_PER_LEVEL)
    elif kind == "train" and not arg:
        specs = SPLITS["holdout"].specs("train", per_level)
    elif kind == "category" and arg:
        specs = _holdout(per_level or HOLDOUT_PER_LEVEL, category=arg)
        if not specs:
            cats = sorted({fam.split("/")[0] for _, fam in _families()})
            raise ValueError(f"no family in category {arg!r}; categories: {', '.join(cats)}")
    elif kind == "difficulty" and arg:
        if arg not in DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {arg!r}")
        specs = _holdout(per_level or HOLDOUT_PER_LEVEL, levels=(arg,))
    elif kind == "family" and arg:
        fam = get_family(arg)
        specs = [fam.spec(seed, level)  # type: ignore[arg-type]
                 for level in DIFFICULTIES
                 for seed in holdout_seeds(fam.name, per_level or HOLDOUT_PER_LEVEL)]
    elif kind == "split" and arg:
        split, _, side = arg.partition(":")
        specs = split_specs(split, side or "test", per_level)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown suite {name!r}; suites: {', '.join(SUITES)}")
    return specs


def _chosen(families: Sequence[str], seeds: str | Iterable[int] | None,
            split: Literal["train", "holdout"] | None, per_level: int | None,
            difficulties: Sequence[Difficulty], richness: float,
            variant: str) -> list[TaskSpec]:
    specs: list[TaskSpec] = []
    for family_id in families or family_ids():
        family = get_family(family_id)
        if seeds is not None:
            chosen = parse_seeds(seeds) if isinstance(seeds, str) else list(seeds)
            if split is not None:
                chosen = [s for s in chosen if is_holdout(family.name, s) == (split == "holdout")]
        else:
            n = per_level or (TRAIN_PER_LEVEL if split == "train" else HOLDOUT_PER_LEVEL)
            chosen = _take(family.name, n, holdout=split != "train")
        specs.extend(family.spec(seed, level, richness, variant)
                     for level in difficulties for seed in chosen)
    return specs


def suite_specs(
    name: str | None = None,
    per_level: int | None = None,
    *,
    families: Sequence[str] = (),
    seeds: str | Iterable[int] | None = None,
    split: Literal["train", "holdout"] | None = None,
    difficulties: Sequence[Difficulty] = DIFFICULTIES,
    richness: float = 0.5,
    variant: str = "default",
) -> list[TaskSpec]:
    """The task specs of a suite, or of families x levels x seeds: workgym's one way to
    select tasks (evaluation, training and the trainer adapters all call it).

    Suites:
        ``smoke``: two easy holdout tasks per family, for a quick sanity run.
        ``holdout``: holdout seeds of every family at every difficulty.
        ``train``: train seeds of every family at every difficulty.
        ``category:NAME``: ``holdout`` restricted to one category (``category:office``).
        ``difficulty:LEVEL``: ``holdout`` at one difficulty (``difficulty:hard``).
        ``family:ID``: ``holdout`` of one family (``family:office/library-catalogue-v1``).
        ``split:NAME``: the test side of a generalization split (``SPLITS``: holdout,
            transfer, interface, paraphrase, difficulty, richness).
        ``split:NAME:train``: its train side (``split:NAME:test`` is the test side).

    Without ``name``, the tasks are ``families`` (every registered one when empty) at
    ``difficulties``, ``richness`` and ``variant``, over ``seeds`` (``"0-99"``, ``"1,5"``
    or integers; with ``split``, only that side's seeds among them) or, without
    ``seeds``, the first ``per_level`` seeds of ``split`` (holdout by default).

    Args:
        name: the suite.
        per_level: tasks per family and difficulty (per family for ``smoke``), instead of
            the suite's default size.
        families: family ids, without ``name``.
        seeds: seeds, without ``name``.
        split: ``train`` or ``holdout`` seeds, without ``name``.
        difficulties: levels, without ``name``.
        richness: distractor level, without ``name``.
        variant: interface variant, without ``name``.

    Raises:
        ValueError: an unknown suite, or one that selects no task.
    """
    if name is not None:
        specs = _named(name, per_level)
    else:
        specs = _chosen(families, seeds, split, per_level, difficulties, richness, variant)
    if not specs:
        what = f"suite {name!r}" if name is not None else "the selection"
        raise ValueError(f"{what} has no task: no family is registered or none matches "
                         "(run 'workgym list')")
    return specs

