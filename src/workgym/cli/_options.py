"""Option types that several commands share, so that each reads and is documented the same
everywhere it appears."""

from __future__ import annotations

from typing import Annotated

import typer

AsJson = Annotated[bool, typer.Option(
    "--json", envvar="WORKGYM_JSON", help="Print the result as JSON.")]
Overwrite = Annotated[bool, typer.Option(
    "--overwrite", envvar="WORKGYM_OVERWRITE",
    help="Discard what the run folder holds instead of resuming it.")]
Imports = Annotated[list[str] | None, typer.Option(
    "--import", envvar="WORKGYM_IMPORT",
    help="Modules (or .py files) to import first, e.g. ones that register your own "
         "families.")]
ApiKey = Annotated[str | None, typer.Option(
    envvar=["OPENAI_API_KEY", "WORKGYM_API_KEY"], show_default=False,
    help="The server's API key (env OPENAI_API_KEY).")]
Progress = Annotated[bool, typer.Option(envvar="WORKGYM_PROGRESS", help="Progress on stderr.")]
