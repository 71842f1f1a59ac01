"""files: the episode's workspace folder (list, read, write, move, delete, search)."""

from __future__ import annotations

import builtins
import os
import re
import stat
from typing import Any

from workgym.core import App, ToolError, tool
from workgym.core._world import MAX_FILE_BYTES

_BINARY_HINTS = {".xlsx": "sheets", ".docx": "docs"}
MAX_SEARCH_HITS = 100


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
        if not folder.is_dir():
            raise ToolError(f"{path!r} is a file, not a folder")
        entries: list[dict[str, Any]] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames:
                full = os.path.join(dirpath, name)
                entries.append({"path": self._rel(full), "type": "folder"})
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                info = os.lstat(full)
                kind = "link" if stat.S_ISLNK(info.st_mode) else "file"
                entries.append({"path": self._rel(full), "type": kind, "size": info.st_size})
            if not recursive:
                break
        entries.sort(key=lambda e: e["path"])
        return entries

    @tool(read_only=True)
    def read(self, path: str) -> str:
        """Read a UTF-8 text file of the workspace.

        Args:
            path: file relative to the workspace root.
        """
        target = self._existing_file(path)
        suffix = target.suffix.lower()
        if suffix in _BINARY_HINTS:
            raise ToolError(f"{path!r} is a binary {suffix} file; use the {_BINARY_HINTS[suffix]} tools")
        data = target.read_bytes()
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
        target = self.world.resolve(path)
        if target.is_dir():
            raise ToolError(f"{path!r} is a folder")
        if target.exists() and not overwrite:
            raise ToolError(f"{path!r} exists and overwrite is false")
        data = content.encode("utf-8")
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(f"content is larger than {MAX_FILE_BYTES} bytes")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
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
        if dst.exists():
            raise ToolError(f"{destination!r} already exists")
        if dst.is_relative_to(src):
            raise ToolError("cannot move a folder into itself")
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dst)
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
        if target.is_dir():
            if any(target.iterdir()):
                raise ToolError(f"folder {path!r} is not empty")
            target.rmdir()
        else:
            target.unlink()
        return f"deleted {self.world.relative(target)}"

    @tool(read_only=True)
    def search(self, pattern: str, path: str = ".", regex: bool = False) -> builtins.list[dict[str, Any]]:
        """Find lines in the workspace's text files that contain a pattern (case-insensitive).

        Args:
            pattern: the text to look for (or a regular expression when ``regex`` is true).
            path: folder (or file) to search below, relative to the workspace root.
            regex: treat ``pattern`` as a Python regular expression.
        """
        if not pattern:
            raise ToolError("pattern must not be empty")
        try:
            matcher = re.compile(pattern if regex else re.escape(pattern), re.IGNORECASE)
        except re.error as exc:
            raise ToolError(f"invalid regular expression: {exc}") from None
        root = self.world.workspace if path in (".", "") else self.world.resolve(path, must_exist=True)
        candidates = [str(root)] if root.is_file() else sorted(
            os.path.join(d, f) for d, _, files in os.walk(root) for f in files
        )
        hits: builtins.list[dict[str, Any]] = []
        for candidate in candidates:
            if os.path.islink(candidate) or os.path.splitext(candidate)[1].lower() in _BINARY_HINTS:
                continue
            try:
                with open(candidate, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        if matcher.search(line):
                            hits.append({"path": self._rel(candidate), "line": number,
                                         "text": line.rstrip("\n")[:300]})
                            if len(hits) >= MAX_SEARCH_HITS:
                                return hits
            except (UnicodeDecodeError, OSError):
                continue
        return hits

    def _existing_file(self, path: str) -> Any:
        target = self.world.resolve(path, must_exist=True)
        if target.is_dir():
            raise ToolError(f"{path!r} is a folder, not a file")
        if target.stat().st_size > MAX_FILE_BYTES:
            raise ToolError(f"{path!r} is larger than {MAX_FILE_BYTES} bytes")
        return target

    def _rel(self, full: str) -> str:
        return os.path.relpath(full, self.world.workspace).replace(os.sep, "/")

