"""Every command's help reads whole in an 80-column terminal: no line runs past the
edge, and no URL or environment-variable name is cut."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from workgym.cli import app, load_commands

load_commands()
URL = re.compile(r"https?://[^\s)\]'\"]+")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):  # a group (typer ships its own click)
        for name in command.list_commands(None):
            sub = command.get_command(None, name)
            if sub is not None:
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def _must_stay_whole(command: Any) -> set[str]:
    """Env-var names and URLs that the help of ``command`` shows."""
    found = set(URL.findall(command.help or ""))
    for param in command.params:
        names = param.envvar if isinstance(param.envvar, (list, tuple)) else [param.envvar]
        found.update(n for n in names if n)
        found.update(URL.findall(getattr(param, "help", None) or ""))
    return {text.rstrip(".,;:") for text in found}


@pytest.mark.parametrize("path, command", COMMANDS,
                         ids=[" ".join(p) or "workgym" for p, _ in COMMANDS])
def test_help_fits_80_columns(path, command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines, "no help at all"
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, too_long
    cut = [text for text in _must_stay_whole(command) if not any(text in line for line in lines)]
    assert not cut, f"cut across lines or with an ellipsis: {cut}"
