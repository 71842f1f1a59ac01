"""git: a real Git repository in the workspace (status, log, diff, show, branches,
checkout, add, commit).

The repository is ordinary Git on disk (``.git`` with loose objects, an index, refs), so
the git CLI in the terminal sandbox reads and writes the same repository; the workspace
files are the state, and ``World.digest()`` covers them.

Why dulwich and not the git CLI: the CLI runs whatever a repository's own config and
hooks name (``core.fsmonitor``, ``core.hooksPath``, hooks, filter and diff drivers,
``core.pager``), and an agent can write ``.git/config`` through the terminal or the
files app; run by the app, outside the sandbox, that would be code execution on the
host. This module uses dulwich only for Git's formats (objects and the index), never its
porcelain (which runs hooks and filter drivers): it reads no config, runs nothing,
ignores ``objects/info/alternates`` (which could point at another episode's objects),
and reads every loose object without following links and with a size limit (a
decompression bomb stops there). Pack files are refused with a note on unpacking them:
a crafted delta chain in a pack expands without a bound that can be checked first, and
Git writes packs only on gc, repack or fetch. It is also in-process: no fork per call.

Determinism: commits carry the store's author as author and committer and the world's
frozen clock as both dates, so the same calls give the same commit ids. The index is
written with zeroed stat data (times, inode, device, owner), so its bytes depend on the
content alone; changes are found by hashing content instead. Every write goes through
``World.write_file`` (the per-file limit and the workspace quota).

Not supported: merges, rebases, remotes, tags created by the app, submodules (a nested
repository is skipped), ``.gitattributes`` (content is stored byte for byte). Symbolic
links are recorded as links, and checked out as plain files holding the link's target
(Git's ``core.symlinks = false``). ``.gitignore`` files (at any level) and
``.git/info/exclude`` are honoured by a matcher of Git's wildmatch rules that runs in
time linear in pattern times path (no regular expressions).
"""

from __future__ import annotations

import heapq
import io
import os
import stat
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from difflib import SequenceMatcher
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from dulwich.errors import (
    ApplyDeltaError,
    ChecksumMismatch,
    FileFormatException,
    ObjectFormatException,
    PackedRefsException,
    RefFormatError,
    WrongObjectException,
)
from dulwich.index import (
    ConflictedIndexEntry,
    IndexChecksumWriter,
    IndexEntry,
    read_index_dict,
    write_index_dict,
)
from dulwich.object_store import DiskObjectStore
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tag, Tree
from pydantic import field_validator

from workgym.core import MAX_FILE_BYTES, App, GradeError, Store, ToolError, World, tool

__all__ = [
    "CommitInfo",
    "CommitSpec",
    "GitApp",
    "GitStore",
    "repo_history",
    "repo_status",
    "repo_tree",
    "repository_files",
]

MAX_OUTPUT_CHARS = 60_000
"""Longest text a diff or show returns; the rest is cut with a note."""
MAX_LIST = 200
"""Most paths one status section lists."""
MAX_LOG = 100
"""Most commits one log returns."""
MAX_WALK = 10_000
"""Most commits a log walks looking for matches."""
MAX_TREE_ENTRIES = 20_000
"""Most files a tree may hold once expanded (a tree that repeats a subtree many times
would otherwise expand without end)."""
MAX_DIFF_LINES = 5_000
"""Files with more lines are summarized, not diffed."""
MAX_MESSAGE_CHARS = 10_000
MAX_PATHS = 200
MAX_IGNORE_PATTERNS = 400
"""Most .gitignore patterns honoured, over all the files together."""
IGNORE_STEPS = 5_000_000
"""Most pattern-matching steps one call may take (see ``_Budget``)."""
MAX_REF_BYTES = 4_096
MAX_PACKED_REFS_BYTES = 1_000_000
DEFAULT_AUTHOR = "Workgym User <user@example.org>"

_REGULAR, _EXECUTABLE, _LINK, _DIR, _GITLINK = 0o100644, 0o100755, 0o120000, 0o040000, 0o160000
_HEX = frozenset("0123456789abcdef")
_CONFIG = (b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
           b"\tlogallrefupdates = false\n\tsymlinks = false\n")
_DAMAGE = (KeyError, ValueError, IndexError, struct.error, zlib.error, ObjectFormatException,
           ChecksumMismatch, FileFormatException, ApplyDeltaError, WrongObjectException,
           PackedRefsException, RefFormatError, AssertionError, UnicodeError, OSError,
           TypeError)
"""What dulwich raises on bytes that are not valid Git data (an emptied object file is a
``FileFormatException``, a broken delta an ``ApplyDeltaError``)."""


class GitStore(Store):
    """Where the repository is and who commits."""

    path: str = "."
    """Workspace folder of the repository (the one holding ``.git``)."""
    author: str = DEFAULT_AUTHOR
    """``Name <email>``: author and committer of the commits the agent makes."""

    @field_validator("author")
    @classmethod
    def _author_form(cls, value: str) -> str:
        name, _, rest = value.partition(" <")
        if not name.strip() or not rest.endswith(">") or "@" not in rest or "\n" in value:
            raise ValueError(f"author must look like 'Name <name@example.org>', got {value!r}")
        return value


# -- paths and small helpers ---------------------------------------------------------------


def _encode(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _decode(path: bytes) -> str:
    return path.decode("utf-8", "surrogateescape")


def _clean_path(text: str, what: str = "path") -> str:
    """A repository-relative path in normal form ("" for the whole repository)."""
    if len(text) > 1_000 or "\x00" in text:
        raise ToolError(f"{what} {text[:80]!r} is too long or holds a NUL character")
    posix = PurePosixPath(text.replace("\\", "/"))
    if posix.is_absolute():
        raise ToolError(f"{what} {text!r} is absolute; give a path relative to the repository")
    parts = [p for p in posix.parts if p not in ("", ".")]
    if ".." in parts:
        raise ToolError(f"{what} {text!r} leaves the repository ('..' is not allowed)")
    if ".git" in parts:
        raise ToolError(f"{what} {text!r} is inside .git, which Git does not track")
    return "/".join(parts)


def _under(path: str, spec: str) -> bool:
    return not spec or path == spec or path.startswith(spec + "/")


def _short(sha: str | bytes) -> str:
    text = sha.decode("ascii") if isinstance(sha, bytes) else sha
    return text[:7]


def _blob_id(data: bytes) -> str:
    return Blob.from_string(data).id.decode("ascii")


def _when(seconds: int, offset: int) -> str:
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(seconds, zone).isoformat()


def _clean_message(text: str) -> str:
    """Git's ``whitespace`` clean-up of a commit message (as ``git commit -m`` does):
    trailing spaces cut, runs of blank lines made one, blank lines at both ends dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""


def _check_branch_name(name: str) -> str:
    """Git's rules for a branch name (``git check-ref-format --branch``)."""
    bad = (not name or len(name) > 100 or name.startswith(("-", "/", ".")) or name == "HEAD"
           or name.endswith(("/", ".", ".lock")) or ".." in name or "//" in name
           or "@{" in name or "/." in name or any(c in name for c in " ~^:?*[\\\x7f")
           or any(ord(c) < 32 for c in name))
    if bad:
        raise ToolError(f"{name!r} is not a valid branch name: use letters, digits, '-', '_', "
                        "'.' and '/' (e.g. 'fix/login-timeout'), without spaces, '..' or a "
                        "leading '-'")
    return name


@contextmanager
def _guarded(what: str = "the repository") -> Iterator[None]:
    """Turn dulwich's errors on malformed Git data into a clear tool error."""
    try:
        yield
    except ToolError:
        raise
    except _DAMAGE as exc:
        raise ToolError(f"{what} is damaged or uses a format this app does not read "
                        f"({type(exc).__name__}: {str(exc)[:200]}); inspect it with git in "
                        "the terminal") from None


# -- .gitignore ------------------------------------------------------------------------------


_STAR, _ANY = "*", "?"
_DOUBLE = None
"""A whole ``**`` path component."""
_Token = str | tuple[bool, tuple[tuple[str, str], ...]]
"""A literal character, ``*``, ``?`` (as the strings "*" and "?" when unescaped, marked
by position), or a bracket class (negated, ranges)."""


@dataclass(frozen=True)
class _Glob:
    """One component of a pattern: tokens, and which of them are wildcards."""

    tokens: tuple[_Token, ...]
    wild: tuple[bool, ...]
    literal: str | None = None
    """The whole component, when it has no wildcard."""
    suffix: str | None = None
    """What a name must end with, for the common ``*.ext`` form."""


class _Budget:
    """Steps of pattern matching one call may take: a deterministic bound on the cost of
    .gitignore rules an agent wrote."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise ToolError(f"the .gitignore patterns take more than {IGNORE_STEPS:,} steps "
                            "to apply to these files; simplify them (fewer patterns with "
                            "several '*' or '**')")


def _parse_component(text: str) -> _Glob | None:
    """The tokens of one pattern component; None for a malformed bracket expression."""
    tokens: list[_Token] = []
    wild: list[bool] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            tokens.append(text[i + 1])
            wild.append(False)
            i += 2
        elif ch in (_STAR, _ANY):
            if not (ch == _STAR and tokens and wild[-1] and tokens[-1] == _STAR):
                tokens.append(ch)
                wild.append(True)
            i += 1
        elif ch == "[":
            j = i + 1
            negate = j < len(text) and text[j] in "!^"
            j += negate
            ranges: list[tuple[str, str]] = []
            first = True
            while j < len(text) and (text[j] != "]" or first):
                first = False
                lo = text[j]
                if lo == "\\" and j + 1 < len(text):
                    j += 1
                    lo = text[j]
                if j + 2 < len(text) and text[j + 1] == "-" and text[j + 2] != "]":
                    hi = text[j + 2]
                    ranges.append((lo, hi))
                    j += 3
                else:
                    ranges.append((lo, lo))
                    j += 1
            if j >= len(text):
                return None
            tokens.append((negate, tuple(ranges)))
            wild.append(True)
            i = j + 1
        else:
            tokens.append(ch)
            wild.append(False)
            i += 1
    literal = suffix = None
    if not any(wild):
        literal = "".join(str(t) for t in tokens)
    elif wild[0] and tokens[0] == _STAR and not any(wild[1:]):
        suffix = "".join(str(t) for t in tokens[1:])
    return _Glob(tuple(tokens), tuple(wild), literal, suffix)


def _one(token: _Token, wild: bool, ch: str) -> bool:
    if isinstance(token, tuple):
        negate, ranges = token
        return any(lo <= ch <= hi for lo, hi in ranges) != negate
    if wild and token == _ANY:
        return True
    return token == ch


def _match_component(glob: _Glob, name: str, budget: _Budget) -> bool:
    """Whether ``name`` (one path component) matches: the classic one-star-backtrack
    algorithm, O(len(pattern) * len(name)) at worst (charged to ``budget`` up front)."""
    if glob.literal is not None:
        budget.spend(1)
        return name == glob.literal
    if glob.suffix is not None:
        budget.spend(1)
        return name.endswith(glob.suffix)
    tokens, wild = glob.tokens, glob.wild
    # most names fail on their last character: test it before the full match
    if tokens and not (wild[-1] and tokens[-1] == _STAR) and (
            not name or not _one(tokens[-1], wild[-1], name[-1])):
        budget.spend(1)
        return False
    budget.spend(len(name) * len(tokens) + 1)
    t = i = 0
    star_t, star_i = -1, 0
    while i < len(name):
        if t < len(tokens) and wild[t] and tokens[t] == _STAR:
            star_t, star_i = t, i
            t += 1
        elif t < len(tokens) and _one(tokens[t], wild[t], name[i]):
            t += 1
            i += 1
        elif star_t >= 0:
            star_i += 1
            t, i = star_t + 1, star_i
        else:
            return False
    while t < len(tokens) and wild[t] and tokens[t] == _STAR:
        t += 1
    return t == len(tokens)


@dataclass(frozen=True)
class _Pattern:
    base: tuple[str, ...]
    """Folder of the .gitignore it came from, as components (() for the root)."""
    parts: tuple[_Glob | None, ...]
    """Components; None is a whole ``**``."""
    anchored: bool
    negated: bool
    dir_only: bool

    def matches(self, names: tuple[str, ...], is_dir: bool, budget: _Budget) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.base:
            depth = len(self.base)
            if len(names) <= depth or names[:depth] != self.base:
                return False
            names = names[depth:]
        if not self.anchored:
            glob = self.parts[0]
            return glob is not None and _match_component(glob, names[-1], budget)
        return _match_parts(self.parts, names, budget)


def _match_parts(parts: tuple[_Glob | None, ...], names: tuple[str, ...],
                 budget: _Budget) -> bool:
    @cache
    def at(i: int, j: int) -> bool:
        budget.spend(1)
        if i == len(parts):
            return j == len(names)
        part = parts[i]
        if part is None:
            if i == len(parts) - 1:
                return j < len(names)  # a trailing /** matches what is inside, not the folder
            return any(at(i + 1, k) for k in range(j, len(names) + 1))
        return (j < len(names) and _match_component(part, names[j], budget)
                and at(i + 1, j + 1))

    return at(0, 0)


def _parse_ignore(text: str, base: str) -> list[_Pattern]:
    patterns: list[_Pattern] = []
    for raw in text.splitlines()[:MAX_IGNORE_PATTERNS]:
        line = raw
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#") or len(line) > 1_000:
            continue
        negated = line.startswith("!")
        if negated or line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        pieces = line.lstrip("/").split("/")
        parts: list[_Glob | None] = []
        for piece in pieces:
            if piece == "**":
                if parts and parts[-1] is None:
                    continue
                parts.append(_DOUBLE)
            else:
                glob = _parse_component(piece)
                if glob is None:
                    break
                parts.append(glob)
        else:
            patterns.append(_Pattern(tuple(base.split("/")) if base else (), tuple(parts),
                                     anchored, negated, dir_only))
    return patterns


class _Ignores:
    """The ignore rules of a worktree: last matching pattern wins; an ignored folder
    hides everything in it."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.patterns = patterns[:MAX_IGNORE_PATTERNS]
        self._dirs: dict[str, bool] = {}
        self.budget = _Budget(IGNORE_STEPS)

    def _decide(self, names: tuple[str, ...], is_dir: bool) -> bool:
        for pattern in reversed(self.patterns):  # the last pattern that matches decides
            if pattern.matches(names, is_dir, self.budget):
                return not pattern.negated
        return False

    def ignored(self, path: str) -> bool:
        names = tuple(path.split("/"))
        for depth in range(1, len(names)):
            folder = "/".join(names[:depth])
            if folder not in self._dirs:
                self._dirs[folder] = self._decide(names[:depth], True)
            if self._dirs[folder]:
                return True
        return self._decide(names, False)


# -- the object store ------------------------------------------------------------------------


class _Objects(DiskObjectStore):
    """A repository's objects: loose ones only, read with a size limit, without following
    links and without blocking; never packs, never alternates."""

    def __init__(self, world: World, git_dir: str) -> None:
        path = world.resolve(f"{git_dir}/objects")  # refuses links on the way there
        super().__init__(str(path), loose_object_size_limit=MAX_FILE_BYTES)
        self._fd: int | None = None
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            pass  # no objects folder yet: every lookup misses

    @property
    def alternates(self) -> list[Any]:
        return []

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        super().close()

    def _read_loose(self, hexsha: str) -> bytes | None:
        """A loose object's file, opened relative to the objects folder: no component may
        be a link, nothing but a regular file is read, and no more than the limit."""
        if self._fd is None:
            return None
        try:
            fan = os.open(hexsha[:2], os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                          dir_fd=self._fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ToolError(f"objects/{hexsha[:2]} is not a plain folder ({exc.strerror})") \
                from None
        try:
            fd = os.open(hexsha[2:], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fan)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ToolError(f"object {hexsha} cannot be read ({exc.strerror})") from None
        finally:
            os.close(fan)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                raise ToolError(f"object {hexsha} is not a regular file within "
                                f"{MAX_FILE_BYTES} bytes")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)

    def _get_loose_object(self, sha: bytes) -> ShaFile | None:
        hexsha = sha.decode("ascii") if len(sha) == 40 else sha.hex()
        data = self._read_loose(hexsha)
        if data is None:
            return None
        return ShaFile.from_file(io.BytesIO(data), max_size=MAX_FILE_BYTES)

    def _update_pack_cache(self) -> list[Any]:
        # Packs are refused: a delta chain in a crafted pack expands without a bound
        # that could be checked before dulwich builds the object in memory. Git makes
        # packs only on gc, repack or fetch, none of which a task needs.
        try:
            names = os.listdir(self.pack_dir)
        except FileNotFoundError:
            return []
        if any(name.endswith(".pack") for name in names):
            raise ToolError(
                "the repository keeps objects in pack files (made by git gc or git repack), "
                "which this app does not read; unpack them in the terminal: mkdir ../packs && "
                "mv .git/objects/pack/* ../packs/ && for p in ../packs/*.pack; do "
                "git unpack-objects < $p; done")
        return []


# -- the repository --------------------------------------------------------------------------


Entry = tuple[int, str]
"""(mode, object id) of a file in a tree, the index or the working tree."""


@dataclass
class _Work:
    """The working tree as scanned: every file's kind, and what has been hashed."""

    kinds: dict[str, int]
    """path -> _REGULAR, _EXECUTABLE or _LINK."""
    entries: dict[str, Entry | None] = field(default_factory=dict)
    """Hashed files; None for one too large to hash."""
    data: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitInfo:
    """One commit, as graders and ``git.log`` see it."""

    id: str
    parents: tuple[str, ...]
    author: str
    """``Name <email>``."""
    date: str
    """ISO 8601 with the commit's own offset."""
    message: str

    def row(self) -> dict[str, Any]:
        return {"commit": self.id, "author": self.author, "date": self.date,
                "message": _cut(self.message, 2_000)}


class _Repo:
    """One repository in a world, opened for one call."""

    def __init__(self, world: World, root: str) -> None:
        self.world = world
        self.root = _clean_path(root, "repository path") if root not in (".", "") else ""
        self.git = f"{self.root}/.git" if self.root else ".git"
        where = self.root or "the workspace root"
        try:
            git_path = world.resolve(self.git, must_exist=True)
        except ToolError:
            raise ToolError(f"there is no Git repository at {where} (no .git folder)") from None
        if not stat.S_ISDIR(os.lstat(git_path).st_mode):
            raise ToolError(f"{self.git} is not a folder; only plain repositories are supported")
        with _guarded():
            self.objects = _Objects(world, self.git)
        self._cache: dict[str, ShaFile] = {}
        """Objects read in this call (an object never changes under its id)."""

    def close(self) -> None:
        self.objects.close()

    def wrel(self, path: str) -> str:
        """Workspace-relative path of a repository path."""
        return f"{self.root}/{path}" if self.root else path

    # -- refs ---------------------------------------------------------------------------

    def _read_text(self, rel: str, limit: int = MAX_REF_BYTES) -> str | None:
        try:
            path = self.world.resolve(f"{self.git}/{rel}")
        except ToolError:
            return None
        if not os.path.lexists(path) or (os.path.isdir(path) and not os.path.islink(path)):
            return None  # a folder: refs/heads/fix when only fix/... branches exist
        return self.world.read_file(f"{self.git}/{rel}", limit).decode("utf-8", "replace")

    def head(self) -> tuple[str | None, str | None]:
        """(current branch or None when detached, the commit HEAD names or None)."""
        text = (self._read_text("HEAD") or "").strip()
        if text.startswith("ref: "):
            ref = text[5:].strip()
            if not ref.startswith("refs/heads/"):
                raise ToolError(f"HEAD points at {ref!r}, not a branch")
            branch = ref[len("refs/heads/"):]
            return branch, self.branch_tip(branch)
        if len(text) == 40 and set(text) <= _HEX:
            return None, text
        raise ToolError("the repository's HEAD file is damaged")

    def _packed(self) -> dict[str, str]:
        text = self._read_text("packed-refs", MAX_PACKED_REFS_BYTES) or ""
        refs: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith(("#", "^")) or " " not in line:
                continue
            sha, name = line.split(" ", 1)
            if len(sha) == 40 and set(sha) <= _HEX:
                refs[name.strip()] = sha
        return refs

    def _ref(self, name: str) -> str | None:
        text = self._read_text(name)
        if text is not None:
            sha = text.strip()
            if len(sha) != 40 or not set(sha) <= _HEX:
                raise ToolError(f"the ref {name} is damaged")
            return sha
        return self._packed().get(name)

    def branch_tip(self, branch: str) -> str | None:
        return self._ref(f"refs/heads/{branch}")

    def branches(self) -> dict[str, str]:
        found = {name[len("refs/heads/"):]: sha for name, sha in self._packed().items()
                 if name.startswith("refs/heads/")}
        heads = self.world.resolve(f"{self.git}/refs/heads")
        if os.path.isdir(heads) and not os.path.islink(heads):
            for dirpath, dirnames, filenames in os.walk(heads, followlinks=False):
                dirnames.sort()
                for name in filenames:
                    branch = os.path.relpath(os.path.join(dirpath, name), heads).replace(
                        os.sep, "/")
                    tip = self.branch_tip(branch)
                    if tip:
                        found[branch] = tip
        return dict(sorted(found.items()))

    def set_branch(self, branch: str, sha: str) -> None:
        self.world.write_file(f"{self.git}/refs/heads/{branch}", f"{sha}\n".encode())

    def set_head(self, branch: str | None, sha: str) -> None:
        text = f"ref: refs/heads/{branch}\n" if branch is not None else f"{sha}\n"
        self.world.write_file(f"{self.git}/HEAD", text.encode())

    # -- objects ------------------------------------------------------------------------

    def get(self, sha: str) -> ShaFile:
        found = self._cache.get(sha)
        if found is not None:
            return found
        with _guarded():
            try:
                found = self.objects[ObjectID(sha.encode("ascii"))]
            except KeyError:
                raise ToolError(f"object {sha} is missing from the repository") from None
        if len(self._cache) < 50_000:
            self._cache[sha] = found
        return found

    def commit(self, sha: str) -> Commit:
        obj = self.get(sha)
        while isinstance(obj, Tag):
            obj = self.get(obj.object[1].decode("ascii"))
        if not isinstance(obj, Commit):
            raise ToolError(f"{_short(sha)} is a {obj.type_name.decode()}, not a commit")
        return obj

    def blob(self, sha: str) -> bytes:
        obj = self.get(sha)
        if not isinstance(obj, Blob):
            raise ToolError(f"{_short(sha)} is not a file's content")
        return obj.as_raw_string()

    def put(self, obj: ShaFile) -> str:
        sha = obj.id.decode("ascii")
        rel = f"{self.git}/objects/{sha[:2]}/{sha[2:]}"
        if not os.path.lexists(self.world.resolve(rel)):
            self.world.write_file(rel, obj.as_legacy_object())
        return sha

    def flatten(self, tree_sha: str) -> dict[str, Entry]:
        """Every file of a tree, path -> (mode, id), at most ``MAX_TREE_ENTRIES``."""
        found: dict[str, Entry] = {}
        pending = [("", tree_sha, 0)]
        while pending:
            prefix, sha, depth = pending.pop()
            if depth > 64:
                raise ToolError("the repository has trees nested more than 64 folders deep")
            tree = self.get(sha)
            if not isinstance(tree, Tree):
                raise ToolError(f"{_short(sha)} is not a tree")
            with _guarded():
                items = tree.items()
            for name, mode, child in items:
                path = f"{prefix}{_decode(name)}"
                if mode == _DIR:
                    pending.append((path + "/", child.decode("ascii"), depth + 1))
                elif mode != _GITLINK:
                    found[path] = (_EXECUTABLE if mode == _EXECUTABLE else
                                   _LINK if mode == _LINK else _REGULAR, child.decode("ascii"))
                    if len(found) > MAX_TREE_ENTRIES:
                        raise ToolError(f"the tree holds more than {MAX_TREE_ENTRIES} files")
        return dict(sorted(found.items()))

    def tree_of(self, commit_sha: str | None) -> dict[str, Entry]:
        if commit_sha is None:
            return {}
        return self.flatten(self.commit(commit_sha).tree.decode("ascii"))

    def build_tree(self, files: Mapping[str, Entry]) -> str:
        """Write the trees holding ``files``; the root tree's id."""
        return self.put_tree(_trees(files))

    def put_tree(self, trees: list[Tree]) -> str:
        for tree in trees:
            self.put(tree)
        return trees[-1].id.decode("ascii")

    # -- revisions ----------------------------------------------------------------------

    def resolve(self, revision: str) -> str:
        """The commit a revision names: HEAD, a branch, a tag, a full or abbreviated id,
        each optionally followed by ~N, ^ or ^N."""
        text = revision.strip()
        if not text or len(text) > 200 or any(c.isspace() for c in text):
            raise ToolError(f"revision {revision!r} is not valid; give e.g. 'HEAD', 'main', "
                            "'HEAD~2' or a commit id")
        cut = min((i for i in (text.find("~"), text.find("^")) if i >= 0), default=len(text))
        base, suffix = text[:cut], text[cut:]
        sha = self._base(base)
        i = 0
        while i < len(suffix):
            op = suffix[i]
            j = i + 1
            while j < len(suffix) and suffix[j].isdigit():
                j += 1
            digits = suffix[i + 1:j]
            if op not in "~^" or len(digits) > 4:
                raise ToolError(f"revision {revision!r} is not valid after {base!r}; use ~N "
                                "or ^N")
            count = int(digits) if digits else 1
            if op == "~":
                for _ in range(count):
                    sha = self._parent(sha, 1, revision)
            elif count:
                sha = self._parent(sha, count, revision)
            i = j
        return sha

    def _parent(self, sha: str, number: int, revision: str) -> str:
        parents = self.commit(sha).parents
        if len(parents) < number:
            raise ToolError(f"revision {revision!r} goes past the first commit")
        return parents[number - 1].decode("ascii")

    def _base(self, name: str) -> str:
        if name in ("HEAD", "@"):
            branch, sha = self.head()
            if sha is None:
                raise ToolError(f"the branch {branch!r} has no commits yet")
            return sha
        if name.startswith("refs/"):
            sha = self._ref(name) if ".." not in name else None
        else:
            sha = None
            if name and ".." not in name and not name.startswith("/"):
                sha = self.branch_tip(name) or self._ref(f"refs/tags/{name}")
        if sha is not None:
            return self.commit(sha).id.decode("ascii")
        lowered = name.lower()
        if 4 <= len(lowered) <= 40 and set(lowered) <= _HEX:
            with _guarded():
                matches = sorted({m.decode("ascii") for m in
                                  self.objects.iter_prefix(lowered.encode("ascii"))})
            commits = [m for m in matches if isinstance(self.get(m), Commit | Tag)]
            if len(commits) == 1:
                return self.commit(commits[0]).id.decode("ascii")
            if len(commits) > 1:
                raise ToolError(f"{name!r} is ambiguous: {', '.join(map(_short, commits[:5]))}"
                                "; give more digits")
        raise ToolError(f"unknown revision {name!r}; git.branch lists the branches and "
                        "git.log the commits")

    def info(self, sha: str) -> CommitInfo:
        commit = self.commit(sha)
        with _guarded():
            return CommitInfo(
                id=commit.id.decode("ascii"),
                parents=tuple(p.decode("ascii") for p in commit.parents),
                author=commit.author.decode("utf-8", "replace"),
                date=_when(commit.author_time, commit.author_timezone),
                message=commit.message.decode("utf-8", "replace"))

    # -- the index ----------------------------------------------------------------------

    def read_index(self) -> dict[str, Entry]:
        """The index's entries; their recorded sizes go to ``self.sizes``."""
        rel = f"{self.git}/index"
        self.sizes: dict[str, int] = {}
        if not os.path.lexists(self.world.resolve(rel)):
            return {}
        data = self.world.read_file(rel, MAX_FILE_BYTES)
        with _guarded("the index (.git/index)"):
            raw = read_index_dict(io.BytesIO(data))
        entries: dict[str, Entry] = {}
        for name, entry in raw.items():
            if isinstance(entry, ConflictedIndexEntry):
                raise ToolError("the index holds unresolved merge conflicts; resolve them "
                                "with git in the terminal")
            mode = entry.mode
            self.sizes[_decode(name)] = entry.size
            entries[_decode(name)] = (_EXECUTABLE if mode == _EXECUTABLE else
                                      _LINK if mode == _LINK else
                                      _GITLINK if mode == _GITLINK else _REGULAR,
                                      entry.sha.decode("ascii"))
        return entries

    def write_index(self, entries: Mapping[str, Entry], sizes: Mapping[str, int]) -> None:
        self.world.write_file(f"{self.git}/index", _index_bytes(entries, sizes))

    # -- the working tree ---------------------------------------------------------------

    def scan(self) -> _Work:
        """Every file of the working tree (not .git, not nested repositories)."""
        top = self.world.resolve(self.root or ".")
        kinds: dict[str, int] = {}
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            here = os.path.relpath(dirpath, top).replace(os.sep, "/")
            prefix = "" if here == "." else here + "/"
            keep = []
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    kinds[prefix + name] = _LINK
                elif name != ".git" and not os.path.lexists(os.path.join(full, ".git")):
                    keep.append(name)
            dirnames[:] = keep
            for name in filenames:
                mode = os.lstat(os.path.join(dirpath, name)).st_mode
                if stat.S_ISLNK(mode):
                    kinds[prefix + name] = _LINK
                elif stat.S_ISREG(mode):
                    kinds[prefix + name] = _EXECUTABLE if mode & stat.S_IXUSR else _REGULAR
        return _Work(dict(sorted(kinds.items())))

    def work_entry(self, work: _Work, path: str, index_mode: int | None = None) -> Entry | None:
        """A working-tree file's (mode, id), hashing it once; None when too large."""
        if path in work.entries:
            return work.entries[path]
        kind = work.kinds[path]
        if kind == _LINK:
            data = _encode(os.readlink(self.world.resolve(self.wrel(path))))
        else:
            try:
                data = self.world.read_file(self.wrel(path), MAX_FILE_BYTES)
            except ToolError:
                work.entries[path] = None
                return None
        mode = kind
        if index_mode == _LINK and kind != _LINK:
            mode = _LINK  # checked out as a plain file holding the link (core.symlinks=false)
        entry = (mode, _blob_id(data))
        work.entries[path] = entry
        work.data[path] = data
        return entry

    def ignores(self, work: _Work) -> _Ignores:
        patterns: list[_Pattern] = []
        exclude = self._read_text("info/exclude", 64_000)
        if exclude:
            patterns += _parse_ignore(exclude, "")
        for path in work.kinds:
            if PurePosixPath(path).name == ".gitignore" and work.kinds[path] != _LINK:
                try:
                    text = self.world.read_file(self.wrel(path), 64_000).decode("utf-8",
                                                                                "replace")
                except ToolError:
                    continue
                base = path[:-len(".gitignore")].rstrip("/")
                patterns += _parse_ignore(text, base)
        # deeper files come later, so they win over shallower ones
        patterns.sort(key=lambda p: len(p.base))
        return _Ignores(patterns)

    def status(self) -> dict[str, Any]:
        branch, head = self.head()
        tree = self.tree_of(head)
        index = self.read_index()
        work = self.scan()
        staged = _changes(tree, index)
        unstaged: list[tuple[str, str]] = []
        for path, entry in index.items():
            if entry[0] == _GITLINK:
                continue
            if path not in work.kinds:
                unstaged.append((path, "deleted"))
            elif self.work_entry(work, path, entry[0]) != entry:
                unstaged.append((path, "modified"))
        ignores = self.ignores(work)
        untracked = [p for p in work.kinds if p not in index and not ignores.ignored(p)]
        return {"branch": branch, "detached": branch is None,
                "head": head, "staged": staged, "unstaged": unstaged, "untracked": untracked}


def _changes(old: Mapping[str, Entry], new: Mapping[str, Entry]) -> list[tuple[str, str]]:
    out = []
    for path in sorted(set(old) | set(new)):
        if path not in new:
            out.append((path, "deleted"))
        elif path not in old:
            out.append((path, "added"))
        elif old[path] != new[path]:
            out.append((path, "modified"))
    return out


def _trees(files: Mapping[str, Entry]) -> list[Tree]:
    """The trees holding ``files``, children before parents (the root last)."""
    nested: dict[str, Any] = {}
    for path, entry in files.items():
        node = nested
        parts = path.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(  # noqa: TRY004 - a conflict of paths, not of types
                    f"{path!r} needs {part!r} to be a folder, but it is a file")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError(  # noqa: TRY004 - a conflict of paths, not of types
                f"{path!r} is both a file and a folder")
        node[parts[-1]] = entry
    out: list[Tree] = []

    def build(node: dict[str, Any]) -> str:
        tree = Tree()
        for name, value in node.items():
            if isinstance(value, dict):
                tree.add(_encode(name), _DIR, ObjectID(build(value).encode("ascii")))
            else:
                mode, sha = value
                tree.add(_encode(name), mode, ObjectID(sha.encode("ascii")))
        out.append(tree)
        return tree.id.decode("ascii")

    build(nested)
    return out


def _index_bytes(entries: Mapping[str, Entry], sizes: Mapping[str, int]) -> bytes:
    """An index file (version 2) with zeroed stat data: its bytes follow content only."""
    table = {
        _encode(path): IndexEntry(ctime=(0, 0), mtime=(0, 0), dev=0, ino=0, mode=mode, uid=0,
                                  gid=0, size=sizes.get(path, 0) & 0xFFFFFFFF,
                                  sha=ObjectID(sha.encode("ascii")))
        for path, (mode, sha) in entries.items()}
    buffer = io.BytesIO()
    writer = IndexChecksumWriter(buffer)
    write_index_dict(writer, table, version=2)
    writer.write_checksum()
    return buffer.getvalue()


# -- diffs -----------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters]"


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _hunks(old: list[str], new: list[str], context: int) -> list[str]:
    out: list[str] = []
    matcher = SequenceMatcher(None, old, new)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_lines(" ", old[a1:a2]))
                continue
            if tag in ("replace", "delete"):
                out.extend(_lines("-", old[a1:a2]))
            if tag in ("replace", "insert"):
                out.extend(_lines("+", new[b1:b2]))
    return out


def _lines(mark: str, lines: list[str]) -> Iterator[str]:
    for line in lines:
        if line.endswith("\n"):
            yield mark + line[:-1]
        else:
            yield mark + line
            yield "\\ No newline at end of file"


def _file_diff(path: str, old: Entry | None, new: Entry | None, old_data: bytes | None,
               new_data: bytes | None, context: int) -> list[str]:
    out = [f"diff --git a/{path} b/{path}"]
    if old is None and new is not None:
        out.append(f"new file mode {new[0]:06o}")
    elif new is None and old is not None:
        out.append(f"deleted file mode {old[0]:06o}")
    elif old is not None and new is not None and old[0] != new[0]:
        out += [f"old mode {old[0]:06o}", f"new mode {new[0]:06o}"]
    zero = "0" * 7
    mode = "" if old is None or new is None or old[0] != new[0] else f" {old[0]:06o}"
    if old is not None and new is not None and old[1] == new[1]:
        return out
    out.append(f"index {_short(old[1]) if old else zero}..{_short(new[1]) if new else zero}"
               f"{mode}")
    a, b = old_data or b"", new_data or b""
    if b"\0" in a[:8000] or b"\0" in b[:8000]:
        out.append(f"Binary files {'a/' + path if old else '/dev/null'} and "
                   f"{'b/' + path if new else '/dev/null'} differ")
        return out
    old_lines = a.decode("utf-8", "replace").splitlines(keepends=True)
    new_lines = b.decode("utf-8", "replace").splitlines(keepends=True)
    if len(old_lines) > MAX_DIFF_LINES or len(new_lines) > MAX_DIFF_LINES:
        out.append(f"(not shown: {len(old_lines)} lines before, {len(new_lines)} after, more "
                   f"than {MAX_DIFF_LINES})")
        return out
    out += [f"--- {'a/' + path if old else '/dev/null'}",
            f"+++ {'b/' + path if new else '/dev/null'}"]
    out += _hunks(old_lines, new_lines, context)
    return out


# -- the builder for families ----------------------------------------------------------------


@dataclass(frozen=True)
class CommitSpec:
    """One commit of a history that ``repository_files`` builds."""

    message: str
    files: Mapping[str, bytes | str | None]
    """Changes against the parent: path -> new content (text is UTF-8), None deletes."""
    date: datetime
    """Author and commit date; timezone-aware."""
    author: str | None = None
    """``Name <email>``; default the builder's author."""
    branch: str = "main"
    """The branch this commit goes on. A branch's first commit follows the tip of
    ``main`` at that point (a new history when main has no commits yet)."""


def _make_commit(tree: str, parents: Sequence[str], author: str, when: datetime,
                 message: str) -> Commit:
    offset = when.utcoffset()
    if offset is None:
        raise ValueError("commit dates must be timezone-aware")
    commit = Commit()
    commit.tree = ObjectID(tree.encode("ascii"))
    commit.parents = [ObjectID(p.encode("ascii")) for p in parents]
    commit.author = commit.committer = author.encode("utf-8")
    commit.author_time = commit.commit_time = int(when.timestamp())
    commit.author_timezone = commit.commit_timezone = int(offset.total_seconds())
    commit.message = message.encode("utf-8")
    return commit


def repository_files(commits: Sequence[CommitSpec], *, author: str = DEFAULT_AUTHOR,
                     root: str = "", head: str = "main",
                     working: Mapping[str, bytes | str | None] | None = None
                     ) -> dict[str, bytes]:
    """A Git repository as template files (``WorldTemplate.files``): the ``.git`` folder
    (loose objects, refs, an index matching ``head``'s tree) and the checked-out files of
    ``head``, all under ``root``. The same arguments always give the same bytes, and the
    git CLI reads the result as an ordinary repository.

    Args:
        commits: the history, oldest first.
        author: ``Name <email>`` of commits that name none.
        root: workspace folder of the repository ("" for the workspace root).
        head: the branch checked out.
        working: uncommitted changes on top of the checkout: path -> content, None
            deletes (they show as unstaged changes).

    Raises:
        ValueError: a malformed author, branch or path, a naive date, an empty message,
            or a ``head`` branch with no commits.
    """
    GitStore(author=author)
    prefix = f"{_clean_path(root)}/" if root.strip(". /") else ""
    files: dict[str, bytes] = {}
    tips: dict[str, str] = {}
    trees: dict[str, dict[str, Entry]] = {}
    contents: dict[str, bytes] = {}

    def put(obj: ShaFile) -> str:
        sha = obj.id.decode("ascii")
        files[f"{prefix}.git/objects/{sha[:2]}/{sha[2:]}"] = obj.as_legacy_object()
        return sha

    try:
        for spec in commits:
            _check_branch_name(spec.branch)
            message = _clean_message(spec.message)
            if not message:
                raise ValueError("a commit message must not be empty")
            parent = tips.get(spec.branch) or (tips.get("main") if spec.branch != "main"
                                               else None)
            tree = dict(trees.get(parent, {})) if parent else {}
            for path, content in spec.files.items():
                clean = _clean_path(path)
                if not clean:
                    raise ValueError(f"{path!r} is not a file path")
                if content is None:
                    tree.pop(clean, None)
                    continue
                data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
                blob = Blob.from_string(data)
                tree[clean] = (_REGULAR, put(blob))
                contents[blob.id.decode("ascii")] = data
            root_sha = ""
            for made in _trees(tree):
                root_sha = put(made)
            commit = _make_commit(root_sha, [parent] if parent else [],
                                  GitStore(author=spec.author or author).author,
                                  spec.date, message)
            sha = put(commit)
            tips[spec.branch] = sha
            trees[sha] = tree
    except ToolError as exc:
        raise ValueError(str(exc)) from None
    if head not in tips:
        raise ValueError(f"branch {head!r} has no commits; name it in a CommitSpec")
    checked_out = trees[tips[head]]
    for path, (_, sha) in checked_out.items():
        files[prefix + path] = contents[sha]
    for path, content in (working or {}).items():
        clean = _clean_path(path)
        if content is None:
            files.pop(prefix + clean, None)
        else:
            files[prefix + clean] = content.encode("utf-8") if isinstance(content, str) \
                else bytes(content)
    files[f"{prefix}.git/HEAD"] = f"ref: refs/heads/{head}\n".encode()
    files[f"{prefix}.git/config"] = _CONFIG
    for branch, sha in tips.items():
        files[f"{prefix}.git/refs/heads/{branch}"] = f"{sha}\n".encode()
    sizes = {path: len(contents[sha]) for path, (_, sha) in checked_out.items()}
    files[f"{prefix}.git/index"] = _index_bytes(checked_out, sizes)
    return files


# -- readers for graders -----------------------------------------------------------------------


@contextmanager
def _reading(world: World) -> Iterator[_Repo]:
    existing = world.stores.get("git")
    root = existing.path if isinstance(existing, GitStore) else GitStore().path
    try:
        repo = _Repo(world, root)
    except ToolError as exc:
        raise GradeError(str(exc)) from None
    try:
        yield repo
    except ToolError as exc:
        raise GradeError(str(exc)) from None
    finally:
        repo.close()


def repo_history(world: World, revision: str = "HEAD", limit: int = MAX_LOG) -> list[CommitInfo]:
    """The first-parent history of a revision in the world's repository, newest first
    (for graders).

    Raises:
        GradeError: no repository, an unknown revision, or damaged data.
    """
    with _reading(world) as repo:
        sha: str | None = repo.resolve(revision)
        found: list[CommitInfo] = []
        while sha is not None and len(found) < limit:
            info = repo.info(sha)
            found.append(info)
            sha = info.parents[0] if info.parents else None
        return found


def repo_tree(world: World, revision: str = "HEAD") -> dict[str, bytes]:
    """Every file of a revision in the world's repository, path -> bytes (for graders).

    Raises:
        GradeError: no repository, an unknown revision, or damaged data.
    """
    with _reading(world) as repo:
        return {path: repo.blob(sha) for path, (_, sha) in
                repo.tree_of(repo.resolve(revision)).items()}


def repo_status(world: World) -> dict[str, Any]:
    """``git.status`` of the world's repository without limits (for graders): branch,
    head, and the staged, unstaged and untracked paths.

    Raises:
        GradeError: no repository or damaged data.
    """
    with _reading(world) as repo:
        return repo.status()


# -- the app ---------------------------------------------------------------------------------


class GitApp(App):
    """A Git repository. Paths are relative to the repository's root; revisions are
    'HEAD', branch names, commit ids (7+ hex digits) and forms like 'HEAD~1' or 'main^'.
    Commits you make carry your name and the current time."""

    name = "git"
    blocking = True  # reading damaged or huge objects runs until the size limits stop it

    @property
    def settings(self) -> GitStore:
        existing = self.world.stores.get("git")
        return existing if isinstance(existing, GitStore) else GitStore()

    @contextmanager
    def _repo(self) -> Iterator[_Repo]:
        repo = _Repo(self.world, self.settings.path)
        try:
            with _guarded():
                yield repo
        finally:
            repo.close()

    @tool(read_only=True, concurrent=False)
    def status(self) -> dict[str, Any]:
        """The current branch and commit, and the changed files: "staged" (in the index,
        to be committed), "unstaged" (changed in the working tree but not staged) and
        "untracked" (new files not ignored by .gitignore). Each change is a path with
        "added", "modified" or "deleted"; "clean" is true when there are none."""
        with self._repo() as repo:
            state = repo.status()
        out: dict[str, Any] = {"branch": state["branch"], "detached": state["detached"],
                               "head": state["head"]}
        for key in ("staged", "unstaged"):
            out[key] = [{"path": p, "change": c} for p, c in state[key][:MAX_LIST]]
        out["untracked"] = state["untracked"][:MAX_LIST]
        more = {k: len(state[k]) - MAX_LIST for k in ("staged", "unstaged", "untracked")
                if len(state[k]) > MAX_LIST}
        if more:
            out["not_listed"] = more
        out["clean"] = not (state["staged"] or state["unstaged"] or state["untracked"])
        return out

    @tool(read_only=True, concurrent=False)
    def log(self, revision: str = "HEAD", path: str | None = None, limit: int = 20,
            offset: int = 0) -> dict[str, Any]:
        """Commits reachable from a revision, newest first: id, author, date (ISO 8601) and
        message.

        Args:
            revision: where to start, e.g. "HEAD", "main" or a commit id.
            path: only commits that changed this file or folder.
            limit: most commits to return (1-100).
            offset: commits to skip, for the next page.
        """
        if not 1 <= limit <= MAX_LOG:
            raise ToolError(f"limit must be between 1 and {MAX_LOG}")
        if not 0 <= offset <= MAX_WALK:
            raise ToolError(f"offset must be between 0 and {MAX_WALK}")
        spec = _clean_path(path) if path is not None else None
        with self._repo() as repo:
            start = repo.resolve(revision)
            rows: list[dict[str, Any]] = []
            skipped = walked = 0
            more = False
            seen = {start}
            # newest commit date first, ties in the order found: a commit is only queued
            # once a child of it is out, so children always come before their parents
            queue: list[tuple[int, int, str]] = [(0, 0, start)]
            order = 0
            while queue:
                _, _, sha = heapq.heappop(queue)
                walked += 1
                if walked > MAX_WALK:
                    more = True
                    break
                info = repo.info(sha)
                for parent in info.parents:
                    if parent not in seen:
                        seen.add(parent)
                        order += 1
                        heapq.heappush(queue, (-repo.commit(parent).commit_time, order, parent))
                if spec is not None and not self._touches(repo, info, spec):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                if len(rows) == limit:
                    more = True
                    break
                rows.append(info.row())
        return {"revision": revision, "commits": rows, "more": more}

    def _touches(self, repo: _Repo, info: CommitInfo, spec: str) -> bool:
        mine = {p: e for p, e in repo.tree_of(info.id).items() if _under(p, spec)}
        theirs = {p: e for p, e in (repo.tree_of(info.parents[0]) if info.parents else {}
                                    ).items() if _under(p, spec)}
        return mine != theirs

    @tool(read_only=True, concurrent=False)
    def diff(self, base: str | None = None, target: str | None = None, staged: bool = False,
             path: str | None = None, context: int = 3, name_only: bool = False) -> str:
        """Changes as a unified diff (git's format). With no revisions: the working tree
        against the index (what is not staged yet); with staged: the index against HEAD
        (what commit would record). With base: base against the working tree (or, with
        staged, against the index); with base and target: between the two revisions.

        Args:
            base: a revision to compare from, e.g. "HEAD~1" or "main".
            target: a revision to compare to (needs base).
            staged: compare the index instead of the working tree.
            path: only this file or folder.
            context: lines of context around each change (0-20).
            name_only: list the changed paths with A (added), M (modified) or D (deleted)
                instead of the diff.
        """
        if target is not None and base is None:
            raise ToolError("target needs base: give both to compare two revisions")
        if target is not None and staged:
            raise ToolError("staged compares the index; it does not go with target")
        if not 0 <= context <= 20:
            raise ToolError("context must be between 0 and 20")
        spec = _clean_path(path) if path is not None else ""
        with self._repo() as repo:
            work: _Work | None = None
            if base is None:
                index = repo.read_index()
                if staged:
                    old, new = repo.tree_of(repo.head()[1]), index
                else:
                    work = repo.scan()
                    old, new = index, self._work_side(repo, work, index)
            else:
                old = repo.tree_of(repo.resolve(base))
                if target is not None:
                    new = repo.tree_of(repo.resolve(target))
                elif staged:
                    new = repo.read_index()
                else:
                    work = repo.scan()
                    new = self._work_side(repo, work, repo.read_index())
            return self._render(repo, old, new, spec, context, name_only, work)

    def _work_side(self, repo: _Repo, work: _Work, index: Mapping[str, Entry]
                   ) -> dict[str, Entry]:
        """The working tree's tracked files, as (mode, id)."""
        side: dict[str, Entry] = {}
        for path in work.kinds:
            if path not in index:
                continue
            entry = repo.work_entry(work, path, index[path][0])
            if entry is None:
                side[path] = (work.kinds[path], "0" * 40)  # too large: shown as changed
            else:
                side[path] = entry
        return side

    def _render(self, repo: _Repo, old: Mapping[str, Entry], new: Mapping[str, Entry],
                spec: str, context: int, name_only: bool, work: _Work | None) -> str:
        changed = [(p, c) for p, c in _changes(old, new) if _under(p, spec)]
        if not changed:
            return "no changes"
        if name_only:
            return "\n".join(f"{c[0].upper()}\t{p}" for p, c in changed)

        def content(entry: Entry | None, path: str, side: Mapping[str, Entry]) -> bytes | None:
            if entry is None:
                return None
            if work is not None and side is new and path in work.data:
                return work.data[path]
            if entry[1] == "0" * 40:
                return b""
            return repo.blob(entry[1])

        out: list[str] = []
        size = 0
        for number, (path, _) in enumerate(changed):
            lines = _file_diff(path, old.get(path), new.get(path),
                               content(old.get(path), path, old),
                               content(new.get(path), path, new), context)
            text = "\n".join(lines)
            if size + len(text) > MAX_OUTPUT_CHARS:
                left = MAX_OUTPUT_CHARS - size
                out.append(text[:max(left, 0)])
                out.append(f"[diff cut at {MAX_OUTPUT_CHARS} characters; {len(changed) - number} "
                           "files not shown in full: ask for one path at a time]")
                break
            out.append(text)
            size += len(text) + 1
        return "\n".join(out)

    @tool(read_only=True, concurrent=False)
    def show(self, revision: str = "HEAD", path: str | None = None) -> str:
        """A commit: its id, author, date and message, then its changes as a diff (against
        its first parent). With path: that file's content at the revision instead (or,
        for a folder, the files in it).

        Args:
            revision: the commit, e.g. "HEAD", "HEAD~2", "main" or a commit id.
            path: a file or folder to show as it was at the revision.
        """
        with self._repo() as repo:
            sha = repo.resolve(revision)
            if path is not None:
                spec = _clean_path(path)
                tree = repo.tree_of(sha)
                if spec in tree:
                    data = repo.blob(tree[spec][1])
                    if b"\0" in data[:8000]:
                        return f"{spec} at {_short(sha)} is a binary file of {len(data)} bytes"
                    return _cut(data.decode("utf-8", "replace"), MAX_OUTPUT_CHARS)
                inside = [p for p in tree if _under(p, spec)]
                if not inside:
                    raise ToolError(f"{spec!r} does not exist at {_short(sha)}; git.show "
                                    "without path lists what the commit changed")
                return "\n".join(inside[:MAX_LIST * 5])
            info = repo.info(sha)
            header = [f"commit {info.id}"]
            if len(info.parents) > 1:
                header.append("Merge: " + " ".join(_short(p) for p in info.parents))
            header += [f"Author: {info.author}", f"Date:   {info.date}", ""]
            header += ["    " + line for line in info.message.rstrip("\n").split("\n")]
            old = repo.tree_of(info.parents[0]) if info.parents else {}
            body = self._render(repo, old, repo.tree_of(sha), "", 3, False, None)
            text = "\n".join(header) + "\n\n" + ("" if body == "no changes" else body)
            return _cut(text, MAX_OUTPUT_CHARS)

    @tool(read_only=True, concurrent=False)
    def branch(self) -> dict[str, Any]:
        """The branches, by name: each one's commit and subject line, and which is
        checked out ("current"; null when HEAD is detached)."""
        with self._repo() as repo:
            current, head = repo.head()
            rows = []
            for name, sha in repo.branches().items():
                info = repo.info(sha)
                rows.append({"name": name, "commit": _short(sha),
                             "subject": info.message.split("\n", 1)[0][:200],
                             "current": name == current})
        return {"current": current, "head": head, "branches": rows}

    @tool(destructive=False)
    def create_branch(self, name: str, start_point: str = "HEAD") -> str:
        """Create a branch at a revision (without switching to it; git.checkout does).

        Args:
            name: the new branch's name, e.g. "fix/login-timeout".
            start_point: where it starts, e.g. "HEAD" or "main".
        """
        _check_branch_name(name)
        with self._repo() as repo:
            if repo.branch_tip(name) is not None:
                raise ToolError(f"a branch named {name!r} already exists")
            if any(b.startswith(name + "/") or name.startswith(b + "/")
                   for b in repo.branches()):
                raise ToolError(f"{name!r} clashes with an existing branch's folder")
            sha = repo.resolve(start_point)
            repo.set_branch(name, sha)
        return f"Created branch '{name}' at {_short(sha)}"

    @tool
    def checkout(self, target: str, create: bool = False) -> str:
        """Switch to a branch (or, for a commit id, to that commit with a detached HEAD),
        updating the working tree and index. Uncommitted changes to files that differ
        between the two commits stop it; other changes are kept.

        Args:
            target: a branch name, or a revision for a detached HEAD.
            create: create the branch target at HEAD first (like git checkout -b).
        """
        with self._repo() as repo:
            current, head = repo.head()
            if create:
                _check_branch_name(target)
                if repo.branch_tip(target) is not None:
                    raise ToolError(f"a branch named {target!r} already exists; drop create "
                                    "to switch to it")
                if head is None:
                    raise ToolError(f"the branch {current!r} has no commits yet")
                repo.set_branch(target, head)
            tip = repo.branch_tip(target) if "~" not in target and "^" not in target else None
            branch = target if tip is not None else None
            sha = tip if tip is not None else repo.resolve(target)
            if branch is not None and branch == current:
                return f"Already on '{branch}'"
            kept = self._switch(repo, head, sha)
            repo.set_head(branch, sha)
        where = f"branch '{branch}'" if branch is not None else f"detached HEAD at {_short(sha)}"
        verb = "Switched to a new" if create else "Switched to"
        text = f"{verb} {where}"
        if kept:
            text += f" (local changes kept: {', '.join(kept[:20])})"
        return text

    def _switch(self, repo: _Repo, head: str | None, sha: str) -> list[str]:
        """Move the working tree and index from ``head``'s tree to ``sha``'s; the paths
        with local changes that were carried along."""
        old, new = repo.tree_of(head), repo.tree_of(sha)
        index = repo.read_index()
        work = repo.scan()
        changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
        blocked: list[str] = []
        for path in changed:
            if index.get(path) != old.get(path) or (path in work.kinds and (
                    path not in index
                    or repo.work_entry(work, path, index[path][0]) != index[path])):
                blocked.append(path)
        removed = {p for p in changed if p not in new}
        for path in changed:
            if path not in new:
                continue
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder in work.kinds and folder not in removed:
                    blocked.append(path)
            if os.path.isdir(repo.world.resolve(repo.wrel(path))):
                blocked.append(path)
        if blocked:
            listed = ", ".join(sorted(set(blocked))[:10])
            raise ToolError(f"checkout would overwrite local changes or files in the way: "
                            f"{listed}; commit them (git.add, git.commit) or undo them first")
        sizes = dict(repo.sizes)
        for path in changed:
            target = repo.wrel(path)
            if path in new:
                mode, blob = new[path]
                data = repo.blob(blob)
                written = repo.world.write_file(target, data)
                os.chmod(written, 0o755 if mode == _EXECUTABLE else 0o644)
                index[path] = new[path]
                sizes[path] = len(data)
            else:
                full = repo.world.resolve(target)
                if os.path.lexists(full):
                    os.unlink(full)
                    _prune_empty(repo.world, full.parent, repo.world.resolve(repo.root or "."))
                index.pop(path, None)
                sizes.pop(path, None)
        repo.write_index(index, sizes)
        kept = {p for p, _ in _changes(new, index)}
        kept |= {p for p in index if p not in changed and index[p][0] != _GITLINK and (
            p not in work.kinds or repo.work_entry(work, p, index[p][0]) != index[p])}
        return sorted(kept)

    @tool
    def add(self, paths: list[str]) -> dict[str, Any]:
        """Stage files for the next commit: new and changed files as they are now, and
        deleted ones as deletions. A folder (or ".") stages everything in it that is not
        ignored by .gitignore. Returns what is staged afterwards.

        Args:
            paths: files or folders, relative to the repository root, e.g. ["src/app.py"]
                or ["."].
        """
        if not paths:
            raise ToolError('paths must name at least one file or folder, e.g. ["."]')
        if len(paths) > MAX_PATHS:
            raise ToolError(f"at most {MAX_PATHS} paths per call")
        specs = [_clean_path(p) for p in paths]
        with self._repo() as repo:
            index = repo.read_index()
            work = repo.scan()
            ignores: _Ignores | None = None
            chosen: set[str] = set()
            for spec, given in zip(specs, paths, strict=True):
                matched = {p for p in index if _under(p, spec)}
                new_files = {p for p in work.kinds if _under(p, spec) and p not in index}
                if new_files:
                    ignores = ignores or repo.ignores(work)
                    if spec in new_files and ignores.ignored(spec):
                        raise ToolError(f"{given!r} is ignored by .gitignore; it is not added")
                    new_files = {p for p in new_files if not ignores.ignored(p)}
                if not matched and not new_files:
                    raise ToolError(f"{given!r} did not match any files; git.status lists "
                                    "the changed ones")
                chosen |= matched | new_files
            sizes = dict(repo.sizes)
            for path in sorted(chosen):
                if index.get(path, (0, ""))[0] == _GITLINK:
                    continue  # a submodule's entry: not this app's to change
                if path not in work.kinds:
                    index.pop(path, None)
                    sizes.pop(path, None)
                    continue
                entry = repo.work_entry(work, path, index.get(path, (None, ""))[0])
                if entry is None:
                    raise ToolError(f"{path!r} is larger than {MAX_FILE_BYTES} bytes; it "
                                    "cannot be added")
                if index.get(path) != entry:
                    repo.put(Blob.from_string(work.data[path]))
                    index[path] = entry
                    sizes[path] = len(work.data[path])
            repo.write_index(index, sizes)
            staged = _changes(repo.tree_of(repo.head()[1]), index)
        return {"staged": [{"path": p, "change": c} for p, c in staged[:MAX_LIST]]}

    @tool
    def reset(self, paths: list[str] | None = None) -> dict[str, Any]:
        """Unstage changes (the index goes back to HEAD for these paths; the working tree
        is left as it is). Without paths, everything is unstaged.

        Args:
            paths: files or folders to unstage, relative to the repository root.
        """
        if paths is not None and len(paths) > MAX_PATHS:
            raise ToolError(f"at most {MAX_PATHS} paths per call")
        specs = [_clean_path(p) for p in paths] if paths else [""]
        with self._repo() as repo:
            tree = repo.tree_of(repo.head()[1])
            index = repo.read_index()
            sizes = dict(repo.sizes)
            unstaged = []
            for path, _ in _changes(tree, index):
                if not any(_under(path, s) for s in specs):
                    continue
                unstaged.append(path)
                if path in tree:
                    index[path] = tree[path]
                    obj = repo.get(tree[path][1])
                    sizes[path] = obj.raw_length() if isinstance(obj, Blob) else 0
                else:
                    index.pop(path)
                    sizes.pop(path, None)
            if unstaged:
                repo.write_index(index, sizes)
        return {"unstaged": unstaged[:MAX_LIST]}

    @tool(destructive=False)
    def commit(self, message: str, all: bool = False) -> dict[str, Any]:
        """Record the staged changes as a new commit on the current branch, authored by
        you now. Returns the commit's id, branch and how many files it changed.

        Args:
            message: the commit message; its first line is the subject.
            all: first stage every change to tracked files (not new files), like
                git commit -a.
        """
        text = _clean_message(message)
        if not text:
            raise ToolError("message must not be empty")
        if len(text) > MAX_MESSAGE_CHARS or "\x00" in text:
            raise ToolError(f"message must be at most {MAX_MESSAGE_CHARS} characters, without "
                            "NUL")
        with self._repo() as repo:
            branch, head = repo.head()
            tree = repo.tree_of(head)
            index = repo.read_index()
            sizes = dict(repo.sizes)
            if all:
                work = repo.scan()
                for path in list(index):
                    if path not in work.kinds:
                        index.pop(path)
                        sizes.pop(path, None)
                        continue
                    entry = repo.work_entry(work, path, index[path][0])
                    if entry is not None and entry != index[path]:
                        repo.put(Blob.from_string(work.data[path]))
                        index[path] = entry
                        sizes[path] = len(work.data[path])
            changed = _changes(tree, index)
            if not changed:
                raise ToolError("nothing to commit: no staged changes (git.add stages files; "
                                "git.status shows what changed)")
            try:
                made = _trees({p: e for p, e in index.items()})
            except ValueError as exc:
                raise ToolError(f"the index cannot be committed: {exc}") from None
            root = repo.put_tree(made)
            commit = _make_commit(root, [head] if head else [], self.settings.author,
                                  self.world.now, text)
            sha = repo.put(commit)
            if all:
                repo.write_index(index, sizes)
            if branch is not None:
                repo.set_branch(branch, sha)
            else:
                repo.set_head(None, sha)
        return {"commit": sha, "branch": branch, "subject": text.split("\n", 1)[0],
                "files_changed": len(changed)}


def _prune_empty(world: World, folder: Any, top: Any) -> None:
    """Remove folders left empty by a checkout, up to the repository root."""
    while folder != top and str(folder).startswith(str(world.workspace)):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent
