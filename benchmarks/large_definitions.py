"""Generate an apictl repository of large API definitions shaped like big public APIs.

OpenAPI 2.0, 3.0 and 3.1 documents with hundreds of operations and deep `$ref`'d schemas
(1-3 MB each), plus AsyncAPI 3.0 documents with many channels, each wrapped in an API manifest.
Deterministic: the same arguments produce the same bytes.

    python benchmarks/large_definitions.py OUT_DIR [--count 28]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

RESOURCES = [
    "account",
    "invoice",
    "order",
    "shipment",
    "customer",
    "product",
    "payment",
    "refund",
    "subscription",
    "ticket",
    "asset",
    "device",
    "region",
    "report",
    "webhook",
    "user",
]


def _schema(rng: random.Random, name: str, depth: int, names: list[str], prefix: str = "#/components/schemas/") -> dict:
    props = {}
    for i in range(rng.randint(6, 12)):
        kind = rng.choice(["string", "integer", "number", "boolean", "ref", "array", "enum", "object"])
        key = f"{name.lower()}Field{i}"
        if kind == "ref" and names:
            props[key] = {"$ref": prefix + rng.choice(names)}
        elif kind == "array" and names:
            props[key] = {"type": "array", "items": {"$ref": prefix + rng.choice(names)}, "maxItems": 100}
        elif kind == "enum":
            props[key] = {"type": "string", "enum": [f"value{j}" for j in range(rng.randint(2, 6))]}
        elif kind == "object" and depth > 0:
            props[key] = _schema(rng, f"{name}Inner{i}", depth - 1, names, prefix)
        else:
            t = "string" if kind in ("ref", "array", "object") else kind
            props[key] = {"type": t, "description": f"The {key} of the {name}, as returned by the service."}
            if t == "string":
                props[key]["maxLength"] = 255
    return {"type": "object", "required": sorted(props)[:3], "properties": props, "description": f"A {name}."}


def openapi(rng: random.Random, version: str, operations: int, schemas: int) -> dict:
    v2 = version == "2.0"
    prefix = "#/definitions/" if v2 else "#/components/schemas/"
    # Layered like real APIs: leaf types, then objects made of leaves, then resources made of
    # objects (and so on, four layers): $refs go one layer down, so nesting stays shallow.
    components: dict[str, dict] = {}
    layers: list[list[str]] = [[]]
    for i in range(schemas):
        layer = min(3, i * 4 // max(1, schemas))
        while len(layers) <= layer:
            layers.append([])
        name = f"{rng.choice(RESOURCES).title()}{i}"
        components[name] = _schema(rng, name, 1, layers[layer - 1] if layer else [], prefix)
        layers[layer].append(name)
    names = [n for layer in layers[2:] for n in layer] or list(components)
    paths: dict[str, dict] = {}
    count = 0
    while count < operations:
        resource = f"{rng.choice(RESOURCES)}s{len(paths)}"
        item = f"/{resource}/{{{resource}Id}}"
        for path, methods in ((f"/{resource}", ("get", "post")), (item, ("get", "put", "patch", "delete"))):
            ops = {}
            for method in methods:
                if count >= operations:
                    break
                count += 1
                schema = {"$ref": prefix + rng.choice(names)}
                params = [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "type" if v2 else "schema": "integer" if v2 else {"type": "integer"},
                    }
                ]
                if "{" in path:
                    params.append(
                        {
                            "name": f"{resource}Id",
                            "in": "path",
                            "required": True,
                            "type" if v2 else "schema": "string" if v2 else {"type": "string"},
                        }
                    )
                op = {
                    "operationId": f"{method}{resource.title()}{'Item' if '{' in path else ''}",
                    "summary": f"{method} {path}",
                    "description": f"Operation {method.upper()} on {path}.",
                    "tags": [resource],
                    "parameters": params,
                }
                if v2:
                    op["responses"] = {
                        "200": {"description": "OK", "schema": schema},
                        "404": {"description": "Not found"},
                    }
                    if method in ("post", "put", "patch"):
                        op["parameters"].append({"name": "body", "in": "body", "required": True, "schema": schema})
                else:
                    op["responses"] = {
                        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                        "404": {"description": "Not found"},
                    }
                    if method in ("post", "put", "patch"):
                        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
                ops[method] = op
            if ops:
                paths[path] = ops
    doc: dict = {
        "info": {"title": "Generated API", "version": "1.0.0", "description": "Large generated API."},
        "paths": paths,
    }
    if v2:
        return {"swagger": "2.0", **doc, "definitions": components}
    return {"openapi": version, **doc, "components": {"schemas": components}}


def asyncapi(rng: random.Random, channels: int) -> dict:
    chans, ops = {}, {}
    for i in range(channels):
        key = f"channel{i}"
        chans[key] = {
            "address": f"{rng.choice(RESOURCES)}{i}/{{region_id}}/{{item_id}}/{{event_type}}",
            "parameters": {
                "region_id": {"enum": ["R1", "R2", "R3"]},
                "item_id": {"description": "Item."},
                "event_type": {"enum": ["created", "updated", "deleted"]},
            },
            "messages": {"event": {"payload": _schema(rng, f"Event{i}", 1, [])}},
        }
        ops[f"send{i}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Generated events", "version": "1.0.0"},
        "channels": chans,
        "operations": ops,
    }


class _PlainDumper(yaml.CSafeDumper):
    """Writes shared objects out in full, like hand-written API documents (no &anchors/*aliases)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def generate(out: Path, count: int) -> list[Path]:
    rng = random.Random(20261125)
    (out / "definitions").mkdir(parents=True, exist_ok=True)
    (out / "apis").mkdir(exist_ok=True)
    (out / "env.yaml").write_text(
        "apiVersion: apictl.io/v1alpha1\nkind: Environment\nmetadata: {name: dev}\nspec:\n  namespace: bench\n"
        "  hostnames: [api.bench.example]\n",
        encoding="utf-8",
    )
    files = []
    for i in range(count):
        kind = ["2.0", "3.0.3", "3.1.0", "async"][i % 4]
        operations = 806 if i == 1 else rng.randint(100, 300)
        if kind == "async":
            doc, api_type = asyncapi(rng, rng.randint(60, 150)), "async"
        else:
            doc, api_type = openapi(rng, kind, operations, operations // 2), "rest"
        name = f"def{i:02d}"
        path = out / "definitions" / f"{name}.yaml"
        path.write_text(yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, width=120), encoding="utf-8")
        files.append(path)
        extra = (
            ""
            if api_type == "async"
            else (
                f"  basePath: /{name}\n  backend: {{service: {{name: {name}, port: 80}}}}\n  security: {{type: none}}\n"
            )
        )
        (out / "apis" / f"{name}.yaml").write_text(
            f"apiVersion: apictl.io/v1alpha1\nkind: API\nmetadata: {{name: {name}}}\nspec:\n  version: 1.0.0\n"
            f"  owner: bench\n  type: {api_type}\n  definition: ../definitions/{name}.yaml\n{extra}"
            "  environments: [dev]\n",
            encoding="utf-8",
        )
    (out / "apictl.yaml").write_text("rules:\n  operation-id-required: error\n", encoding="utf-8")
    return files


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=28)
    args = parser.parse_args()
    written = generate(args.out, args.count)
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} definitions, {total / 1e6:.1f} MB in {args.out}")
