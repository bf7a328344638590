"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import StrEnum

import typer


class Output(StrEnum):
    text = "text"
    json = "json"


PATH = typer.Argument(".", help="The repository directory that holds the apictl manifests.")
REF = typer.Option(None, "--ref", help="Read the repository at this git revision (no checkout needed).")
ENV = typer.Option(..., "--env", "-e", help="The Environment to work on (metadata.name of an Environment manifest).")
