"""apictl catalog: Backstage catalog entities for the REST and event APIs of one environment.

Each API becomes a ``kind: API`` entity (``spec.type`` openapi or asyncapi) whose ``definition``
holds the OpenAPI/AsyncAPI document *inline*: the output is self-contained and can be registered
from anywhere (a ``$text`` reference would only resolve if Backstage could fetch the definition
file relative to where the catalog file is registered). Each subscribed application becomes a
``kind: Component`` that ``consumesApis`` the APIs it subscribes to.

Lifecycle: draft -> experimental, published -> production, deprecated -> deprecated; retired APIs
are left out (they answer 410 Gone).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import typer

from apictl.cli import options

LIFECYCLE = {"draft": "experimental", "published": "production", "deprecated": "deprecated"}
BACKSTAGE = "backstage.io/v1alpha1"


class CatalogOutput(StrEnum):
    yaml = "yaml"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("catalog")(catalog)


def catalog(
    path: str = options.PATH,
    env: str = options.ENV,
    ref: str | None = options.REF,
    system: str | None = typer.Option(
        None, "--system", help="Backstage system of the entities. Default: the repository directory's name."
    ),
    output: CatalogOutput = typer.Option(
        CatalogOutput.yaml, "--output", "-o", help="yaml (a multi-document stream) or json (a list)."
    ),
) -> None:
    """Print Backstage catalog entities (kind API, and the consuming Components) for one environment.

    An API's label `apictl.io/system` overrides --system. Nothing is printed to stdout when the
    repository is invalid (exit 3).
    """
    import json
    import os

    from apictl.cli import diagnostics_view
    from apictl.cli.console import data, human
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.loading import load_and_validate
    from apictl.model.diagnostics import Severity, has_errors
    from apictl.render import environment_names

    bundle, diagnostics = load_and_validate(path, ref)
    if has_errors(diagnostics):
        diagnostics_view.print_text([d for d in diagnostics if d.severity is Severity.ERROR])
        raise CommandError(ExitCode.INVALID, f"{bundle.root} is invalid; no catalog was written")
    if env not in environment_names(bundle):
        from apictl.load.manifest_schema import did_you_mean

        raise CommandError(
            ExitCode.USAGE,
            f"environment {env!r} does not exist in {bundle.root}",
            did_you_mean(env, environment_names(bundle)),
        )
    default_system = _entity_name(system or os.path.basename(os.path.abspath(path)) or "apis")
    entities = entities_for(bundle, env, default_system)
    if output is CatalogOutput.json:
        data(json.dumps(entities, indent=2))
    else:
        data(_yaml_stream(entities))
    apis = sum(1 for e in entities if e["kind"] == "API")
    human().print(f"[green]✓[/] {apis} APIs and {len(entities) - apis} components for environment {env!r}")


def _entity_name(text: str) -> str:
    """A valid Backstage entity name: letters, digits, '-', '_' and '.', at most 63 characters."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text.strip()).strip("-_.")
    return (name[:63].rstrip("-_.") or "unknown").lower()


def _tag(text: str) -> str:
    return re.sub(r"[^a-z0-9+#]+", "-", text.lower()).strip("-")[:63]


def entities_for(bundle: Any, env: str, default_system: str) -> list[dict[str, Any]]:
    from apictl.model.manifests import API

    environment = next(e for e, _ in bundle.environments() if e.metadata.name == env)
    apis = [
        (api, doc)
        for api, doc in bundle.apis()
        if env in api.spec.environments and api.spec.lifecycle.state in LIFECYCLE
    ]
    versions: dict[str, int] = {}
    for api, _ in apis:
        versions[api.metadata.name] = versions.get(api.metadata.name, 0) + 1
    names: dict[tuple[str, str], str] = {}
    entities: list[dict[str, Any]] = []
    for api, doc in apis:
        assert isinstance(api, API)
        name = api.metadata.name
        entity_name = name if versions[name] == 1 else _entity_name(f"{name}-{api.spec.version}")
        names[(name, api.spec.version)] = entity_name
        definition = bundle.definition_for(api)
        info = definition.data.get("info", {}) if definition is not None else {}
        metadata: dict[str, Any] = {
            "name": entity_name,
            "title": info.get("title") if isinstance(info, dict) and info.get("title") else name,
        }
        if api.spec.description:
            metadata["description"] = api.spec.description
        tags = [t for t in (_tag(tag) for tag in api.spec.tags) if t]
        if tags:
            metadata["tags"] = tags
        metadata["annotations"] = {
            "apictl.io/api": name,
            "apictl.io/version": api.spec.version,
            "apictl.io/environment": env,
            "apictl.io/manifest": doc.path,
            "apictl.io/definition": definition.path if definition is not None else "",
        }
        links = _links(api, environment)
        if links:
            metadata["links"] = links
        entities.append(
            {
                "apiVersion": BACKSTAGE,
                "kind": "API",
                "metadata": metadata,
                "spec": {
                    "type": "openapi" if api.spec.type == "rest" else "asyncapi",
                    "lifecycle": LIFECYCLE[api.spec.lifecycle.state],
                    "owner": _entity_name(api.spec.owner or "unknown"),
                    "system": _entity_name(api.metadata.labels.get("apictl.io/system", default_system)),
                    "definition": definition.text if definition is not None else "",
                },
            }
        )
    consumed: dict[str, list[str]] = {}
    for sub, _ in bundle.subscriptions():
        target = names.get((sub.spec.api.name, sub.spec.api.version))
        if target and env in sub.spec.environments:
            consumed.setdefault(sub.spec.application, [])
            if f"api:{target}" not in consumed[sub.spec.application]:
                consumed[sub.spec.application].append(f"api:{target}")
    applications = {a.metadata.name: a for a, _ in bundle.applications()}
    for app_name, refs in sorted(consumed.items()):
        app = applications.get(app_name)
        metadata = {"name": _entity_name(app_name)}
        if app is not None and app.spec.description:
            metadata["description"] = app.spec.description
        owner = (app.spec.team or app.spec.owner) if app is not None else None
        entities.append(
            {
                "apiVersion": BACKSTAGE,
                "kind": "Component",
                "metadata": metadata,
                "spec": {
                    "type": "service",
                    "lifecycle": "production",
                    "owner": _entity_name(owner or "unknown"),
                    "system": default_system,
                    "consumesApis": sorted(refs),
                },
            }
        )
    return entities


def _links(api: Any, environment: Any) -> list[dict[str, str]]:
    if api.spec.type != "rest":
        return []
    override = environment.spec.overrides.apis.get(api.metadata.name)
    hosts = (
        override.hostnames
        if override is not None and override.hostnames is not None
        else api.spec.hostnames or environment.spec.hostnames
    )
    base = (api.spec.base_path or "/").rstrip("/")
    return [{"url": f"https://{host}{base}", "title": f"{environment.metadata.name}: {host}"} for host in hosts]


def _yaml_stream(entities: list[dict[str, Any]]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return "".join(
        "---\n" + yaml.dump(entity, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120)
        for entity in entities
    )
