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


Remember = Callable[[str, object], None]


def memoised(path: str, ref: str | None, name: str, compute: Callable[[Bundle, Remember], T]) -> T:
    """``compute(load_bundle(path, ref), remember)``, or its stored result for identical repository content.

    ``remember(other_name, value)`` lets a computation store further results it produced on the way
    (validation renders every environment: those renders are stored for render/diff/apply).
    """
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
    extra: dict[str, object] = {}
    value = compute(bundle, lambda other, result: extra.__setitem__(other, result))
    covered = set(yaml_files)
    depends = {file: file_key(source, file) for file in sorted(set(bundle.definition_of.values()) - covered)}
    head = head_commit(path, ref) or ""
    stored = {**extra, name: value}
    entries = {
        result_cache.key(n, repo_key, head): {"value": v, "depends": depends}
        for n, v in stored.items()
        if not _holds_secret(v)
    }
    cache.put_many(entries)
    return value


def _holds_secret(value: object) -> bool:
    """A render with a Secret in it is never written to the cache: its values would sit on disk."""
    objects = getattr(getattr(value, "result", None), "objects", ())
    return any(o.key.group == "" and o.key.kind == "Secret" for o in objects)


def validate_repository(path: str, ref: str | None) -> Report:
    def compute(bundle: Bundle, remember: Remember) -> Report:
        from apictl.cli.rendering import Rendered
        from apictl.model.diagnostics import has_errors, sorted_diagnostics
        from apictl.render import environment_names, render_environment
        from apictl.validate import validate

        diagnostics = validate(bundle)
        if not has_errors(diagnostics):  # what the targets cannot express, per environment
            for env in environment_names(bundle):
                result = render_environment(bundle, env)
                diagnostics += result.diagnostics
                if not has_errors(result.diagnostics):
                    namespace = next(e.spec.namespace for e, _ in bundle.environments() if e.metadata.name == env)
                    remember(f"render {env}", Rendered(result, namespace))
            diagnostics = sorted_diagnostics(diagnostics)
        return Report(bundle.root, bundle.revision, len(bundle.documents), diagnostics)

    return memoised(path, ref, "validate", compute)
