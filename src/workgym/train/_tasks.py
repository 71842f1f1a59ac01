"""Training tasks: the weighted mixture of a TaskSelection, and the curriculum's levels.

Tasks are selected by ``workgym.agent.suite_specs`` (the one selector); this module
weighs what it selected, keeps the train split, and moves levels for a curriculum.
"""

from __future__ import annotations

import random
import warnings
from collections import defaultdict, deque
from collections.abc import Sequence

from workgym.core import DIFFICULTIES, Difficulty, TaskSpec, family_ids, get_family
from workgym.train._config import Curriculum, TaskSelection


def _selected(selection: TaskSelection) -> list[TaskSpec]:
    from workgym.agent import suite_specs

    if selection.suite is not None:
        return suite_specs(selection.suite, selection.per_level)
    families = list(selection.families) + [
        fid for fid in family_ids() if get_family(fid).name.split("/", 1)[0]
        in selection.categories and fid not in selection.families]
    if not families:
        raise ValueError(f"no family in categories {', '.join(selection.categories)}")
    return [spec for variant in selection.variants
            for spec in suite_specs(families=families, seeds=selection.seeds,
                                    difficulties=selection.difficulties,
                                    richness=selection.richness, variant=variant)]


def task_weight(spec: TaskSpec, weights: dict[str, float]) -> float:
    """The mixture weight of ``spec``: the product of the ``weights`` entries naming its
    family (id or name), category, level or variant (1 when none does)."""
    keys = (f"family:{spec.family_id}", f"family:{spec.family}", f"category:{spec.category}",
            f"difficulty:{spec.difficulty}", f"variant:{spec.variant}")
    weight = 1.0
    for key in keys:
        weight *= weights.get(key, 1.0)
    return weight


def mixture_specs(selection: TaskSelection, seed: int = 0) -> tuple[list[TaskSpec], int]:
    """The train-split tasks of ``selection``, drawn from its weighted mixture, and how
    many holdout tasks were left out.

    Without ``size`` every selected train task comes once; with it, ``size`` tasks are
    drawn with replacement in proportion to ``task_weight`` (seeded by ``seed``).

    Raises:
        ValueError: an unknown suite or family, or a selection with no train task or
            whose weights are all 0.
    """
    from workgym.agent import is_holdout

    specs = _selected(selection)
    kept = [spec for spec in specs if not is_holdout(spec.family, spec.seed)]
    if not kept:
        raise ValueError(f"the selection holds no train-split task ({len(specs)} holdout)")
    if selection.size is None:
        return kept, len(specs) - len(kept)
    weights = [task_weight(spec, selection.weights) for spec in kept]
    if not any(weights):
        raise ValueError("every task of the selection has weight 0")
    drawn = random.Random(seed).choices(kept, weights=weights, k=selection.size)
    return drawn, len(specs) - len(kept)


def holdout_of(selection: TaskSelection, per_level: int) -> list[TaskSpec]:
    """Holdout tasks on the same families, levels, richness and variants as ``selection``
    (``per_level`` seeds each): what a stage trained on is evaluated on."""
    from workgym.agent import suite_specs

    trained = _selected(selection)
    kinds = sorted({(s.family_id, s.difficulty, s.richness, s.variant) for s in trained})
    specs: list[TaskSpec] = []
    for family_id, level, richness, variant in kinds:
        specs.extend(suite_specs(families=[family_id], split="holdout", per_level=per_level,
                                 difficulties=[level], richness=richness, variant=variant))
    return specs


class CurriculumState:
    """Each family's current level, moved up when its recent success passes the
    curriculum's threshold (``record`` each graded episode, then read ``level``)."""

    def __init__(self, curriculum: Curriculum) -> None:
        self.curriculum = curriculum
        self._level: dict[str, Difficulty] = {}
        self._recent: dict[str, deque[bool]] = defaultdict(
            lambda: deque(maxlen=curriculum.window))
        self.moves: list[tuple[str, Difficulty]] = []
        """Every move up, in order: (family, new level)."""

    def level(self, family: str) -> Difficulty:
        """The level ``family`` (name without version) trains at now."""
        return self._level.get(family, self.curriculum.start)

    def record(self, family: str, passed: bool) -> None:
        """Count one graded episode of ``family``; move it up when the share of its last
        ``window`` episodes that passed reaches the threshold (its count starts over)."""
        recent = self._recent[family]
        recent.append(passed)
        level = self.level(family)
        full = len(recent) == self.curriculum.window
        if full and sum(recent) / len(recent) >= self.curriculum.threshold and level != "hard":
            self._level[family] = DIFFICULTIES[DIFFICULTIES.index(level) + 1]
            self.moves.append((family, self._level[family]))
            recent.clear()

    def at_levels(self, specs: Sequence[TaskSpec]) -> list[TaskSpec]:
        """``specs`` moved to their family's current level."""
        return [spec.model_copy(update={"difficulty": self.level(spec.family)})
                for spec in specs]


def select_specs(selection: TaskSelection) -> tuple[list[TaskSpec], int]:
    """Deprecated alias of ``mixture_specs`` (tasks are selected by
    ``workgym.agent.suite_specs``)."""
    warnings.warn("select_specs is deprecated: use mixture_specs (or workgym.agent.suite_specs)",
                  DeprecationWarning, stacklevel=2)
    return mixture_specs(selection)
