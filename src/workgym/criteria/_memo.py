"""Share one reading of the final world between the criteria of one grade."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from workgym.core import GradeContext

T = TypeVar("T")
Found = Callable[[GradeContext], T]
"""Something read from the final world (lines of a file, rows of a sheet, sent mails)."""

_KEEP = 16
"""Grades remembered at once per reader (episodes graded concurrently share a task)."""


def per_grade(read: Found[T]) -> Found[T]:
    """Wrap a reader so the criteria of one grade share its result (and its error).

    A task's criteria often read the same file: one per required line, one for the order,
    one for the form. Within one ``Episode.grade()`` (one ``GradeContext``) the reader
    runs once; an error it raised (a ``GradeError`` for a missing or malformed file) is
    raised again for every criterion that asks, so each fails with the same evidence.
    """
    cache: OrderedDict[int, tuple[GradeContext, T | None, BaseException | None]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(read)
    def shared(ctx: GradeContext) -> T:
        with lock:
            hit = cache.get(id(ctx))
        if hit is not None and hit[0] is ctx:  # the context is kept, so its id is not reused
            if hit[2] is not None:
                raise hit[2]
            return hit[1]  # type: ignore[return-value]
        try:
            value: T | None = read(ctx)
            error: BaseException | None = None
        except Exception as exc:  # noqa: BLE001 - re-raised to every criterion that asks
            value, error = None, exc
        with lock:
            cache[id(ctx)] = (ctx, value, error)
            while len(cache) > _KEEP:
                cache.popitem(last=False)
        if error is not None:
            raise error
        return value  # type: ignore[return-value]

    return shared
