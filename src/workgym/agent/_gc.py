"""Garbage collection while many episodes are live.

Every live episode holds its world's stores: tens of thousands of pydantic objects at a
few hundred episodes in flight. CPython's default thresholds (a young collection every
700 allocations, older ones every 10 of those) then spend about a quarter of a rollout turn's CPU
walking objects that live as long as their episode. During a run the young threshold is
raised and what existed before the run (modules, loaded families, the policy) is frozen
out of collection: cycles are still found, only less often. Measured with ``workgym
bench --sections rollout``; the figures are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ROLLOUT_GC_THRESHOLD = 50_000
"""Allocations between young collections while rollouts run (CPython's default: 700)."""

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
_unfreeze = False


@contextmanager
def rollout_gc(threshold: int = ROLLOUT_GC_THRESHOLD) -> Iterator[None]:
    """Collect garbage for rollouts inside the block: the objects made before it frozen,
    young collections every ``threshold`` allocations. Nested blocks share the outermost
    setting; the thresholds are given back when it ends, and the frozen objects unless
    something had frozen objects before. A process that disabled collection keeps it
    disabled."""
    global _depth, _saved, _unfreeze
    with _lock:
        _depth += 1
        if _depth == 1:
            _saved = gc.get_threshold()
            _unfreeze = gc.get_freeze_count() == 0  # what others froze stays frozen
            gc.collect()
            gc.freeze()
            gc.set_threshold(max(threshold, _saved[0]), _saved[1], _saved[2])
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                if _unfreeze:
                    gc.unfreeze()
                _saved = None
