"""World: the whole state of one episode (workspace folder, app stores, frozen clock)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from workgym.core._app import ToolError


class Store(BaseModel):
    """Base of an app's in-memory store. Its JSON dump is part of the world digest."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


S = TypeVar("S", bound=Store)

MAX_FILE_BYTES = 2_000_000
"""Largest file an app writes or a grader reads."""

MAX_WORKSPACE_BYTES = 64_000_000
"""Per-episode workspace quota: bytes of all regular files together."""

MAX_WORKSPACE_FILES = 2_000
"""Per-episode workspace quota: number of entries (files, folders, links)."""

MAX_PATH_CHARS = 1_024
"""Longest workspace-relative path a tool accepts."""


@dataclass(frozen=True)
class WorldTemplate:
    """What a family generates once per spec; materialized into a fresh World per episode."""

    now: datetime
    files: dict[str, bytes] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    _hashes: tuple[tuple[str, bytes, str], ...] | None = field(
        default=None, init=False, repr=False, compare=False)
    """Cache of ``fresh_file_hashes``: (path, the bytes hashed, hash)."""
    _json_copies: dict[str, bool] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)
    """Per store: whether its JSON round trip gives an equal copy (checked once)."""

    def fresh_file_hashes(self) -> dict[str, str] | None:
        """``World.file_hashes()`` of a world just materialized into a new folder, from the
        template's bytes (hashed once per template, not read back per episode).

        None when a path is not in the normal form the workspace walk gives it.
        """
        cached = self._hashes
        if cached is None or len(cached) != len(self.files) or any(
                self.files.get(rel) is not data for rel, data, _ in cached):
            if any(part in ("", ".", "..") for rel in self.files for part in rel.split("/")):
                return None
            cached = tuple((rel, self.files[rel], hashlib.sha256(self.files[rel]).hexdigest())
                           for rel in sorted(self.files, key=_walk_order))
            object.__setattr__(self, "_hashes", cached)  # a cache, not state: frozen is kept
        return {rel: digest for rel, _, digest in cached}

    def materialize(self, root: Path | None = None) -> World:
        """Create a fresh World: a new workspace folder with the files, copies of the stores."""
        workspace = Path(tempfile.mkdtemp(prefix="workgym-")) if root is None else Path(root)
        workspace.mkdir(parents=True, exist_ok=True)
        made_dirs: set[str] = set()
        for rel, data in self.files.items():
            parent = os.path.dirname(rel)
            if parent and parent not in made_dirs:
                (workspace / parent).mkdir(parents=True, exist_ok=True)
                made_dirs.add(parent)
            with open(workspace / rel, "wb") as handle:
                handle.write(data)
        stores = {name: self._copy_store(name, store) for name, store in self.stores.items()}
        return World(workspace=workspace, now=self.now, stores=stores, owns_workspace=root is None)

    def _copy_store(self, name: str, store: Store) -> Store:
        """A deep copy of a template store through its JSON round trip (pydantic's core:
        about five times faster than ``deepcopy`` on a large store, and nothing shared);
        ``deepcopy`` for a store whose round trip is not a faithful copy, checked on its
        first copy: equal, and equal in every value's type and state (a time zone, say,
        that JSON would turn into a fixed offset)."""
        if self._json_copies.get(name) is not False:
            try:
                copy = type(store).model_validate_json(store.model_dump_json())
            except ValueError:  # pydantic's errors: a value JSON cannot carry
                copy = None
            if name in self._json_copies and copy is not None:
                return copy
            self._json_copies[name] = copy is not None and copy == store and _same(
                copy.model_dump(), store.model_dump())
            if self._json_copies[name]:
                return copy  # type: ignore[return-value]
        return store.model_copy(deep=True)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a datetime's time zone included)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, datetime | time):
        return a == b and type(a.tzinfo) is type(b.tzinfo) and a.tzinfo == b.tzinfo
    return bool(a == b)


class World:
    """The state of one episode. Apps read and write it; graders inspect it."""

    def __init__(
        self,
        workspace: Path,
        now: datetime,
        stores: dict[str, Store] | None = None,
        owns_workspace: bool = False,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("World.now must be timezone-aware")
        self.workspace = Path(workspace)
        self.now = now
        self.stores: dict[str, Store] = dict(stores or {})
        self.lock = threading.RLock()
        """Taken by every tool call not marked concurrent (see ``workgym.core.tool``)."""
        self._owns_workspace = owns_workspace

    def store(self, name: str, kind: type[S]) -> S:
        """The store of app ``name``, created empty on first use."""
        existing = self.existing_store(name, kind)
        if existing is None:
            existing = self.stores[name] = kind()
        return existing

    def existing_store(self, name: str, kind: type[S]) -> S | None:
        """The store of app ``name`` if the world has one (None otherwise; nothing is
        created), checked to be a ``kind``.

        Raises:
            TypeError: the store under that name is of another kind.
        """
        existing = self.stores.get(name)
        if existing is not None and not isinstance(existing, kind):
            raise TypeError(f"store {name!r} is a {type(existing).__name__}, not {kind.__name__}")
        return existing

    # -- paths ---------------------------------------------------------------------------

    def resolve(self, rel: str, *, must_exist: bool = False) -> Path:
        """Map a workspace-relative path to a real path, refusing anything outside it.

        Raises:
            ToolError: absolute paths, ``..`` escapes, symlinks, overlong names, a path
                through a file, or a missing path when ``must_exist``.
        """
        if not isinstance(rel, str) or not rel.strip():
            raise ToolError("path must be a non-empty string relative to the workspace")
        if "\x00" in rel:
            raise ToolError("path contains a NUL byte")
        if len(rel) > MAX_PATH_CHARS:
            raise ToolError(f"path is longer than {MAX_PATH_CHARS} characters")
        posix = PurePosixPath(rel.replace("\\", "/"))
        if posix.is_absolute():
            raise ToolError(f"path {rel!r} is absolute; give a path relative to the workspace")
        parts = [p for p in posix.parts if p not in ("", ".")]
        if any(p == ".." for p in parts):
            raise ToolError(f"path {rel!r} leaves the workspace ('..' is not allowed)")
        if any(len(p.encode("utf-8", "surrogatepass")) > 255 for p in parts):
            raise ToolError(f"path {rel!r} has a name longer than 255 bytes")
        current = self.workspace
        for number, part in enumerate(parts):
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                if must_exist:
                    raise ToolError(f"no such file or folder: {rel!r}") from None
                continue
            except (OSError, ValueError) as exc:  # e.g. a name the file system refuses
                raise ToolError(f"path {rel!r} cannot be used: "
                                f"{getattr(exc, 'strerror', None) or exc}") from None
            if stat.S_ISLNK(mode):
                raise ToolError(f"path {rel!r} goes through a symbolic link, which is not allowed")
            if number < len(parts) - 1 and not stat.S_ISDIR(mode):
                raise ToolError(f"path {rel!r} goes through {'/'.join(parts[:number + 1])!r}, "
                                "which is a file, not a folder")
        return current

    def relative(self, path: Path) -> str:
        return path.relative_to(self.workspace).as_posix()

    def read_file(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """Read a workspace file for a tool: bounded, links refused, never blocking.

        Raises:
            ToolError: a missing path, a folder, a link, a special file (FIFO, socket,
                device), or a file larger than ``limit`` bytes.
        """
        path = self.resolve(rel, must_exist=True)
        if path == self.workspace:
            raise ToolError("the workspace root is a folder, not a file")
        mode = os.lstat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ToolError(f"{rel!r} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise ToolError(f"{rel!r} is not a regular file")
        try:
            # O_NONBLOCK: a FIFO swapped in after the check must not block the open
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise ToolError(f"{rel!r} cannot be opened: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ToolError(f"{rel!r} is not a regular file")
            if info.st_size > limit:
                raise ToolError(f"{rel!r} is larger than {limit} bytes")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise ToolError(f"{rel!r} is larger than {limit} bytes")
        return data

    def write_file(self, rel: str, data: bytes, *, overwrite: bool = True) -> Path:
        """Write a workspace file for a tool, creating folders, within the episode's quota.

        Raises:
            ToolError: a bad path, a folder or special file in the way, an existing file
                when not ``overwrite``, a file over ``MAX_FILE_BYTES``, or a write that
                would take the workspace past its quota.
        """
        target = self.resolve(rel)
        if target == self.workspace:
            raise ToolError("the workspace root is a folder, not a file")
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(f"content is larger than {MAX_FILE_BYTES} bytes")
        try:
            info: os.stat_result | None = os.lstat(target)
        except FileNotFoundError:
            info = None
        if info is not None:
            if stat.S_ISDIR(info.st_mode):
                raise ToolError(f"{rel!r} is a folder")
            if not stat.S_ISREG(info.st_mode):
                raise ToolError(f"{rel!r} is not a regular file; it cannot be overwritten")
            if not overwrite:
                raise ToolError(f"{rel!r} exists and overwrite is false")
        self.check_quota(len(data) - (info.st_size if info is not None else 0),
                         self._new_entries(target) + (info is None))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | getattr(os, "O_NONBLOCK", 0), 0o644)
        except OSError as exc:
            raise ToolError(f"{rel!r} cannot be written: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return target

    def _new_entries(self, target: Path) -> int:
        """Folders that writing ``target`` would create."""
        count = 0
        parent = target.parent
        while parent != self.workspace and not os.path.lexists(parent):
            count += 1
            parent = parent.parent
        return count

    def check_quota(self, more_bytes: int = 0, more_entries: int = 0) -> None:
        """Refuse a change that would take the workspace past its quota.

        Args:
            more_bytes: bytes the change adds (negative when it frees some).
            more_entries: files and folders it adds.

        Raises:
            ToolError: the workspace would hold more than ``MAX_WORKSPACE_BYTES`` bytes or
                ``MAX_WORKSPACE_FILES`` entries; the message says to delete files.
        """
        used_bytes, used_entries = self.usage()
        if more_bytes > 0 and used_bytes + more_bytes > MAX_WORKSPACE_BYTES:
            raise ToolError(f"the workspace quota of {MAX_WORKSPACE_BYTES} bytes would be "
                            f"exceeded ({used_bytes} used); delete files you no longer need")
        if more_entries > 0 and used_entries + more_entries > MAX_WORKSPACE_FILES:
            raise ToolError(f"the workspace quota of {MAX_WORKSPACE_FILES} files and folders "
                            f"would be exceeded ({used_entries} used); delete files you no "
                            "longer need")

    def usage(self, *, stop_past: bool = False) -> tuple[int, int]:
        """(bytes of regular files, number of entries) under the workspace, links not
        followed.

        Args:
            stop_past: stop counting once either number passes its quota (the counts are
                then only known to be over it): a bounded walk for a watchdog.
        """
        total = entries = 0
        for dirpath, dirnames, filenames in os.walk(self.workspace, followlinks=False):
            entries += len(dirnames) + len(filenames)
            for name in filenames:
                try:
                    info = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
            if stop_past and (total > MAX_WORKSPACE_BYTES or entries > MAX_WORKSPACE_FILES):
                break
        return total, entries

    # -- state ---------------------------------------------------------------------------

    def files(self) -> dict[str, Path]:
        """Every entry under the workspace (relative posix path -> path), links not followed."""
        found: dict[str, Path] = {}
        for dirpath, dirnames, filenames in os.walk(self.workspace, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                found[full.relative_to(self.workspace).as_posix()] = full
            for name in dirnames:
                full = Path(dirpath) / name
                if full.is_symlink():
                    found[full.relative_to(self.workspace).as_posix()] = full
        return found

    def file_hashes(self) -> dict[str, str]:
        """Hash of every file's bytes; links and special files hash by their kind."""
        return {rel: _entry_hash(path, os.lstat(path).st_mode)
                for rel, path in self.files().items()}

    def file_hash(self, rel: str) -> str | None:
        """``file_hashes().get(rel)``, without walking and hashing the whole workspace.

        None where ``files()`` would not list ``rel``: a missing path, a folder, a path
        that is not in the normal form ``files()`` gives, or one below a link.
        """
        parts = rel.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        path = self.workspace
        for part in parts[:-1]:
            path = path / part
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):  # a file, or a link os.walk skips
                    return None
            except OSError:
                return None
        path = path / parts[-1]
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISDIR(mode):
            return None
        return _entry_hash(path, mode)

    def store_states(self) -> dict[str, Any]:
        return {name: store.model_dump(mode="json") for name, store in sorted(self.stores.items())}

    def snapshot(self, file_hashes: dict[str, str] | None = None) -> WorldSnapshot:
        """A cheap record of the whole state, to diff against later.

        Args:
            file_hashes: ``file_hashes()`` when the caller already knows it (a world fresh
                from its template); by default the workspace is walked and hashed.
        """
        return WorldSnapshot(
            files=self.file_hashes() if file_hashes is None else dict(file_hashes),
            stores={
                name: store.model_dump_json() for name, store in sorted(self.stores.items())
            },
        )

    def digest(self) -> str:
        """SHA-256 over the whole state: workspace files and every store."""
        return self.snapshot().digest()

    def cleanup(self) -> None:
        """Delete the workspace, if this World created it."""
        if self._owns_workspace:
            shutil.rmtree(self.workspace, ignore_errors=True)


def _walk_order(rel: str) -> tuple[tuple[int, str], ...]:
    """Sort key giving ``World.files()``'s order: a folder's files (by name), then its
    sub-folders (by name), depth first."""
    parts = rel.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _entry_hash(path: Path, mode: int) -> str:
    if stat.S_ISREG(mode):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if stat.S_ISLNK(mode):
        return "link:" + os.readlink(path)
    return f"special:{stat.S_IFMT(mode)}"


@dataclass(frozen=True)
class WorldSnapshot:
    files: dict[str, str]
    stores: dict[str, str]

    def digest(self) -> str:
        h = hashlib.sha256()
        for rel, file_hash in sorted(self.files.items()):
            h.update(f"file\x1f{rel}\x1f{file_hash}\x1e".encode())
        for name, state in sorted(self.stores.items()):
            h.update(f"store\x1f{name}\x1f{state}\x1e".encode())
        return h.hexdigest()
