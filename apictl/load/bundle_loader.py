"""load_bundle: a directory or git revision -> Bundle (typed manifests, definitions, problems)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from apictl.load import result_cache
from apictl.load.manifest_schema import data_path, did_you_mean, parse_manifest
from apictl.load.parallel_map import parallel_map
from apictl.load.sources import DirectorySource, GitSource, Source, SourceError, decode_text, join_inside
from apictl.load.yaml_documents import YamlProblem, parse_documents
from apictl.model.bundle import Bundle, Definition, DefinitionFormat, Document
from apictl.model.config import GOVERNANCE_DEFAULTS, RepoConfig
from apictl.model.diagnostics import Diagnostic, error
from apictl.model.manifests import API, KINDS
from apictl.model.source import SourceLocation

CONFIG_FILE = "apictl.yaml"
MANIFEST_MARKER = "apictl.io/"


def open_source(path: str, ref: str | None = None) -> Source:
    """The source for ``path`` (at git revision ``ref`` when given). Raises SourceError."""
    if ref:
        return GitSource.open(path, ref)
    import os

    if not os.path.isdir(path):
        raise SourceError(
            "path-not-found",
            f"{path} is not a directory",
            hint="pass the directory that holds your apictl manifests",
        )
    return DirectorySource.open(path)


def _read_text(source: Source, path: str) -> str:
    return decode_text(source.read_bytes(path), source.display(path))


def _source_problem(exc: SourceError, location: SourceLocation) -> Diagnostic:
    if not location.line:
        location = SourceLocation(location.file, exc.line, 1)
    return error(exc.code, exc.message, location, exc.hint)


def _yaml_problem(exc: YamlProblem, file: str) -> Diagnostic:
    return error(exc.code, exc.message, SourceLocation(file, exc.line, exc.column), exc.hint)


def _load_config(source: Source, problems: list[Diagnostic]) -> RepoConfig:
    shown = source.display(CONFIG_FILE)
    try:
        text = _read_text(source, CONFIG_FILE)
    except SourceError as exc:
        if exc.code != "file-not-found":
            problems.append(_source_problem(exc, SourceLocation(shown)))
        return RepoConfig()
    try:
        docs = list(parse_documents(text, shown, positions=True))
    except YamlProblem as exc:
        problems.append(_yaml_problem(exc, shown))
        return RepoConfig()
    if not docs or docs[0].data is None:
        return RepoConfig()
    doc = docs[0]
    assert doc.source is not None
    try:
        config = RepoConfig.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            path = data_path(doc.data, tuple(err["loc"]))
            if err["type"] == "extra_forbidden":
                hint = did_you_mean(str(err["loc"][-1]), ("rules", "unsupported"))
                message = f"unknown setting {err['loc'][-1]!r} in {CONFIG_FILE}"
            else:
                hint = "rule levels are error, warning or off; unsupported is error or warning"
                message = f"{CONFIG_FILE}: {'.'.join(map(str, path))}: {err['msg']}"
            problems.append(error("config-invalid", message, doc.source.locate(path, key=True), hint))
        return RepoConfig()
    for rule in config.rules:
        if rule not in GOVERNANCE_DEFAULTS:
            problems.append(
                error(
                    "config-invalid",
                    f"unknown governance rule {rule!r} in {CONFIG_FILE}",
                    doc.source.locate(("rules", rule), key=True),
                    did_you_mean(rule, GOVERNANCE_DEFAULTS),
                )
            )
    return config


def _definition_format(data: Any) -> tuple[DefinitionFormat, str]:
    if isinstance(data, Mapping):
        for key, fmt in (("openapi", "openapi"), ("swagger", "swagger"), ("asyncapi", "asyncapi")):
            if key in data:
                return fmt, str(data[key])  # type: ignore[return-value]
    return "unknown", ""


PARALLEL_BYTES = 1_000_000
"""Definitions totalling more than this are parsed on all cores."""

DefinitionText = tuple[str, str, str, "Diagnostic | None"]


def _read_for_definition(source: Source, path: str, where: SourceLocation) -> DefinitionText:
    shown = source.display(path)
    try:
        return path, _read_text(source, path), shown, None
    except SourceError as exc:
        return path, "", shown, _source_problem(exc, where)


def _parse_definition(request: DefinitionText) -> tuple[Definition | None, Diagnostic | None]:
    path, text, shown, problem = request
    if problem is not None:
        return None, problem
    try:
        docs = list(parse_documents(text, shown, positions=False))
    except YamlProblem as exc:
        return None, _yaml_problem(exc, shown)
    if len(docs) != 1 or not isinstance(docs[0].data, Mapping):
        return None, error(
            "definition-not-a-document",
            f"{shown} must hold exactly one OpenAPI or AsyncAPI document (a mapping)",
            SourceLocation(shown, 1, 1),
            "put one definition per file",
        )
    fmt, version = _definition_format(docs[0].data)
    return Definition(path, shown, docs[0].data, text, fmt, version), None


def _on_all_cores(function: Any, items: list[Any]) -> list[Any]:
    weights = [sum(len(part) for part in item if isinstance(part, str)) for item in items]
    return parallel_map(function, items, weights, min_weight=PARALLEL_BYTES)


def _parse_manifest_file(
    request: tuple[str, str, str],
) -> tuple[list[Document], list[Diagnostic], set[tuple[str, str]]]:
    """The typed manifests of one file, the problems found in it, and the names of rejected manifests."""
    file, shown, text = request
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    rejected: set[tuple[str, str]] = set()
    try:
        for parsed in parse_documents(text, shown, positions=True):
            data = parsed.data
            if not isinstance(data, Mapping) or not str(data.get("apiVersion", "")).startswith(MANIFEST_MARKER):
                continue
            assert parsed.source is not None
            manifest, found = parse_manifest(data, parsed.source)
            problems.extend(found)
            if manifest is not None:
                documents.append(Document(manifest, parsed.source, file))
            elif isinstance(data.get("metadata"), Mapping) and isinstance(data["metadata"].get("name"), str):
                kind = str(data.get("kind"))
                for meant in (kind, *difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.6)):
                    rejected.add((meant, data["metadata"]["name"]))
    except YamlProblem as exc:
        problems.append(_yaml_problem(exc, shown))
    return documents, problems, rejected


def fingerprint(source: Source) -> tuple[str, list[str]]:
    """A content key over every YAML file of the repository, and the files it covers.

    Reading is shared with a following ``load_bundle(source=...)``; nothing is parsed.
    """
    files = source.yaml_files()
    content_id = source.content_id()
    if content_id is not None:
        return result_cache.key("repository", source.root, content_id), files
    parts = []
    for file in files:
        try:
            parts.append(
                f"{file}\0{result_cache.key('file', file, source.read_bytes(file).decode('utf-8', 'replace'))}"
            )
        except SourceError as exc:
            parts.append(f"{file}\0{exc.code}")
    return result_cache.key("repository", source.root, "\n".join(parts)), files


def file_key(source: Source, path: str) -> str:
    """The content key of one file (``unreadable`` when it cannot be read)."""
    try:
        return result_cache.key("file", path, source.read_bytes(path).decode("utf-8", "replace"))
    except SourceError:
        return "unreadable"


CREDENTIAL_LIKE = re.compile(
    r"(?i)[\s{,][\"']?(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey)[\"']?\s*:\s*[^\s{\[]"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\beyJ[A-Za-z0-9_-]{10,}\."
    r"|(?i:\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*\S{6,})|(?i:\bbearer\s+\S{16,})"
)
"""A superset of what validation's ``no-plaintext-secrets`` flags: such files are never cached on disk."""


def _may_hold_credentials(item: tuple[str, str, str]) -> bool:
    return CREDENTIAL_LIKE.search(item[2]) is not None


def load_bundle(path: str, ref: str | None = None, source: Source | None = None) -> Bundle:
    """Read every apictl manifest under ``path`` and the definitions they reference.

    Problems with individual files become diagnostics in ``Bundle.problems``; only an unreadable
    root (missing directory, unknown revision) raises SourceError.
    """
    source = source or open_source(path, ref)
    problems: list[Diagnostic] = []
    config = _load_config(source, problems)
    documents: list[Document] = []
    rejected: set[tuple[str, str]] = set()
    manifest_files: list[tuple[str, str, str]] = []
    for file in source.yaml_files():
        if file == CONFIG_FILE:
            continue
        shown = source.display(file)
        try:
            text = _read_text(source, file)
        except SourceError as exc:
            problems.append(_source_problem(exc, SourceLocation(shown)))
            continue
        if MANIFEST_MARKER in text:  # otherwise not an apictl file (an OpenAPI document, Helm values, ...)
            manifest_files.append((file, shown, text))
    keys = [result_cache.key("manifest", shown, text) for _, shown, text in manifest_files]
    for found_documents, found_problems, found_rejected in result_cache.cached_map(
        "manifest", _parse_manifest_file, manifest_files, keys, _on_all_cores, _may_hold_credentials
    ):
        documents += found_documents
        problems += found_problems
        rejected |= found_rejected

    definitions: dict[str, Definition] = {}
    definition_of: dict[tuple[str, str], str] = {}
    wanted: dict[str, SourceLocation] = {}
    for doc in documents:
        if not isinstance(doc.manifest, API):
            continue
        where = doc.locate("spec", "definition")
        try:
            def_path = join_inside(doc.path, doc.manifest.spec.definition)
        except SourceError as exc:
            problems.append(_source_problem(exc, where))
            continue
        definition_of[(doc.name, doc.manifest.spec.version)] = def_path
        wanted.setdefault(def_path, where)
    requests = sorted(wanted.items())
    texts = [_read_for_definition(source, path, where) for path, where in requests]
    readable = [t for t in texts if t[3] is None]
    keys = [result_cache.key("definition", shown, text) for _, text, shown, _ in readable]
    parsed = [(None, problem) for _, _, _, problem in texts if problem is not None]
    parsed += result_cache.cached_map("definition", _parse_definition, readable, keys, _on_all_cores)
    for definition, problem in parsed:
        if definition is not None:
            definitions[definition.path] = definition
        if problem is not None:
            problems.append(problem)
    from apictl.load.git_history import last_commits

    return Bundle(
        root=source.root,
        revision=source.revision,
        documents=tuple(documents),
        definitions=definitions,
        config=config,
        problems=tuple(problems),
        definition_of=definition_of,
        rejected=frozenset(rejected),
        file_commits=last_commits(path, ref),
    )
