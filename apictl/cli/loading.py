"""Load and validate a repository for any command; turn load failures into CommandErrors."""

from __future__ import annotations

from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Diagnostic

USAGE_PROBLEMS = {"path-not-found", "git-not-a-repository", "git-unknown-revision", "git-path-missing"}


def load(path: str, ref: str | None) -> Bundle:
    from apictl.load.bundle_loader import load_bundle
    from apictl.load.sources import SourceError

    try:
        return load_bundle(path, ref)
    except SourceError as exc:
        code = ExitCode.USAGE if exc.code in USAGE_PROBLEMS else ExitCode.INVALID
        raise CommandError(code, exc.message, exc.hint) from None


def load_and_validate(path: str, ref: str | None) -> tuple[Bundle, list[Diagnostic]]:
    from apictl.validate import validate

    bundle = load(path, ref)
    return bundle, validate(bundle)
