"""Render helpers for the broker target tests: one environment's broker objects, golden files,
AMQP topic matching, and server-side dry-run apply against the real CRDs."""

from __future__ import annotations

import copy
import importlib
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apictl.load.bundle_loader import load_bundle
from apictl.model.diagnostics import Diagnostic, Severity, sorted_diagnostics
from apictl.model.objects import RenderedObject, split_api_version
from apictl.render import RenderResult, render_environment
from apictl.render.serialize import to_yaml
from apictl.render.target import RenderContext

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
EXAMPLE = REPO / "examples" / "assetco"
CASES = TESTS / "cases" / "brokers"
GOLDEN = TESTS / "golden"
RFC1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def copy_repo(source: Path, tmp_path: Path, name: str = "repo") -> Path:
    """A throw-away copy (outside git, so no source-commit annotations)."""
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def edit(repo: Path, file: str, old: str, new: str) -> Path:
    path = repo / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def render(repo: Path, env: str, target: str) -> tuple[list[RenderedObject], list[Diagnostic]]:
    """What one broker target renders for ``env``: objects (in render order) and its diagnostics.

    Calls the target directly, exactly as render_environment does, so that these tests do not
    depend on the state of the other targets; ``render_all`` is the full path.
    """
    module = importlib.import_module(f"apictl.render.targets.{target}")
    bundle = load_bundle(str(repo))
    environment, doc = next((e, d) for e, d in bundle.environments() if e.metadata.name == env)
    ctx = RenderContext(bundle, environment, doc, module.TARGET.name)
    module.TARGET.render(ctx)
    objects = sorted(ctx.objects, key=lambda o: (o.key.group, o.key.kind, o.key.namespace, o.key.name))
    return objects, sorted_diagnostics(ctx.diagnostics)


def render_all(repo: Path, env: str) -> RenderResult:
    return render_environment(load_bundle(str(repo)), env)


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diagnostics)


def check_golden(objects: list[RenderedObject], golden: Path) -> None:
    """Compare with (or, with APICTL_UPDATE_GOLDEN=1, rewrite) a golden YAML stream."""
    text = to_yaml(objects)
    if os.environ.get("APICTL_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with APICTL_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), f"rendered objects differ from {golden.name}"


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """RabbitMQ topic exchange matching: `*` is exactly one word, `#` zero or more."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[i:]) for i in range(len(words) + 1))
        return bool(words) and (head == "*" or head == words[0]) and match(rest, words[1:])

    return match(binding_key.split("."), routing_key.split("."))


# --- server-side dry-run --------------------------------------------------------------------------

_PLURALS: dict[tuple[str, str, str], str] = {}


def plural(api_client: Any, group: str, version: str, kind: str) -> str:
    key = (group, version, kind)
    if key not in _PLURALS:
        from kubernetes import client

        resources = client.CustomObjectsApi(api_client).get_api_resources(group, version).resources
        found = next((r.name for r in resources if r.kind == kind and "/" not in r.name), None)
        assert found, f"the control plane serves no {kind} in {group}/{version}: is its CRD installed?"
        _PLURALS[key] = found
    return _PLURALS[key]


def dry_run_apply(api_client: Any, namespace: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Server-side apply (dry run, strict field validation) of ``body`` moved to ``namespace``."""
    import json

    from kubernetes import client

    moved = copy.deepcopy(dict(body))
    moved["metadata"]["namespace"] = namespace
    group, version = split_api_version(moved["apiVersion"])
    response = client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        group,
        version,
        namespace,
        plural(api_client, group, version, moved["kind"]),
        moved["metadata"]["name"],
        moved,
        dry_run="All",
        field_manager="apictl",
        field_validation="Strict",
        _content_type="application/apply-patch+yaml",
        _preload_content=False,  # a 201 (created) answer is not deserialised by the client
    )
    return json.loads(response.data)
