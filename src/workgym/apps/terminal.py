"""terminal: shell commands in a bubblewrap sandbox over the episode's workspace.

Every command runs under ``/bin/sh -c`` in a fresh `bubblewrap
<https://github.com/containers/bubblewrap>`_ sandbox (Debian package ``bubblewrap``):

- the workspace is the only writable host folder, bound at ``/workspace`` (the current
  folder); ``/usr`` and the few ``/etc`` entries that programs need are read-only; ``/tmp``
  is a small private tmpfs; nothing else of the host is visible;
- no network (a new, empty network namespace), new pid, ipc, uts, cgroup and user
  namespaces, a new session (no terminal injection), no further user namespaces inside;
- CPU time, address space, processes, file size and open files are limited
  (``SandboxLimits``), set with ``prlimit`` inside the sandbox before the command starts.
  The kernel exempts uid 0 from the process limit, so when workgym runs as root the
  sandbox runs as ``SANDBOX_UID``, an unprivileged id of no account (the workspace is
  handed to that id before each command): the process limit holds for root too;
- at the timeout the sandbox is killed, and with it every process the command started
  (they all live in the sandbox's pid namespace, which dies with its first process);
- writes count against the episode's workspace quota (``MAX_WORKSPACE_BYTES``,
  ``MAX_WORKSPACE_FILES``). One file is at most ``file_size_mb`` (RLIMIT_FSIZE); a
  watchdog measures the workspace while the command runs and kills the sandbox as soon
  as it passes the quota. A command that ends over the quota is rolled back as far as
  it can be: every file and folder it created is removed (files it changed in place
  keep their new content) and the result says so. The quota check of every other tool
  refuses further writes while the workspace stays over it;
- no host path reaches the model: the workspace's host path is replaced by
  ``/workspace`` in everything a command prints.

Where ``bwrap`` is missing or cannot create its namespaces, the tool answers with a
``ToolError`` saying so: a command never runs unsandboxed.

Commands see the real clock, not the world's frozen ``now``: what they print about time
(``date``, ``ls -l``) is not deterministic, while the files they write are.
"""

from __future__ import annotations

import functools
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field

from workgym.core import MAX_WORKSPACE_BYTES, MAX_WORKSPACE_FILES, App, ToolError, World, tool

__all__ = ["SANDBOX_UID", "SANDBOX_WORKSPACE", "SandboxLimits", "TerminalApp",
           "sandbox_unavailable"]

SANDBOX_WORKSPACE = "/workspace"
"""Where the episode's workspace appears inside the sandbox (the commands' current folder)."""

MAX_TIMEOUT_S = 60.0
"""Longest timeout a command may ask for."""

SANDBOX_UID = 2_100_000_000
"""The uid and gid sandboxed commands run as when workgym runs as root (no account has
it: nothing on the host is theirs). In a container whose user namespace does not map it,
``NOBODY_UID`` is used instead."""
NOBODY_UID = 65_534

_WATCH_INTERVAL_S = 0.05
"""How often the quota watchdog measures the workspace while a command runs."""

_PRLIMIT = "/usr/bin/prlimit"
# Top-level system folders: merged-/usr systems have them as links into /usr, older
# layouts as real folders; either way the sandbox mirrors the host.
_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc entries that ordinary programs need: the loader's cache and Debian's alternatives
# (awk, editor, pager ...). The rest of /etc (users, hosts, secrets) stays hidden.
_ETC_ENTRIES = ("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                 "stderr": "/proc/self/fd/2"}
_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": SANDBOX_WORKSPACE,
    "PWD": SANDBOX_WORKSPACE,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}
_KILL_GRACE_S = 2.0
"""How long to wait for the pipes to close after the sandbox was killed."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed command."""

    cpu_s: int = 30
    """CPU seconds the command may use (RLIMIT_CPU); the wall-clock timeout comes first
    for commands that wait rather than compute."""
    memory_mb: int = 1024
    """Address space of each process, in MiB (RLIMIT_AS)."""
    processes: int = 64
    """Processes and threads the command may run at once (RLIMIT_NPROC, counted inside
    the sandbox's own user namespace)."""
    file_size_mb: int = 2
    """Largest file the command may write, in MiB (RLIMIT_FSIZE); about what the other
    tools read (``MAX_FILE_BYTES``)."""
    open_files: int = 256
    """Open file descriptors per process (RLIMIT_NOFILE)."""
    tmp_mb: int = 64
    """Size of the private ``/tmp``, in MiB."""
    output_bytes: int = 32_000
    """stdout and stderr are each cut past this many bytes, with a note."""

    def __post_init__(self) -> None:
        for name in ("cpu_s", "memory_mb", "processes", "file_size_mb", "open_files", "tmp_mb",
                     "output_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"SandboxLimits.{name} must be positive")

    def prlimit_args(self) -> list[str]:
        """``prlimit`` options that set these limits (soft and hard alike)."""
        mib = 1 << 20
        limits = {"cpu": self.cpu_s, "as": self.memory_mb * mib, "nproc": self.processes,
                  "fsize": self.file_size_mb * mib, "nofile": self.open_files, "core": 0}
        return [f"--{name}={value}:{value}" for name, value in limits.items()]


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC_ENTRIES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _devices() -> list[str]:
    # Not bwrap's --dev: that is a writable tmpfs without a size limit. These nodes and
    # links sit on the root, which ends read-only.
    args: list[str] = []
    for name in _DEVICES:
        args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    for name, target in _DEVICE_LINKS.items():
        args += ["--symlink", target, f"/dev/{name}"]
    return args


@functools.lru_cache(maxsize=8)
def _static_args(limits: SandboxLimits) -> tuple[str, ...]:
    """Everything of the bwrap command line but the workspace and the command."""
    return (
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
        "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session",
        "--hostname", "workgym",
        *_system_binds(),
        "--proc", "/proc", *_devices(),
        "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp",
        "--clearenv", *(arg for key, value in _ENV.items() for arg in ("--setenv", key, value)),
    )


def sandbox_command(workspace_fd: int, command: str, limits: SandboxLimits) -> list[str]:
    """The argv that runs ``command`` sandboxed over the workspace folder open as
    ``workspace_fd`` (passed to bwrap, which binds it: bwrap running as ``SANDBOX_UID``
    need not be able to walk the workspace's host path)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise ToolError(_UNAVAILABLE.format("bubblewrap (bwrap) is not installed; "
                                            "install the Debian package 'bubblewrap'"))
    # bwrap's root is a tmpfs of its own; made read-only once everything is mounted, so
    # writes can only go to the workspace and the size-limited /tmp
    return [bwrap, *_static_args(limits), "--bind-fd", str(workspace_fd), SANDBOX_WORKSPACE,
            "--remount-ro", "/", "--chdir", SANDBOX_WORKSPACE,
            "--", _PRLIMIT, *limits.prlimit_args(), "--", "/bin/sh", "-c", command]


def _as_root() -> bool:
    return os.geteuid() == 0


@contextmanager
def _workspace_fd(workspace: Path) -> Iterator[int]:
    """The workspace open as a folder, handed to ``SANDBOX_UID`` when running as root."""
    if _as_root():
        _hand_over(workspace)
    fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        yield fd
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=1)
def _sandbox_uid() -> int:
    """``SANDBOX_UID`` where this kernel's user namespace maps it, else ``NOBODY_UID``."""
    with tempfile.NamedTemporaryFile(prefix="workgym-uid-") as probe:
        try:
            os.chown(probe.name, SANDBOX_UID, SANDBOX_UID)
        except OSError:  # EINVAL: an id the namespace does not map
            return NOBODY_UID
    return SANDBOX_UID


def _hand_over(workspace: Path) -> None:
    """Make the sandbox's uid own every entry of the workspace (links not followed), so
    that commands running as it can change what the other tools wrote as root."""
    uid = _sandbox_uid()
    os.lchown(workspace, uid, uid)
    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False):
        for name in (*dirnames, *filenames):
            try:
                os.lchown(os.path.join(dirpath, name), uid, uid)
            except OSError:
                continue


def _popen_identity() -> dict[str, Any]:
    """``Popen`` keywords that drop root to the sandbox's uid before bwrap starts."""
    if not _as_root():
        return {}
    uid = _sandbox_uid()
    return {"user": uid, "group": uid, "extra_groups": []}


_UNAVAILABLE = "the terminal's sandbox is unavailable on this machine: {}. Commands never run " \
    "unsandboxed."


@functools.lru_cache(maxsize=1)
def sandbox_unavailable() -> str | None:
    """Why sandboxed commands cannot run here, or None when they can.

    Runs one trivial command in the sandbox (once per process): a missing ``bwrap`` or
    ``prlimit``, or user namespaces that the kernel or a security module refuses, show up
    here with bwrap's own message.
    """
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; install the Debian package 'bubblewrap'"
    if not os.access(_PRLIMIT, os.X_OK):
        return f"{_PRLIMIT} (util-linux) is missing; it sets the sandbox's resource limits"
    with tempfile.TemporaryDirectory(prefix="workgym-probe-") as folder:
        try:
            with _workspace_fd(Path(folder)) as fd:
                argv = sandbox_command(fd, "exit 0", SandboxLimits())
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=30, env={}, check=False, pass_fds=(fd,),
                                      **_popen_identity())
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not start: {exc}"
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        hint = ""
        if "namespace" in detail or "not permitted" in detail or "denied" in detail:
            hint = ("; unprivileged user namespaces may be disabled (sysctl "
                    "kernel.unprivileged_userns_clone, AppArmor's "
                    "restrict_unprivileged_userns, or a container without CLONE_NEWUSER)")
        return f"bwrap cannot create its sandbox ({detail}){hint}"
    return None


class TerminalApp(App):
    """A shell over the workspace, in a sandbox without network."""

    name = "terminal"
    blocking = True
    limits: ClassVar[SandboxLimits] = SandboxLimits()
    """Limits of every command; a subclass may set others."""

    @tool(concurrent=True)
    def run(
        self,
        command: str,
        timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S)] = 10.0,
    ) -> dict[str, Any]:
        """Run a shell command (/bin/sh -c) in a sandbox whose current folder is the workspace.

        The sandbox has the usual command-line tools and python3, the workspace at
        /workspace (read-write), a private /tmp, and no network. When the timeout
        passes, the command and every process it started are killed. Long output is cut.

        Args:
            command: the shell command line, e.g. "ls -la" or "grep -rn invoice docs | head".
            timeout_s: seconds before the command is killed (at most 60).
        """
        if not command.strip():
            raise ToolError("command must not be empty")
        if "\x00" in command:
            raise ToolError("command contains a NUL byte")
        reason = sandbox_unavailable()
        if reason is not None:
            raise ToolError(_UNAVAILABLE.format(reason))
        limits = self.limits
        world = self.world
        before = _entries(world.workspace)
        used_before = world.usage()
        watchdog = _QuotaWatch(world, used_before)
        try:
            with _workspace_fd(world.workspace) as fd:
                argv = sandbox_command(fd, command, limits)
                stdout, stderr, code, timed_out = _run(argv, timeout_s, limits.output_bytes,
                                                       (fd,), watchdog)
        except OSError as exc:  # the workspace could not be opened or handed over
            raise ToolError(_UNAVAILABLE.format(f"the workspace cannot be shared with the "
                                                f"sandbox ({exc.strerror})")) from None
        errors = stderr.text()
        if watchdog.tripped:
            timed_out = False
        elif timed_out:
            errors += ("\n" if errors else "") + f"[killed after the {timeout_s:g} s timeout]"
        note = _enforce_quota(world, before, used_before, watchdog.tripped)
        if note:
            errors += ("\n" if errors else "") + note
        scrub = _Scrubber(world.workspace)
        return {"exit_code": None if timed_out or watchdog.tripped else code,
                "timed_out": timed_out, "stdout": scrub(stdout.text()),
                "stderr": scrub(errors)}


def _run(argv: list[str], timeout_s: float, keep: int, pass_fds: tuple[int, ...] = (),
         watchdog: _QuotaWatch | None = None) -> tuple[_Output, _Output, int, bool]:
    """Run ``argv``, keeping at most ``keep`` bytes of each stream; kill it at the timeout
    (or when ``watchdog`` trips).

    Returns:
        stdout, stderr, the exit code, and whether it was killed.
    """
    deadline = time.monotonic() + timeout_s
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={}, start_new_session=True,
                                pass_fds=pass_fds, **_popen_identity())
    except OSError as exc:
        raise ToolError(_UNAVAILABLE.format(f"bwrap could not start ({exc.strerror})")) \
            from None
    if proc.stdout is None or proc.stderr is None:
        raise RuntimeError("subprocess gave no pipes")
    if watchdog is not None:
        watchdog.start(proc)
    outputs = {proc.stdout.fileno(): _Output(keep), proc.stderr.fileno(): _Output(keep)}
    timed_out = False
    with selectors.DefaultSelector() as selector:
        for fd in outputs:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                if timed_out:  # the pipes outlived the kill grace: stop reading
                    break
                timed_out = True
                _kill(proc)
                deadline = time.monotonic() + _KILL_GRACE_S
                continue
            for key, _ in selector.select(left):
                fd = key.fd
                chunk = os.read(fd, 65536)
                if chunk:
                    outputs[fd].add(chunk)
                else:
                    selector.unregister(fd)
    if not timed_out:
        try:
            code = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
    if timed_out:
        _kill(proc)
        code = proc.wait()
    if watchdog is not None:
        watchdog.stop()
        timed_out = timed_out or watchdog.tripped
    stdout, stderr = outputs[proc.stdout.fileno()], outputs[proc.stderr.fileno()]
    proc.stdout.close()
    proc.stderr.close()
    return stdout, stderr, code, timed_out


class _Output:
    """The first bytes of a stream; the rest is read and dropped, so a chatty command
    can neither block on a full pipe nor fill memory."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        if len(self.data) < self.keep:
            self.data += chunk[: self.keep - len(self.data)]
        self.total += len(chunk)

    def text(self) -> str:
        if self.total <= self.keep:
            return self.data.decode("utf-8", "replace")
        # "ignore": the cut may split a multi-byte character
        return (self.data.decode("utf-8", "ignore")
                + f"\n[output cut: first {self.keep} of {self.total} bytes shown]")


class _QuotaWatch:
    """Measures the workspace while a command runs; kills the sandbox past the quota.

    The limit is the quota, or what the workspace held before the command when that was
    already more (a command may then delete, but not grow it further).
    """

    def __init__(self, world: World, used_before: tuple[int, int]) -> None:
        self._world = world
        self._max_bytes = max(MAX_WORKSPACE_BYTES, used_before[0])
        self._max_entries = max(MAX_WORKSPACE_FILES, used_before[1])
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.tripped = False

    def start(self, proc: subprocess.Popen[bytes]) -> None:
        self._thread = threading.Thread(target=self._watch, args=(proc,), daemon=True,
                                        name="workgym-quota-watch")
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self, proc: subprocess.Popen[bytes]) -> None:
        while not self._done.wait(_WATCH_INTERVAL_S):
            used, entries = _usage(self._world.workspace, self._max_bytes, self._max_entries)
            if used > self._max_bytes or entries > self._max_entries:
                self.tripped = True
                _kill(proc)
                return


def _usage(workspace: Path, max_bytes: int, max_entries: int) -> tuple[int, int]:
    """Bytes and entries under ``workspace``, counted only until either passes its limit."""
    total = entries = 0
    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False):
        entries += len(dirnames) + len(filenames)
        for name in filenames:
            try:
                info = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
        if total > max_bytes or entries > max_entries:
            break
    return total, entries


def _entries(workspace: Path) -> set[str]:
    """Every path under ``workspace`` (links not followed)."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False):
        for name in (*dirnames, *filenames):
            found.add(os.path.join(dirpath, name))
    return found


def _enforce_quota(world: World, before: set[str], used_before: tuple[int, int],
                   tripped: bool) -> str:
    """Roll back a command that took the workspace past its quota: remove every entry it
    created. Returns a note for the model ("" when within the quota)."""
    max_bytes = max(MAX_WORKSPACE_BYTES, used_before[0])
    max_entries = max(MAX_WORKSPACE_FILES, used_before[1])
    used, entries = _usage(world.workspace, max_bytes, max_entries)
    if not tripped and used <= max_bytes and entries <= max_entries:
        return ""
    created = _entries(world.workspace) - before
    for path in sorted(created, key=len, reverse=True):  # children before their folders
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            continue
    used, entries = world.usage()
    note = (f"[stopped: the command took the workspace past its quota of "
            f"{MAX_WORKSPACE_BYTES} bytes and {MAX_WORKSPACE_FILES} files; the "
            f"{len(created)} files and folders it created were removed]")
    if used > MAX_WORKSPACE_BYTES or entries > MAX_WORKSPACE_FILES:
        note += (f" [the workspace still holds {used} bytes in {entries} entries, over the "
                 "quota: delete files before writing more]")
    return note


class _Scrubber:
    """Replaces the workspace's host path (as given, and resolved) with /workspace."""

    def __init__(self, workspace: Path) -> None:
        paths = {str(workspace), os.path.realpath(workspace)}
        self._paths = sorted(paths, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for path in self._paths:
            text = text.replace(path, SANDBOX_WORKSPACE)
        return text


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill bwrap (and its process group): the sandbox's first process dies with it
    (--die-with-parent), and with that process the whole pid namespace."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
