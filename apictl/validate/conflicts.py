"""Conflicts: duplicate names, and two APIs served on the same host and base path."""

from __future__ import annotations

from apictl.model.bundle import Bundle, Document
from apictl.model.diagnostics import Diagnostic, error
from apictl.model.manifests import API, Environment


def _identity(doc: Document) -> tuple[str, ...]:
    if isinstance(doc.manifest, API):
        return (doc.kind, doc.name, doc.manifest.spec.version)
    return (doc.kind, doc.name)


def effective_hostnames(api: API, env: Environment) -> list[str]:
    override = env.spec.overrides.apis.get(api.metadata.name)
    if override is not None and override.hostnames is not None:
        return list(override.hostnames)
    return list(api.spec.hostnames or env.spec.hostnames)


def check(bundle: Bundle) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    first: dict[tuple[str, ...], Document] = {}
    for doc in bundle.documents:
        identity = _identity(doc)
        if identity in first:
            what = f"{doc.kind} {doc.name!r}" + (f" version {identity[2]}" if len(identity) == 3 else "")
            found.append(
                error(
                    "duplicate-name",
                    f"{what} is defined twice (first at {first[identity].location})",
                    doc.locate("metadata", "name"),
                    "rename one of them or delete the duplicate",
                )
            )
        else:
            first[identity] = doc
    envs = {env.metadata.name: env for env, _ in bundle.environments()}
    for env_name, env in sorted(envs.items()):
        routes: dict[tuple[str, str], tuple[API, Document]] = {}
        for api, doc in bundle.apis():
            if api.spec.type != "rest" or env_name not in api.spec.environments or api.spec.base_path is None:
                continue
            if api.spec.lifecycle.state == "draft":
                continue
            for host in effective_hostnames(api, env) or ["*"]:
                key = (host, api.spec.base_path.rstrip("/") or "/")
                if key in routes:
                    other, other_doc = routes[key]
                    found.append(
                        error(
                            "route-conflict",
                            f"APIs {other.metadata.name!r} ({other.spec.version}) and {api.metadata.name!r} "
                            f"({api.spec.version}) both serve {host}{key[1]} in environment {env_name!r}",
                            doc.locate("spec", "basePath"),
                            f"give one of them another basePath (e.g. add the major version); first at {other_doc.location}",
                        )
                    )
                else:
                    routes[key] = (api, doc)
    return found
