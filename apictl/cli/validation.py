"""Whole-repository results (the verdict of `validate`, the render of an environment), memoised.

An unchanged repository is answered from the cache without parsing anything: the key covers every
YAML file's content (or the git tree id) and the git HEAD (commit annotations come from history);
an entry also records the other files it depended on (definitions in JSON, missing definitions),
so that a change to any of them is noticed. Only successful results are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.cli.loading import USAGE_PROBLEMS
from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Diagnostic

T = TypeVar("T")


@dataclass(frozen=True)
class Report:
    root: str
    revision: str | None
    manifests: int
    diagnostics: list[Diagnostic]


def memoised(path: str, ref: str | None, name: str, compute: Callable[[Bundle], T]) -> T:
    """``compute(load_bundle(path, ref))``, or its stored result for identical repository content."""
    from apictl.load import result_cache
    from apictl.load.bundle_loader import file_key, fingerprint, load_bundle, open_source
    from apictl.load.git_history import head_commit
    from apictl.load.sources import SourceError

    try:
        source = open_source(path, ref)
        repo_key, yaml_files = fingerprint(source)
    except SourceError as exc:
        code = ExitCode.USAGE if exc.code in USAGE_PROBLEMS else ExitCode.INVALID
        raise CommandError(code, exc.message, exc.hint) from None
    key = result_cache.key(name, repo_key, head_commit(path, ref) or "")
    cache = result_cache.default()
    memo = cache.get_many([key]).get(key)
    if memo is not None and all(file_key(source, file) == k for file, k in memo["depends"].items()):
        return memo["value"]
    bundle = load_bundle(path, ref, source=source)
    value = compute(bundle)
    covered = set(yaml_files)
    depends = {file: file_key(source, file) for file in sorted(set(bundle.definition_of.values()) - covered)}
    cache.put_many({key: {"value": value, "depends": depends}})
    return value


def validate_repository(path: str, ref: str | None) -> Report:
    def compute(bundle: Bundle) -> Report:
        from apictl.model.diagnostics import has_errors, sorted_diagnostics
        from apictl.render import check_environments
        from apictl.validate import validate

        diagnostics = validate(bundle)
        if not has_errors(diagnostics):  # what the targets cannot express, per environment
            diagnostics = sorted_diagnostics([*diagnostics, *check_environments(bundle)])
        return Report(bundle.root, bundle.revision, len(bundle.documents), diagnostics)

    return memoised(path, ref, "validate", compute)
