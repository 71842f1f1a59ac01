"""files: the episode's workspace folder (list, read, write, move, delete, search).

Every read goes through ``World.read_file`` (bounded, links and special files refused,
never blocking on a FIFO) and every write through ``World.write_file`` (the episode's
workspace quota). ``search`` runs regular expressions on RE2 (google-re2), whose time is
linear in the text searched: no pattern can stall the process.
"""

from __future__ import annotations

import builtins
import io
import os
import stat
from typing import Any

import re2

from workgym.core import MAX_FILE_BYTES, App, ToolError, tool

_BINARY_HINTS = {".xlsx": "sheets", ".docx": "docs"}
MAX_SEARCH_HITS = 100
MAX_SEARCH_BYTES = 16_000_000
"""Most bytes one search reads; a larger search must name a narrower path."""
MAX_PATTERN_CHARS = 1_000
MAX_LIST_ENTRIES = 2_000
_REGEX_MEMORY = 8 << 20
"""Memory RE2 may use for one compiled pattern (its default, made explicit)."""


def compile_pattern(pattern: str, *, regex: bool) -> Any:
    """A case-insensitive RE2 matcher for ``pattern`` (literal text unless ``regex``).

    RE2 matches in time linear in the text, whatever the pattern; it has no
    backreferences or lookaround, which a pattern using them is told.

    Raises:
        ToolError: an empty, overlong or invalid pattern.
    """
    if not pattern:
        raise ToolError("pattern must not be empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ToolError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    options = re2.Options()
    options.case_sensitive = False
    options.literal = not regex
    options.log_errors = False
    options.max_mem = _REGEX_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(
            exc.args[0], bytes) else str(exc)
        raise ToolError(f"invalid regular expression: {detail} (RE2 syntax: no "
                        "backreferences or lookaround)") from None
    except UnicodeError:
        raise ToolError("pattern is not valid Unicode text") from None


class FilesApp(App):
    """The workspace file system. Every path is relative to the workspace root."""

    name = "files"

    @tool(read_only=True)
    def list(self, path: str = ".", recursive: bool = False) -> list[dict[str, Any]]:
        """List the files and folders in a folder of the workspace.

        Args:
            path: folder relative to the workspace root ("." for the root).
            recursive: also list everything below sub-folders.
        """
        folder = self.world.workspace if path in (".", "") else self.world.resolve(path, must_exist=True)
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            raise ToolError(f"{path!r} is a file, not a folder")
        entries: list[dict[str, Any]] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in [*dirnames, *filenames]:
                full = os.path.join(dirpath, name)
                try:
                    info = os.lstat(full)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    entries.append({"path": self._rel(full), "type": "folder"})
                    continue
                kind = ("file" if stat.S_ISREG(info.st_mode) else
                        "link" if stat.S_ISLNK(info.st_mode) else "special")
                entries.append({"path": self._rel(full), "type": kind, "size": info.st_size})
            if not recursive or len(entries) > MAX_LIST_ENTRIES:
                break
        if len(entries) > MAX_LIST_ENTRIES:
            raise ToolError(f"{path!r} holds more than {MAX_LIST_ENTRIES} entries; list a "
                            "sub-folder, or without recursive")
        entries.sort(key=lambda e: e["path"])
        return entries

    @tool(read_only=True)
    def read(self, path: str) -> str:
        """Read a UTF-8 text file of the workspace.

        Args:
            path: file relative to the workspace root.
        """
        suffix = os.path.splitext(path)[1].lower()
        if suffix in _BINARY_HINTS:
            raise ToolError(f"{path!r} is a binary {suffix} file; use the {_BINARY_HINTS[suffix]} tools")
        data = self.world.read_file(path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path!r} is not a UTF-8 text file") from None

    @tool(idempotent=True)
    def write(self, path: str, content: str, overwrite: bool = True) -> str:
        """Write a text file (UTF-8), creating folders as needed.

        Args:
            path: file relative to the workspace root.
            content: the full new content of the file.
            overwrite: replace an existing file; when false, an existing file is an error.
        """
        if len(content) > MAX_FILE_BYTES:
            raise ToolError(f"content is larger than {MAX_FILE_BYTES} bytes")
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError:
            raise ToolError("content is not valid Unicode text (it holds a lone surrogate)") \
                from None
        target = self.world.write_file(path, data, overwrite=overwrite)
        return f"wrote {len(data)} bytes to {self.world.relative(target)}"

    @tool(idempotent=True)
    def move(self, source: str, destination: str) -> str:
        """Move or rename a file or folder. The destination must not exist.

        Args:
            source: existing path relative to the workspace root.
            destination: new path relative to the workspace root.
        """
        src = self.world.resolve(source, must_exist=True)
        dst = self.world.resolve(destination)
        if src == self.world.workspace:
            raise ToolError("the workspace root cannot be moved")
        if dst == self.world.workspace or os.path.lexists(dst):
            raise ToolError(f"{destination!r} already exists")
        if dst.is_relative_to(src):
            raise ToolError("cannot move a folder into itself")
        new_folders = 0
        parent = dst.parent
        while parent != self.world.workspace and not os.path.lexists(parent):
            new_folders, parent = new_folders + 1, parent.parent
        self.world.check_quota(0, new_folders)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.rename(src, dst)
        except OSError as exc:
            raise ToolError(f"cannot move {source!r} to {destination!r}: {exc.strerror}") \
                from None
        return f"moved {self.world.relative(src)} to {self.world.relative(dst)}"

    @tool(idempotent=True)
    def delete(self, path: str) -> str:
        """Delete a file or an empty folder.

        Args:
            path: path relative to the workspace root.
        """
        target = self.world.resolve(path, must_exist=True)
        if target == self.world.workspace:
            raise ToolError("the workspace root cannot be deleted")
        try:
            if stat.S_ISDIR(os.lstat(target).st_mode):
                if any(target.iterdir()):
                    raise ToolError(f"folder {path!r} is not empty")
                target.rmdir()
            else:
                target.unlink()
        except OSError as exc:
            raise ToolError(f"cannot delete {path!r}: {exc.strerror}") from None
        return f"deleted {self.world.relative(target)}"

    @tool(read_only=True)
    def search(self, pattern: str, path: str = ".", regex: bool = False) -> builtins.list[dict[str, Any]]:
        """Find lines in the workspace's text files that contain a pattern (case-insensitive).

        Args:
            pattern: the text to look for (or a regular expression when ``regex`` is true).
            path: folder (or file) to search below, relative to the workspace root.
            regex: treat ``pattern`` as a regular expression (RE2 syntax: Python's without
                backreferences or lookaround).
        """
        matcher = compile_pattern(pattern, regex=regex)
        root = self.world.workspace if path in (".", "") else self.world.resolve(path, must_exist=True)
        if stat.S_ISDIR(os.lstat(root).st_mode):
            candidates = sorted(os.path.join(d, f) for d, _, files in os.walk(root)
                                for f in files)
        else:
            candidates = [str(root)]
        sizes: dict[str, int] = {}
        for candidate in candidates:
            try:
                info = os.lstat(candidate)
            except OSError:
                continue
            # regular files only: a FIFO or device would block or never end
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES and \
                    os.path.splitext(candidate)[1].lower() not in _BINARY_HINTS:
                sizes[candidate] = info.st_size
        if sum(sizes.values()) > MAX_SEARCH_BYTES:
            raise ToolError(f"the search would read more than {MAX_SEARCH_BYTES} bytes; give "
                            "a narrower path")
        hits: builtins.list[dict[str, Any]] = []
        for candidate in sizes:
            try:
                text = self.world.read_file(self._rel(candidate)).decode("utf-8")
            except (ToolError, UnicodeDecodeError):
                continue  # changed meanwhile, or not text
            for number, line in enumerate(io.StringIO(text, newline=None), 1):
                line = line.rstrip("\n")  # RE2's $ matches only at the very end
                if matcher.search(line):
                    hits.append({"path": self._rel(candidate), "line": number,
                                 "text": line[:300]})
                    if len(hits) >= MAX_SEARCH_HITS:
                        return hits
        return hits

    def _rel(self, full: str) -> str:
        return os.path.relpath(full, self.world.workspace).replace(os.sep, "/")
