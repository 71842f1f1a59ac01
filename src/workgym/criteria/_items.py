"""Precision-aware credit for required items (lines, rows, records, mails), and order.

Every item a task requires gets one criterion. Credit is precision-aware: with P
required items present and W wrong or extra ones (items that should not be there, and
copies of an item beyond one), only the first ``max(0, P - W)`` present items pass, so
listing every candidate, or writing an item twice, never pays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from workgym.core import Criterion, CriterionKind, GradeContext
from workgym.criteria._memo import Found, per_grade

H = TypeVar("H", bound=Hashable)


def _short(values: Iterable[object], limit: int = 3) -> str:
    shown = [repr(v) for v in list(values)[:limit + 1]]
    return ", ".join(shown[:limit]) + (", ..." if len(shown) > limit else "")


def tally(expected: Iterable[H], found: Sequence[H], allowed: Iterable[H] = ()) -> tuple[
        list[H], list[H]]:
    """(required items present, in the order they earn credit; wrong or surplus items).

    Present items earn in ``expected`` order, those found more than once last (so a
    repeated item loses its own credit first). An item of ``allowed`` may be present
    (once) without earning or costing credit; any item found that is neither required nor
    allowed is wrong, and every copy of an item beyond the first is surplus.
    """
    wanted = list(dict.fromkeys(expected))
    known = set(wanted) | set(allowed)
    counts = Counter(found)
    present = [item for item in wanted if counts[item] == 1]
    present += [item for item in wanted if counts[item] > 1]
    wrong = [item for item in found if item not in known]
    surplus = [item for item, n in counts.items() if item in known for _ in range(n - 1)]
    return present, wrong + surplus


def item_credit(
    items: Sequence[tuple[str, H]],
    found: Found[Sequence[H]],
    *,
    group: str | Callable[[str], str],
    allowed: Iterable[H] = (),
    weight: float = 1.0,
    kind: CriterionKind = "state",
) -> list[Criterion]:
    """One criterion per required item, with precision-aware credit.

    Args:
        items: (criterion name, item) for every required item, in the order credit is
            given (the last ones lose it first to wrong items).
        found: reads the items the agent produced (e.g. :func:`text_lines`); it may raise
            ``GradeError``, which fails every item with its reason.
        group: the criteria's common group, so pass rates compare across tasks (or a
            function of the criterion's name giving its group).
        allowed: items that may be present without earning credit (rows already right).
        weight: the weight of each item's criterion.
        kind: the criteria's kind.

    Returns:
        The criteria, in the order of ``items``.
    """
    read = per_grade(found)
    wanted = [item for _, item in items]
    keep = list(allowed)

    def check_one(item: H) -> Callable[[GradeContext], tuple[bool, str]]:
        def check(ctx: GradeContext) -> tuple[bool, str]:
            present, wrong = tally(wanted, read(ctx), keep)
            if item not in present:
                return False, f"missing: {item!r}"
            if present.index(item) >= len(present) - len(wrong):
                return False, (f"present, but {len(wrong)} wrong or repeated item(s) cancel "
                               f"its credit: {_short(wrong)}")
            return True, "present"
        return check

    return [Criterion(name, check_one(item), kind=kind, weight=weight,
                      group=group if isinstance(group, str) else group(name))
            for name, item in items]


def no_wrong_items(name: str, expected: Iterable[H], found: Found[Sequence[H]], *,
                   allowed: Iterable[H] = (), weight: float = 1.0) -> Criterion:
    """Passes when at least one required item is present and nothing wrong or repeated is."""
    read = per_grade(found)
    wanted, keep = list(expected), list(allowed)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        present, wrong = tally(wanted, read(ctx), keep)
        if not present:
            return False, "no required item present"
        return not wrong, (f"wrong or repeated: {_short(wrong)}" if wrong
                           else f"{len(present)} required item(s), nothing wrong")

    return Criterion(name, check, weight=weight)


def exact_items(name: str, expected: Iterable[H], found: Found[Sequence[H]], *,
                weight: float = 1.0) -> Criterion:
    """Passes when the items found are exactly ``expected`` (as a multiset)."""
    read = per_grade(found)
    want = Counter(expected)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        got = Counter(read(ctx))
        surplus, lacking = list((got - want).elements()), list((want - got).elements())
        if not surplus and not lacking:
            return True, f"exactly the {sum(want.values())} expected item(s)"
        return False, f"unexpected: {_short(surplus)}; lacking: {_short(lacking)}"

    return Criterion(name, check, weight=weight)


def in_order(name: str, expected: Sequence[H], found: Found[Sequence[H]], *,
             weight: float = 1.0) -> Criterion:
    """Passes when at least two items are found, every one is required and appears once,
    and they follow the order of ``expected``. Junk lines never pass, however ordered."""
    read = per_grade(found)
    rank = {item: n for n, item in enumerate(dict.fromkeys(expected))}

    def check(ctx: GradeContext) -> tuple[bool, str]:
        got = list(read(ctx))
        stray = [item for item in got if item not in rank]
        if stray or len(set(got)) != len(got):
            return False, f"not only required items, each once: {_short(stray or got)}"
        if len(got) < 2:
            return False, "fewer than two required items to order"
        positions = [rank[item] for item in got]
        if positions != sorted(positions):
            first = next(n for n in range(1, len(positions)) if positions[n] < positions[n - 1])
            return False, f"{got[first]!r} comes after {got[first - 1]!r}; it belongs before it"
        return True, f"{len(got)} items in the prescribed order"

    return Criterion(name, check, weight=weight)


def items_kept(name: str, keep: Iterable[H], found: Found[Sequence[H]]) -> Criterion:
    """A guard: every item of ``keep`` (rows that were right, lines to leave) is still there."""
    read, wanted = per_grade(found), list(keep)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        got = set(read(ctx))
        lost = [item for item in wanted if item not in got]
        return not lost, f"changed or gone: {_short(lost)}" if lost else "all kept"

    return Criterion(name, check, guard=True)


def no_items(name: str, found: Found[Sequence[H]], forbidden: Callable[[H], bool], *,
             what: str = "forbidden") -> Criterion:
    """A guard: no item found is one ``forbidden`` picks out (``what`` names them)."""
    read = per_grade(found)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        bad = [item for item in read(ctx) if forbidden(item)]
        return not bad, f"{what}: {_short(bad)}" if bad else f"no {what}"

    return Criterion(name, check, guard=True)
