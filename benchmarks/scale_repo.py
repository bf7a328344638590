"""Generate the scale repository: 1,000 REST APIs × 20 operations, 300 applications, 5,000
subscriptions, two environments (dev, prod) on the envoy-gateway target.

Deterministic (same arguments → same bytes). Used by the diff/apply benchmark
(benchmarks/diff_apply.py) and the offline validate/render benchmark.

    python benchmarks/scale_repo.py OUT_DIR [--apis 1000] [--operations 20] [--applications 300]
                                            [--subscriptions 5000] [--namespace-prefix scale]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

RESOURCES = ["assets", "orders", "invoices", "devices", "sites", "readings", "tickets", "crews", "parts", "vendors"]
PLANS = {"gold": (100, "second"), "silver": (600, "minute"), "bronze": (60, "minute")}
ENVIRONMENTS = ("dev", "prod")
MAX_SUBSCRIPTIONS_PER_API = 16
"""Envoy Gateway takes at most 16 local rate-limit rules per policy (one per subscription)."""


def dump(path: Path, *docs: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False, width=1000), encoding="utf-8")


def definition(api: str, version: str, operations: int) -> dict:
    paths: dict = {}
    index = 0
    while index < operations:
        resource = RESOURCES[(index // 4) % len(RESOURCES)]
        collection = f"/{resource}{index // 40 or ''}"
        item = f"{collection}/{{{resource[:-1]}Id}}"
        for path, verbs in ((collection, ["get", "post"]), (item, ["get", "put", "delete"])):
            for verb in verbs:
                if index >= operations:
                    break
                op: dict = {
                    "operationId": f"{verb}{resource.title()}{index}",
                    "summary": f"{verb.upper()} {path}",
                    "responses": {"200": {"description": "OK"}, "404": {"description": "Not found"}},
                }
                if "{" in path:
                    op["parameters"] = [
                        {"name": f"{resource[:-1]}Id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ]
                if verb in ("post", "put"):
                    op["requestBody"] = {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    }
                paths.setdefault(path, {})[verb] = op
                index += 1
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{api} API", "version": version, "description": f"The {api} API."},
        "paths": paths,
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "count": {"type": "integer"}},
                }
            }
        },
    }


def generate(
    out: Path,
    *,
    apis: int = 1000,
    operations: int = 20,
    applications: int = 300,
    subscriptions: int = 5000,
    namespace_prefix: str = "scale",
) -> Path:
    rng = random.Random(20260601)
    for generated in ("apis", "applications", "definitions", "environments", "plans", "subscriptions"):
        shutil.rmtree(out / generated, ignore_errors=True)  # a smaller run must not inherit files
    out.mkdir(parents=True, exist_ok=True)
    (out / "apictl.yaml").write_text(
        "rules:\n  owner-required: error\n  semantic-version: error\n  operation-id-required: error\nunsupported: error\n"
    )
    for env in ENVIRONMENTS:
        dump(
            out / "environments" / f"{env}.yaml",
            {
                "apiVersion": "apictl.io/v1alpha1",
                "kind": "Environment",
                "metadata": {"name": env},
                "spec": {
                    "namespace": f"{namespace_prefix}-{env}",
                    "hostnames": [f"api.{env}.scale.example"],
                    "gateway": {
                        "target": "envoy-gateway",
                        "gatewayRef": {"name": "eg", "namespace": "infra", "sectionName": "https"},
                    },
                },
            },
        )
    for plan, (requests, per) in PLANS.items():
        dump(
            out / "plans" / f"{plan}.yaml",
            {
                "apiVersion": "apictl.io/v1alpha1",
                "kind": "Plan",
                "metadata": {"name": plan},
                "spec": {"description": f"The {plan} plan.", "rateLimit": {"requests": requests, "per": per}},
            },
        )
    names = [f"api-{i:04d}" for i in range(apis)]
    for i, name in enumerate(names):
        version = f"{1 + i % 3}.{i % 7}.0"
        dump(out / "definitions" / f"{name}.openapi.yaml", definition(name, version, operations))
        spec: dict = {
            "version": version,
            "owner": f"team-{i % 40:02d}",
            "description": f"Generated API number {i}.",
            "type": "rest",
            "definition": f"../definitions/{name}.openapi.yaml",
            "basePath": f"/{name}",
            "backend": {"service": {"name": f"{name}-svc", "port": 8080}},
            "security": {"type": "apiKey", "header": "x-api-key"},
            "plans": list(PLANS),
            "environments": list(ENVIRONMENTS),
        }
        dump(
            out / "apis" / f"{name}.yaml",
            {"apiVersion": "apictl.io/v1alpha1", "kind": "API", "metadata": {"name": name}, "spec": spec},
        )
    apps = [f"app-{i:03d}" for i in range(applications)]
    for app in apps:
        dump(
            out / "applications" / f"{app}.yaml",
            {
                "apiVersion": "apictl.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": app},
                "spec": {
                    "owner": f"Partner {app}",
                    "description": f"Generated application {app}.",
                    "credentials": {env: {"name": f"{app}-credentials"} for env in ENVIRONMENTS},
                },
            },
        )
    pairs: set[tuple[int, int]] = set()
    per_api = [0] * apis
    while len(pairs) < min(subscriptions, apis * MAX_SUBSCRIPTIONS_PER_API, apis * applications):
        app, api = rng.randrange(applications), rng.randrange(apis)
        if (app, api) not in pairs and per_api[api] < MAX_SUBSCRIPTIONS_PER_API:
            pairs.add((app, api))
            per_api[api] += 1
    by_app: dict[int, list[int]] = {}
    for app, api in sorted(pairs):
        by_app.setdefault(app, []).append(api)
    for app, api_indexes in by_app.items():
        docs = []
        for api in api_indexes:
            version = f"{1 + api % 3}.{api % 7}.0"
            docs.append(
                {
                    "apiVersion": "apictl.io/v1alpha1",
                    "kind": "Subscription",
                    "metadata": {"name": f"{apps[app]}-{names[api]}"},
                    "spec": {
                        "application": apps[app],
                        "api": {"name": names[api], "version": version},
                        "plan": list(PLANS)[(app + api) % len(PLANS)],
                        "environments": list(ENVIRONMENTS),
                    },
                }
            )
        dump(out / "subscriptions" / f"{apps[app]}.yaml", *docs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--apis", type=int, default=1000)
    parser.add_argument("--operations", type=int, default=20)
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--namespace-prefix", default="scale")
    args = parser.parse_args()
    generate(
        args.out,
        apis=args.apis,
        operations=args.operations,
        applications=args.applications,
        subscriptions=args.subscriptions,
        namespace_prefix=args.namespace_prefix,
    )
    print(args.out)


if __name__ == "__main__":
    main()
