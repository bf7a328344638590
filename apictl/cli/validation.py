"""The whole verdict of `apictl validate`, memoised per repository content.

An unchanged repository is answered from the cache without parsing anything: the key covers every
YAML file's content (or the git tree id), and the entry records the other files it depended on
(definitions in JSON, missing definitions) so that a change to any of them is noticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.cli.loading import USAGE_PROBLEMS
from apictl.model.diagnostics import Diagnostic


@dataclass(frozen=True)
class Report:
    root: str
    revision: str | None
    manifests: int
    diagnostics: list[Diagnostic]


def validate_repository(path: str, ref: str | None) -> Report:
    from apictl.load import result_cache
    from apictl.load.bundle_loader import file_key, fingerprint, load_bundle, open_source
    from apictl.load.sources import SourceError
    from apictl.model.diagnostics import has_errors, sorted_diagnostics
    from apictl.render import check_environments
    from apictl.validate import validate

    try:
        source = open_source(path, ref)
        repo_key, yaml_files = fingerprint(source)
    except SourceError as exc:
        code = ExitCode.USAGE if exc.code in USAGE_PROBLEMS else ExitCode.INVALID
        raise CommandError(code, exc.message, exc.hint) from None
    cache = result_cache.default()
    memo = cache.get_many([repo_key]).get(repo_key)
    if memo is not None and all(file_key(source, file) == k for file, k in memo["depends"].items()):
        return memo["report"]
    bundle = load_bundle(path, ref, source=source)
    diagnostics = validate(bundle)
    if not has_errors(diagnostics):  # what the targets cannot express, per environment
        diagnostics = sorted_diagnostics([*diagnostics, *check_environments(bundle)])
    report = Report(bundle.root, bundle.revision, len(bundle.documents), diagnostics)
    covered = set(yaml_files)
    depends = {file: file_key(source, file) for file in sorted(set(bundle.definition_of.values()) - covered)}
    cache.put_many({repo_key: {"report": report, "depends": depends}})
    return report
