import os
import shutil
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps import terminal
from workgym.apps.terminal import SandboxLimits, TerminalApp, sandbox_unavailable
from workgym.core import Episode

needs_sandbox = pytest.mark.skipif(
    sandbox_unavailable() is not None, reason=f"no sandbox here: {sandbox_unavailable()}"
)


@pytest.fixture
def ep(start_episode):
    files = {"notes/todo.txt": b"buy milk\n", "data.csv": b"a,b\n1,2\n"}
    return start_episode(("terminal", "files"), family="tests/terminal",
                         now=datetime(2026, 3, 2, 9, tzinfo=UTC), files=files)


def run(ep: Episode, command: str, timeout_s: float = 10.0) -> dict:
    result = ep.call("terminal.run", {"command": command, "timeout_s": timeout_s})
    assert result.ok, result.text
    return result.value


@needs_sandbox
def test_commands_run_in_the_workspace_and_writes_land_there(ep):
    out = run(ep, "pwd; cat notes/todo.txt; echo total > sum.txt; mkdir -p out && "
                  "cut -d, -f2 data.csv > out/b.txt")
    assert out == {"exit_code": 0, "timed_out": False,
                   "stdout": "/workspace\nbuy milk\n", "stderr": ""}
    assert (ep.world.workspace / "sum.txt").read_text() == "total\n"
    assert (ep.world.workspace / "out" / "b.txt").read_text() == "b\n2\n"
    # the files app sees the same world
    assert ep.call("files.read", {"path": "out/b.txt"}).text == "b\n2\n"


@needs_sandbox
def test_exit_code_and_stderr_come_back(ep):
    out = run(ep, "echo oops >&2; exit 3")
    assert out["exit_code"] == 3 and out["stderr"] == "oops\n" and not out["timed_out"]
    assert ep.calls[-1].ok  # a failing command is a result, not a tool error


@needs_sandbox
def test_nothing_outside_the_workspace_is_visible(ep, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    sibling = ep.world.workspace.parent / f"{ep.world.workspace.name}-sibling"
    sibling.mkdir()
    try:
        out = run(ep, f"cat {secret}; ls {sibling}; cat /etc/passwd; ls /root /home")
    finally:
        sibling.rmdir()
    assert out["stdout"] == ""
    assert out["stderr"].count("No such file or directory") == 5, out["stderr"]
    # /tmp is the sandbox's own, empty one; the root holds only what the sandbox binds
    assert run(ep, "ls -A /tmp")["stdout"] == ""
    out = run(ep, "ls /")
    assert out["stdout"].split() == sorted(
        ["dev", "etc", "proc", "tmp", "usr", "workspace"]
        + [d.lstrip("/") for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
           if os.path.lexists(d)]
    )


@needs_sandbox
def test_system_folders_are_read_only_and_tmp_is_private(ep):
    out = run(ep, "touch /usr/x /x; echo scratch > /tmp/mine && cat /tmp/mine")
    assert out["stdout"] == "scratch\n"
    assert out["stderr"].count("Read-only file system") == 2, out["stderr"]
    assert not os.path.exists("/x")


@needs_sandbox
def test_no_network(ep):
    # only a loopback device, and the host's loopback listener cannot be reached
    out = run(ep, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
    assert out["stdout"] == "lo\n"
    if run(ep, "command -v python3")["exit_code"] != 0:
        pytest.skip("no python3 inside the sandbox to open a socket with")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = ("import socket\n"
                 "for host in ('127.0.0.1', '1.1.1.1'):\n"
                 "    try:\n"
                 f"        socket.create_connection((host, {port}), timeout=2); print('open')\n"
                 "    except OSError as exc: print(type(exc).__name__)\n")
        (ep.world.workspace / "probe.py").write_text(probe)
        out = run(ep, "python3 probe.py")
    assert out["exit_code"] == 0, out
    assert "open" not in out["stdout"] and len(out["stdout"].split()) == 2


@needs_sandbox
def test_timeout_kills_the_whole_process_tree(ep):
    started = time.monotonic()
    out = run(ep, "(sleep 1.5; echo late > late.txt) & sleep 30; echo never", timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert out["timed_out"] and out["exit_code"] is None
    assert "never" not in out["stdout"] and "timeout" in out["stderr"]
    time.sleep(2)
    assert not (ep.world.workspace / "late.txt").exists()


@needs_sandbox
def test_background_processes_end_with_the_command(ep):
    out = run(ep, "(sleep 1; echo late > late.txt) & echo started")
    assert out["stdout"] == "started\n" and out["exit_code"] == 0
    time.sleep(1.5)
    assert not (ep.world.workspace / "late.txt").exists()


@needs_sandbox
def test_long_output_is_cut(ep):
    limit = TerminalApp.limits.output_bytes
    out = run(ep, f"yes abc | head -c {limit * 10}")
    assert out["stdout"].startswith("abc\nabc\n")
    assert out["stdout"].endswith(f"[output cut: first {limit} of {limit * 10} bytes shown]")
    assert len(out["stdout"]) < limit + 100


@needs_sandbox
def test_an_endless_writer_is_stopped_at_the_timeout(ep):
    out = run(ep, "yes", timeout_s=1)
    assert out["timed_out"] and "[output cut" in out["stdout"]


@needs_sandbox
def test_file_size_cpu_and_memory_limits(ep, monkeypatch):
    monkeypatch.setattr(TerminalApp, "limits", SandboxLimits(file_size_mb=1, cpu_s=1,
                                                             memory_mb=256))
    out = run(ep, "head -c 3000000 /dev/zero > big.bin")
    assert out["exit_code"] != 0 and "File size limit exceeded" in out["stderr"]
    assert (ep.world.workspace / "big.bin").stat().st_size == 1 << 20
    started = time.monotonic()
    out = run(ep, "while :; do :; done", timeout_s=20)
    assert not out["timed_out"] and out["exit_code"] != 0  # killed by RLIMIT_CPU
    assert time.monotonic() - started < 10
    if run(ep, "command -v python3")["exit_code"] == 0:
        out = run(ep, "python3 -c 'x = bytearray(512 << 20)'")
        assert out["exit_code"] != 0 and "MemoryError" in out["stderr"]


@needs_sandbox
def test_process_limit(ep, monkeypatch):
    # holds when workgym runs as root too: the sandbox then runs as SANDBOX_UID
    monkeypatch.setattr(TerminalApp, "limits", SandboxLimits(processes=8))
    out = run(ep, "for i in $(seq 20); do sleep 1 & done; wait")
    assert "fork" in out["stderr"].lower()


@needs_sandbox
def test_fork_bomb_is_held_to_the_process_limit_even_as_root(ep):
    # Held, not timed out: the command ends by itself, well inside its 30 s, because forks
    # fail at the limit (on a loaded machine the bomb's forks take seconds to fail).
    out = run(ep, "f(){ f | f & }; f; sleep 1; ls /proc | grep -c '^[0-9]'", timeout_s=30)
    assert not out["timed_out"], out
    assert "cannot fork" in out["stderr"].lower()
    assert int(out["stdout"].split()[-1]) <= TerminalApp.limits.processes + 1
    if os.geteuid() == 0:
        assert run(ep, "id -u")["stdout"].strip() == str(terminal._sandbox_uid())


@needs_sandbox
def test_terminal_writes_count_against_the_workspace_quota(ep):
    out = run(ep, "i=0; while [ $i -lt 100 ]; do head -c 2000000 /dev/zero > f$i.bin; "
                  "i=$((i+1)); done; mkdir -p many; echo done", timeout_s=30)
    assert out["exit_code"] is None and "past its quota" in out["stderr"]
    used, _ = ep.world.usage()
    assert used < 1000  # every file the command created was removed
    assert sorted(p for p in ep.world.files()) == ["data.csv", "notes/todo.txt"]
    assert run(ep, "touch kept.txt")["exit_code"] == 0  # within the quota it works again


@needs_sandbox
def test_no_host_path_in_terminal_output(ep):
    host = str(ep.world.workspace)
    out = run(ep, f"echo {host}; cat /proc/self/mountinfo; ls {host}/nothing")
    assert host not in out["stdout"] + out["stderr"]
    assert "/workspace" in out["stdout"]


def test_bad_arguments_are_tool_errors(ep):
    for args, kind in (({"command": "ls", "timeout_s": 0}, "invalid_args"),
                       ({"command": "ls", "timeout_s": 61}, "invalid_args"),
                       ({"command": "ls", "cwd": "/"}, "invalid_args"),
                       ({"command": "   "}, "tool_error"),
                       ({"command": "ls\x00"}, "tool_error")):
        result = ep.call("terminal.run", args)
        assert not result.ok and ep.calls[-1].error == kind, (args, result.text)


def test_without_a_sandbox_nothing_runs(ep, monkeypatch):
    sandbox_unavailable.cache_clear()
    monkeypatch.setattr(terminal.shutil, "which", lambda name: None)
    try:
        result = ep.call("terminal.run", {"command": "echo ran > ran.txt"})
    finally:
        sandbox_unavailable.cache_clear()
    assert not result.ok and ep.calls[-1].error == "tool_error"
    assert "bubblewrap" in result.text and "never run unsandboxed" in result.text
    assert not (ep.world.workspace / "ran.txt").exists()


def test_a_refused_sandbox_is_reported(ep, monkeypatch, tmp_path):
    # a bwrap that fails like one without user namespaces does; in a folder that the
    # sandbox's own uid can reach when the tests run as root
    tmp_path.chmod(0o755)
    temp_root = Path(tempfile.gettempdir())
    for parent in tmp_path.parents:
        if os.geteuid() == 0 and parent.is_relative_to(temp_root) and parent != temp_root:
            parent.chmod(parent.stat().st_mode | 0o005)  # pytest's own folders only
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
    if shutil.which("bwrap") != str(fake) or not os.access("/usr/bin/prlimit", os.X_OK):
        pytest.skip("cannot put a fake bwrap first on PATH here")
    sandbox_unavailable.cache_clear()
    try:
        result = ep.call("terminal.run", {"command": "echo ran > ran.txt"})
    finally:
        sandbox_unavailable.cache_clear()
    assert not result.ok and "No permissions to create new namespace" in result.text
    assert "user namespaces" in result.text
    assert not (ep.world.workspace / "ran.txt").exists()
