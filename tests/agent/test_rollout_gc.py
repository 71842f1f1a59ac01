"""Garbage collection during runs: raised while rollouts run, given back after."""

from __future__ import annotations

import gc

from workgym.agent import ROLLOUT_GC_THRESHOLD, rollout_gc


def test_the_young_threshold_is_raised_inside_and_given_back_after() -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    kept = [object() for _ in range(10)]  # made before the block: frozen inside it
    with rollout_gc():
        assert gc.get_threshold() == (max(ROLLOUT_GC_THRESHOLD, before[0]), *before[1:])
        assert gc.get_freeze_count() > frozen
        with rollout_gc(threshold=10):  # nested: the outer setting holds
            assert gc.get_threshold()[0] == max(ROLLOUT_GC_THRESHOLD, before[0])
        assert gc.get_threshold()[0] == max(ROLLOUT_GC_THRESHOLD, before[0])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
    assert len(kept) == 10


def test_cycles_made_inside_are_still_collected() -> None:
    class Node:
        other: object = None

    with rollout_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2


def test_what_was_frozen_before_stays_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with rollout_gc():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
