"""The ``workgym`` command. Results go to stdout, logs and progress to stderr."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="workgym",
    help="Offline, deterministic agentic tasks for RL post-training, and the harness around them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: click wraps it at the terminal's width; rich's option table cuts long
    # URLs and env-var names with an ellipsis in an 80-column terminal.
    rich_markup_mode=None,
)

# Each area adds its subcommands to ``app``; the modules import heavy libraries lazily.
COMMAND_MODULES = (
    "workgym.cli._families",
    "workgym.cli._eval",
    "workgym.cli._report",
    "workgym.cli._serve",
    "workgym.cli._train",
    "workgym.cli._external",
    "workgym.cli._bench",
    "workgym.cli._stats",
)


def load_commands() -> None:
    """Attach every subcommand to ``app`` (each module imports heavy libraries lazily)."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)


_load_commands = load_commands  # the name the tests and older scripts use


def main() -> None:
    load_commands()
    app()
