"""Guards: things that must not change. They earn nothing; failing one zeroes the score."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from workgym.core import Criterion, GradeContext
from workgym.criteria._memo import Found, per_grade


def _under(rel: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return folder in ("", ".") or rel == folder or rel.startswith(folder + "/")


def _listed(names: list[str], limit: int = 4) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _change(was: str | None, now: str | None) -> str:
    return "added" if was is None else "removed" if now is None else "changed"


@functools.cache
def _store_reader(store: str, final: bool, field: str | None = None) -> Found[Any]:
    """The reader of one store's JSON data at the start (``final`` False) or now (only
    its ``field`` when given), read once per grade however many guards ask: a large store
    costs tens of milliseconds to decode or dump. Its result is shared: callers only read
    it."""
    def initial(ctx: GradeContext) -> Any:
        dump = ctx.initial.stores.get(store)
        return None if dump is None else json.loads(dump)

    def now(ctx: GradeContext) -> Any:
        found = ctx.world.stores.get(store)
        if found is None:
            return None
        return found.model_dump(mode="json", include=None if field is None else {field})

    return per_grade(now if final else initial)


def _initial_store(ctx: GradeContext, store: str) -> Any:
    return _store_reader(store, False)(ctx)


def _final_store(ctx: GradeContext, store: str, field: str | None = None) -> Any:
    return _store_reader(store, True, field)(ctx)


def _file_changes(ctx: GradeContext, paths: Iterable[str], folders: Iterable[str]) -> list[str]:
    """Changes to the given files, and to anything under the given folders (files changed,
    removed or added)."""
    paths, folders = list(paths), list(folders)
    problems = []
    for rel in paths:
        was, now = ctx.initial.files.get(rel), ctx.world.file_hash(rel)
        if was != now:
            problems.append(f"{rel} {'removed' if now is None else 'changed'}")
    if folders:
        now_all = ctx.world.file_hashes()
        for rel in sorted(set(ctx.initial.files) | set(now_all)):
            if rel in paths or not any(_under(rel, f) for f in folders):
                continue
            was, now = ctx.initial.files.get(rel), now_all.get(rel)
            if was != now:
                problems.append(f"{rel} {_change(was, now)}")
    return problems


def _record_changes(ctx: GradeContext, store: str, field: str, key: str) -> list[str]:
    before, after = _initial_store(ctx, store), _final_store(ctx, store, field)
    old = (before or {}).get(field, [])
    new = {str(r.get(key)): r for r in (after or {}).get(field, []) if isinstance(r, dict)}
    problems = []
    for record in old:
        ident = str(record.get(key))
        if ident not in new:
            problems.append(f"{store} {field} {ident} removed")
        elif new[ident] != record:
            problems.append(f"{store} {field} {ident} changed")
    return problems


def new_records(ctx: GradeContext, store: str, field: str, key: str = "id") -> list[Any]:
    """The records of a store's list ``field`` that the agent added (their ``key`` was
    not there at the start): the events it created, the tickets it opened."""
    old = {str(r.get(key)) for r in (_initial_store(ctx, store) or {}).get(field, [])}
    found = ctx.world.stores.get(store)
    return [r for r in getattr(found, field, []) if str(getattr(r, key, None)) not in old]


def unchanged(
    name: str,
    *,
    paths: Iterable[str] = (),
    folders: Iterable[str] = (),
    stores: Iterable[str] = (),
    records: Iterable[tuple[str, str]] = (),
    key: str = "id",
) -> Criterion:
    """A guard: the given things are as they were at the start.

    Args:
        name: the criterion's name.
        paths: workspace files that must keep their bytes (and exist).
        folders: folders in which no file may change, go or be added (``""``: everywhere).
        stores: app stores that must be exactly as they were.
        records: (store, list field) pairs whose records that existed must be kept
            unchanged (new records may be added), matched by ``key``: e.g.
            ``("mail", "messages")``, ``("calendar", "events")``.
        key: the field that identifies a record.
    """
    paths, folders, stores, records = list(paths), list(folders), list(stores), list(records)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        problems = _file_changes(ctx, paths, folders)
        problems += [f"store {s} changed" for s in stores
                     if _initial_store(ctx, s) != _final_store(ctx, s)]
        for store, field in records:
            problems += _record_changes(ctx, store, field, key)
        return not problems, f"{_listed(problems)}" if problems else "unchanged"

    return Criterion(name, check, guard=True)


def nothing_else_changed(
    name: str,
    artifacts: Iterable[str],
    *,
    scratch: Iterable[str] = (),
    changing: Iterable[str] = (),
) -> Criterion:
    """A guard: nothing outside the task's declared artifacts changed.

    Every file that existed keeps its bytes unless it is an artifact; new files appear
    only as artifacts or under a ``scratch`` folder; every store not named in
    ``changing`` is exactly as it was (guard the changing ones with :func:`unchanged`'s
    ``records``).
    """
    allowed, spare, moving = set(artifacts), list(scratch), set(changing)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        now = ctx.world.file_hashes()
        problems = []
        for rel in sorted(set(ctx.initial.files) | set(now)):
            if rel in allowed:
                continue
            was, got = ctx.initial.files.get(rel), now.get(rel)
            if was is None and any(_under(rel, f) for f in spare):
                continue
            if was != got:
                problems.append(f"{rel} {_change(was, got)}")
        for store in sorted(set(ctx.initial.stores) | set(ctx.world.stores)):
            if store not in moving and _initial_store(ctx, store) != _final_store(ctx, store):
                problems.append(f"store {store} changed")
        return not problems, (_listed(problems) if problems
                              else "nothing outside the artifacts changed")

    return Criterion(name, check, guard=True)
