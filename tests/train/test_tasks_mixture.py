"""Training task mixtures and the curriculum's level moves."""

from __future__ import annotations

import pytest

from workgym.agent import is_holdout
from workgym.core import family_ids, get_family
from workgym.train import Curriculum, CurriculumState, TaskSelection, mixture_specs, task_weight


def test_weighted_mixture_follows_its_weights_and_keeps_the_train_split():
    fam_a, fam_b = family_ids()[:2]
    selection = TaskSelection(families=(fam_a, fam_b), seeds="0-19", difficulties=("easy",),
                              weights={f"family:{fam_a}": 9.0}, size=400)
    drawn, holdout = mixture_specs(selection, seed=1)
    assert len(drawn) == 400 and holdout > 0
    assert not any(is_holdout(s.family, s.seed) for s in drawn)
    share = sum(s.family_id == fam_a for s in drawn) / len(drawn)
    assert 0.8 < share < 0.98
    assert mixture_specs(selection, seed=1)[0] == drawn


def test_task_weight_multiplies_matching_keys():
    spec = get_family(family_ids()[0]).spec(3, "hard", variant="phrasing=2")
    weights = {f"category:{spec.category}": 2.0, "difficulty:hard": 3.0,
               "variant:phrasing=2": 0.5, "difficulty:easy": 100.0}
    assert task_weight(spec, weights) == pytest.approx(3.0)


def test_selection_validates_weights():
    with pytest.raises(ValueError, match="weight key"):
        TaskSelection(suite="train", weights={"colour:red": 1.0}, size=3)
    with pytest.raises(ValueError, match="need 'size'"):
        TaskSelection(suite="train", weights={"difficulty:hard": 1.0})


def test_curriculum_moves_a_family_up_when_recent_success_passes_the_threshold():
    state = CurriculumState(Curriculum(threshold=0.75, window=4))
    for passed in (True, False, True, True):
        state.record("a/b", passed)
    assert state.level("a/b") == "medium" and state.level("c/d") == "easy"
    for passed in (True, True, False, False, True):
        state.record("a/b", passed)
    assert state.level("a/b") == "medium"  # the last four: 2 of 4 passed
    for _ in range(4):
        state.record("a/b", True)
    assert state.level("a/b") == "hard" and state.moves == [("a/b", "medium"), ("a/b", "hard")]
    spec = get_family(family_ids()[0]).spec(1, "easy")
    state.record(spec.family, True)
    assert state.at_levels([spec])[0].difficulty == "easy"
