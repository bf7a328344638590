"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import StrEnum

import typer


class CiOutput(StrEnum):
    """Outputs of commands that report findings: humans (text on stderr) or programs and CI (stdout)."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    markdown = "markdown"


class Output(StrEnum):
    text = "text"
    json = "json"


PATH = typer.Argument(".", help="The repository directory that holds the apictl manifests.")
REF = typer.Option(None, "--ref", help="Read the repository at this git revision (no checkout needed).")
ENV = typer.Option(..., "--env", "-e", help="The Environment to work on (metadata.name of an Environment manifest).")
