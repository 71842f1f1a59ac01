"""Generalization splits: each test side is disjoint from its train side on its axis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.agent import (
    SPLITS,
    holdout_seeds,
    interface_dialects,
    is_holdout,
    paraphrase_frames,
    split_specs,
    suite_specs,
    train_seeds,
    transfer_side,
)
from workgym.agent._suites import INTERFACE_TEST_FIRST, PARAPHRASE_TEST_FRAMES
from workgym.core import family_ids, frame_of, get_family, parse_variant


def _key(spec):
    return (spec.family, spec.seed, spec.difficulty, spec.richness, spec.variant)


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_every_split_has_disjoint_sides_with_holdout_seeds_on_test(name):
    train = split_specs(name, "train", per_level=3)
    test = split_specs(name, "test", per_level=3)
    assert train and test
    assert {_key(s) for s in train}.isdisjoint({_key(s) for s in test})
    assert all(is_holdout(s.family, s.seed) for s in test)
    assert not any(is_holdout(s.family, s.seed) for s in train)
    assert suite_specs(f"split:{name}", per_level=3) == test
    assert suite_specs(f"split:{name}:test", per_level=3) == test
    assert suite_specs(f"split:{name}:train", per_level=3) == train
    assert split_specs(name, "test", per_level=3) == test  # deterministic


def test_transfer_divides_families_by_category_and_declaration(monkeypatch):
    train = {s.family for s in split_specs("transfer", "train", per_level=1)}
    test = {s.family for s in split_specs("transfer", "test", per_level=1)}
    assert train.isdisjoint(test)
    assert train | test == {get_family(f).name for f in family_ids()}
    assert {f.split("/")[0] for f in train}.isdisjoint({f.split("/")[0] for f in test})
    some = next(f for f in family_ids() if transfer_side(f) == "train")
    monkeypatch.setattr(type(get_family(some)), "transfer_side", "test")
    assert get_family(some).name in {s.family for s in split_specs("transfer", "test", 1)}


def test_interface_tests_only_on_unseen_proc_dialects():
    train = {parse_variant(s.variant).dialect for s in split_specs("interface", "train", 5)}
    test = {parse_variant(s.variant).dialect for s in split_specs("interface", "test", 5)}
    assert train.isdisjoint(test) and len(test) > 1
    assert all(d.startswith("proc-") and int(d[5:]) >= INTERFACE_TEST_FIRST for d in test)
    assert set(interface_dialects("train")).isdisjoint(interface_dialects("test"))
    assert {"native", "mcp-public"} <= set(interface_dialects("train"))


def test_paraphrase_tests_only_on_unseen_frames():
    train = [parse_variant(s.variant).phrasing for s in split_specs("paraphrase", "train", 5)]
    test = [parse_variant(s.variant).phrasing for s in split_specs("paraphrase", "test", 5)]
    assert {frame_of(p) for p in test} <= set(PARAPHRASE_TEST_FRAMES)
    assert {frame_of(p) for p in train}.isdisjoint(PARAPHRASE_TEST_FRAMES)
    assert 0 in train and 0 not in test
    assert set(paraphrase_frames("train")).isdisjoint(paraphrase_frames("test"))


def test_difficulty_and_richness_sides():
    assert {s.difficulty for s in split_specs("difficulty", "train", 2)} == {"easy", "medium"}
    assert {s.difficulty for s in split_specs("difficulty", "test", 2)} == {"hard"}
    assert {s.richness for s in split_specs("richness", "train", 2)} == {0.5}
    assert {s.richness for s in split_specs("richness", "test", 2)} == {1.0}


@settings(max_examples=40, deadline=None)
@given(family=st.sampled_from(sorted({get_family(f).name for f in family_ids()})),
       seed=st.integers(min_value=0, max_value=10**6))
def test_a_seed_lands_on_one_side_of_every_split(family, seed):
    from workgym.agent._suites import _dialect, _phrasing

    side = "test" if is_holdout(family, seed) else "train"
    dialect = parse_variant(_dialect(family, seed, side)).dialect
    assert (dialect in interface_dialects("test")) == (side == "test")
    frame = frame_of(parse_variant(_phrasing(family, seed, side)).phrasing)
    assert (frame in PARAPHRASE_TEST_FRAMES) == (side == "test")


def test_family_selection_is_the_same_function():
    fid = family_ids()[0]
    name = get_family(fid).name
    chosen = suite_specs(families=[fid], seeds="0-39", split="train", difficulties=["easy"])
    assert [s.seed for s in chosen] == [s for s in range(40) if not is_holdout(name, s)]
    first = suite_specs(families=[fid], split="holdout", per_level=4, difficulties=["hard"])
    assert [s.seed for s in first] == holdout_seeds(name, 4)
    trained = suite_specs(families=[fid], split="train", per_level=4, variant="phrasing=2")
    assert [s.seed for s in trained][:4] == train_seeds(name, 4)
    assert {s.variant for s in trained} == {"phrasing=2"}


@pytest.mark.parametrize("name, message", [
    ("split:nope", "unknown split"), ("split:holdout:side", "side is 'train' or 'test'")])
def test_bad_split_names(name, message):
    with pytest.raises(ValueError, match=message):
        suite_specs(name)
