"""Hostile and broken input, systematically: every case asserts the exit code, the diagnostic (or
message) and where it points. A sample also runs `apictl apply` against the real control plane and
proves nothing was written to the cluster.

Cases are generated per manifest kind and field, per definition format, for apictl.yaml, for YAML
attacks, paths, command-line flags and git states; ``test_at_least_200_cases`` keeps the count honest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from apictl_cli import REPO, copy_example, line_of, run, run_process
from git_repo import example_repository, git, shallow_clone

INVALID, USAGE = 3, 2
Mutation = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    code: str  # diagnostic code expected in `validate -o json`
    file: str | None  # repository-relative file it must point at (None: any)
    needle: str | None  # the line it points at contains this (None: any line >= 1)
    within_block: bool = False  # the line may also be anywhere inside the block that `needle` opens


def write(file: str, text: str | bytes) -> Mutation:
    def mutate(repo: Path) -> None:
        path = repo / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return mutate


def edit(file: str, old: str, new: str) -> Mutation:
    def mutate(repo: Path) -> None:
        path = repo / file
        text = path.read_text()
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1))

    return mutate


def manifest(kind: str, name: str, spec: dict) -> str:
    return yaml.safe_dump(
        {"apiVersion": "apictl.io/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}, sort_keys=False
    )


# --- 1. every kind: missing required fields, unknown fields, wrong types ---------------------------

VALID = {
    "API": {
        "version": "1.0.0",
        "owner": "t",
        "type": "rest",
        "definition": "../definitions/assets.openapi.yaml",
        "basePath": "/x",
        "backend": {"service": {"name": "s", "port": 80}},
        "security": {"type": "none"},
        "environments": ["dev"],
    },
    "Application": {"owner": "o", "credentials": {"dev": {"name": "s"}}},
    "Subscription": {
        "application": "swift-repair",
        "api": {"name": "assets", "version": "1.2.0"},
        "plan": "gold",
        "environments": ["dev"],
    },
    "Plan": {"rateLimit": {"requests": 1, "per": "second"}},
    "Policy": {"timeouts": {"request": "1s"}},
    "Environment": {"namespace": "x"},
}
REQUIRED = {
    "API": ["version", "type", "definition", "environments"],
    "Subscription": ["application", "api", "plan", "environments"],
    "Environment": ["namespace"],
}
WRONG_TYPES = {
    "API": [
        ("version", ["1"]),
        ("type", "soap"),
        ("environments", "dev"),
        ("basePath", "no-slash"),
        ("hostnames", ["UPPER.example"]),
        ("backend", {"service": {"name": "s", "port": 70000}}),
        ("lifecycle", {"state": "gone"}),
        ("lifecycle", {"state": "deprecated", "sunset": "tomorrow"}),
        ("plans", ["Gold"]),
        ("tags", "a,b"),
        ("owner", {"team": "x"}),
        ("operations", {"getAsset": {"policies": "cors"}}),
        ("publishers", [1]),
        ("backend", {"url": "ftp://x"}),
    ],
    "Application": [
        ("credentials", {"dev": "secret-value"}),
        ("credentials", {"dev": {"name": "UPPER"}}),
        ("owner", ["a"]),
    ],
    "Subscription": [
        ("api", {"name": "assets", "version": 1}),
        ("qos", "at-least-once"),
        ("restrictions", {"region_id": []}),
        ("restrictions", {"region_id": "R1"}),
        ("environments", []),
    ],
    "Plan": [
        ("rateLimit", {"requests": 0, "per": "second"}),
        ("rateLimit", {"requests": 5, "per": "fortnight"}),
        ("quota", {"requests": -1, "per": "day"}),
        ("events", {"queue": {}}),
        ("events", {"messageTtl": "forever"}),
        ("events", {"maxConnections": "many"}),
    ],
    "Policy": [
        ("cors", {"allowOrigins": []}),
        ("cors", {"allowOrigins": ["*"], "allowMethods": ["FETCH"]}),
        ("retries", {"attempts": 0}),
        ("retries", {"attempts": 2, "onStatus": [200]}),
        ("ipFilter", {"allow": ["300.0.0.0/8"]}),
        ("headers", {"request": {"add": {"bad header": "x"}}}),
        ("timeouts", {"request": "1.5s"}),
        ("circuitBreaker", {"maxConnections": 0}),
    ],
    "Environment": [
        ("namespace", "UPPER"),
        ("gateway", {"target": "", "gatewayRef": {"name": "eg"}}),
        ("broker", {"target": "rabbitmq", "clusterRef": {"name": "Events"}}),
        ("gateway", {"target": "envoy-gateway", "gatewayRef": {"name": "eg"}, "rateLimit": "cluster"}),
        ("hostnames", ["-bad-.example"]),
        ("kubeContext", ["a"]),
    ],
}

KIND_CASES: list[Case] = []
for kind, spec in VALID.items():
    file = f"zz/{kind.lower()}.yaml"
    for field in REQUIRED.get(kind, []):
        KIND_CASES.append(
            Case(
                f"{kind}-missing-{field}",
                write(file, manifest(kind, "zz", {k: v for k, v in spec.items() if k != field})),
                "schema-missing-field",
                file,
                "spec:",
            )
        )
    KIND_CASES.append(
        Case(
            f"{kind}-unknown-field",
            write(file, manifest(kind, "zz", {**spec, "colour": "blue"})),
            "schema-unknown-field",
            file,
            "colour:",
        )
    )
    KIND_CASES.append(
        Case(
            f"{kind}-bad-name", write(file, manifest(kind, "Bad_Name", spec)), "schema-invalid-value", file, "Bad_Name"
        )
    )
    KIND_CASES.append(
        Case(
            f"{kind}-spec-not-mapping",
            write(file, manifest(kind, "zz", spec).replace("spec:", "spec: 42\nx:")),
            "schema-unknown-field",
            file,
            None,
        )
    )
    for i, (field, value) in enumerate(WRONG_TYPES.get(kind, [])):
        KIND_CASES.append(
            Case(
                f"{kind}-wrong-{field}-{i}",
                write(file, manifest(kind, "zz", {**spec, field: value})),
                "schema-invalid-value",
                file,
                f"  {field}:",
                within_block=True,
            )
        )

# the missing-subfield variants: reported as missing, at the mapping that lacks them
MISSING_SUBFIELDS = {
    "API": [("security", {"type": "jwt"}), ("backend", {"service": {"name": "s"}}), ("backend", {})],
    "Subscription": [("api", {"name": "assets"})],
    "Environment": [("gateway", {"target": "envoy-gateway"}), ("broker", {"target": "rabbitmq"})],
    "Plan": [("rateLimit", {"requests": 5}), ("quota", {"per": "day"})],
    "Policy": [("retries", {"onStatus": [503]})],
}
for kind, variants in MISSING_SUBFIELDS.items():
    file = f"zz/{kind.lower()}.yaml"
    for i, (field, value) in enumerate(variants):
        value = {k: v for k, v in value.items() if v is not None}
        KIND_CASES.append(
            Case(
                f"{kind}-incomplete-{field}-{i}",
                write(file, manifest(kind, "zz", {**VALID[kind], field: value})),
                "schema-missing-field" if value else "schema-invalid-value",
                file,
                f"  {field}:",
                within_block=True,
            )
        )

# --- 2. definitions ------------------------------------------------------------------------------

ASSETS_DEF = "definitions/assets.openapi.yaml"
EVENTS_DEF = "definitions/asset-events.asyncapi.yaml"
DEFINITION_CASES = [
    Case(
        "openapi-not-a-mapping", write(ASSETS_DEF, "- just\n- a list\n"), "definition-not-a-document", ASSETS_DEF, None
    ),
    Case(
        "openapi-two-documents",
        write(ASSETS_DEF, "openapi: 3.0.3\n---\nopenapi: 3.0.3\n"),
        "definition-not-a-document",
        ASSETS_DEF,
        None,
    ),
    Case("openapi-empty-file", write(ASSETS_DEF, ""), "definition-not-a-document", ASSETS_DEF, None),
    Case(
        "openapi-missing-version",
        edit(ASSETS_DEF, "openapi: 3.0.3\n", ""),
        "api-definition-mismatch",
        "apis/assets.yaml",
        "definition:",
    ),
    Case(
        "openapi-version-2",
        edit(ASSETS_DEF, "openapi: 3.0.3", "openapi: 2.0.0"),
        "openapi-unsupported-version",
        ASSETS_DEF,
        "openapi:",
    ),
    Case(
        "openapi-external-ref",
        edit(ASSETS_DEF, '"#/components/schemas/Asset"}\n        "404"', '"other.yaml#/Asset"}\n        "404"'),
        "definition-external-ref",
        ASSETS_DEF,
        "other.yaml",
    ),
    Case(
        "openapi-ref-into-nothing",
        edit(ASSETS_DEF, 'items: {$ref: "#/components/schemas/Asset"}', 'items: {$ref: "#/nope/x"}'),
        "definition-unresolved-ref",
        ASSETS_DEF,
        "#/nope/x",
    ),
    Case("openapi-bad-status", edit(ASSETS_DEF, '"404":', '"4044":'), "openapi-invalid", ASSETS_DEF, None),
    Case(
        "openapi-info-not-object",
        edit(ASSETS_DEF, "info:\n  title: AssetCo Assets API", "info: 5\nx:\n  title: AssetCo Assets API"),
        "openapi-invalid",
        ASSETS_DEF,
        None,
    ),
    Case(
        "openapi-duplicate-operation-id",
        edit(ASSETS_DEF, "operationId: getAsset", "operationId: listAssets"),
        "openapi-invalid",
        ASSETS_DEF,
        None,
    ),
    Case(
        "openapi-undeclared-path-param",
        edit(ASSETS_DEF, "- {name: assetId, in: path, required: true, schema: {type: string}}", "[]"),
        "openapi-invalid",
        ASSETS_DEF,
        None,
    ),
    Case(
        "openapi-duplicate-key",
        edit(ASSETS_DEF, "  version: 1.2.0\n", "  version: 1.2.0\n  version: 1.2.1\n"),
        "yaml-duplicate-key",
        ASSETS_DEF,
        "version: 1.2.1",
    ),
    Case("openapi-syntax", edit(ASSETS_DEF, "paths:\n", "paths: [\n"), "yaml-syntax", ASSETS_DEF, None),
    Case("openapi-binary", write(ASSETS_DEF, b"\x00\x01openapi"), "file-binary", "apis/assets.yaml", None),
    Case(
        "openapi-latin1",
        write(ASSETS_DEF, b"openapi: 3.0.3\ninfo: {title: caf\xe9}\n"),
        "file-not-utf8",
        "apis/assets.yaml",
        None,
    ),
    Case(
        "asyncapi-version-1",
        edit(EVENTS_DEF, "asyncapi: 3.0.0", "asyncapi: 1.2.0"),
        "asyncapi-unsupported-version",
        EVENTS_DEF,
        "asyncapi:",
    ),
    Case(
        "asyncapi-unused-param",
        edit(EVENTS_DEF, "      asset_id:\n", "      unused_param: {}\n      asset_id:\n"),
        "asyncapi-parameter-unused",
        EVENTS_DEF,
        "unused_param",
    ),
    Case(
        "asyncapi-unbalanced-braces",
        edit(EVENTS_DEF, "{event_type}", "{event_type"),
        "asyncapi-parameter-unused",
        EVENTS_DEF,
        None,
    ),
    Case(
        "asyncapi-operation-without-channel",
        edit(
            EVENTS_DEF,
            '    channel: {$ref: "#/channels/assetEvents"}\n    messages:\n      - $ref: "#/channels/assetEvents/messages/assetEvent"\n  receiveAssetEvent',
            '    messages:\n      - $ref: "#/channels/assetEvents/messages/assetEvent"\n  receiveAssetEvent',
        ),
        "asyncapi-operation-no-channel",
        EVENTS_DEF,
        "publishAssetEvent:",
    ),
    Case(
        "asyncapi-dangling-ref",
        edit(EVENTS_DEF, '$ref: "#/components/messages/AssetEvent"', '$ref: "#/components/messages/Gone"'),
        "definition-unresolved-ref",
        EVENTS_DEF,
        "Gone",
    ),
    Case(
        "asyncapi-schema-violation",
        edit(EVENTS_DEF, "protocol: mqtt", "protocol: 42"),
        "asyncapi-invalid",
        EVENTS_DEF,
        None,
    ),
    Case(
        "asyncapi-unsafe-enum-space",
        edit(EVENTS_DEF, "enum: [pump, valve, compressor]", "enum: [pump, 'big valve', compressor]"),
        "asyncapi-parameter-value-unsafe",
        EVENTS_DEF,
        "asset_type:",
    ),
    Case(
        "asyncapi-unsafe-enum-plus",
        edit(EVENTS_DEF, "enum: [alarm, fault, maintenance]", "enum: [alarm, 'fault+', maintenance]"),
        "asyncapi-parameter-value-unsafe",
        EVENTS_DEF,
        "event_type:",
    ),
]

# --- 3. apictl.yaml -----------------------------------------------------------------------------

CONFIG_CASES = [
    Case("config-syntax", write("apictl.yaml", "rules: [\n"), "yaml-syntax", "apictl.yaml", None),
    Case(
        "config-rules-list",
        write("apictl.yaml", "rules: [owner-required]\n"),
        "config-invalid",
        "apictl.yaml",
        "rules:",
    ),
    Case(
        "config-level-number",
        write("apictl.yaml", "rules:\n  owner-required: 1\n"),
        "config-invalid",
        "apictl.yaml",
        "owner-required",
    ),
    Case(
        "config-unsupported-level",
        write("apictl.yaml", "unsupported: off\n"),
        "config-invalid",
        "apictl.yaml",
        "unsupported",
    ),
    Case("config-unknown-key", write("apictl.yaml", "rulez: {}\n"), "config-invalid", "apictl.yaml", "rulez"),
    Case(
        "config-unknown-rule",
        write("apictl.yaml", "rules:\n  owner: error\n"),
        "config-invalid",
        "apictl.yaml",
        "owner:",
    ),
    Case("config-binary", write("apictl.yaml", b"\x00\x00"), "file-binary", "apictl.yaml", None),
    Case(
        "config-duplicate-key",
        write("apictl.yaml", "rules: {}\nrules: {}\n"),
        "yaml-duplicate-key",
        "apictl.yaml",
        None,
    ),
    Case(
        "config-bomb",
        write(
            "apictl.yaml",
            "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
            + "".join(f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
        ),
        "yaml-alias-bomb",
        "apictl.yaml",
        None,
    ),
]

# --- 4. YAML attacks and odd files in the manifest tree -------------------------------------------

BOMB = "# apictl.io/\na: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
YAML_CASES = [
    Case("bomb", write("x/bomb.yaml", BOMB), "yaml-alias-bomb", "x/bomb.yaml", None),
    Case(
        "bomb-in-manifest",
        write("x/bomb2.yaml", "apiVersion: apictl.io/v1alpha1\n" + BOMB[13:]),
        "yaml-alias-bomb",
        "x/bomb2.yaml",
        None,
    ),
    Case("recursive", write("x/rec.yaml", "# apictl.io/\nx: &x {y: *x}\n"), "yaml-recursive-alias", "x/rec.yaml", None),
    Case(
        "deep-flow",
        write("x/deep.yaml", "# apictl.io/\nx: " + "[" * 5000 + "]" * 5000),
        "yaml-syntax",
        "x/deep.yaml",
        None,
    ),
    Case(
        "deep-block",
        write("x/deepb.yaml", "# apictl.io/\n" + "".join(" " * i + "a:\n" for i in range(400)) + " " * 400 + "b: 1\n"),
        "yaml-too-deep",
        "x/deepb.yaml",
        None,
    ),
    Case(
        "tab-indent",
        write("x/tab.yaml", "apiVersion: apictl.io/v1alpha1\nkind: Plan\n\tmetadata: {name: t}\n"),
        "yaml-syntax",
        "x/tab.yaml",
        None,
    ),
    Case(
        "unclosed-quote",
        write("x/q.yaml", "apiVersion: 'apictl.io/v1alpha1\nkind: Plan\n"),
        "yaml-syntax",
        "x/q.yaml",
        None,
    ),
    Case(
        "bad-anchor",
        write("x/anc.yaml", "apiVersion: apictl.io/v1alpha1\nkind: *nope\n"),
        "yaml-syntax",
        "x/anc.yaml",
        None,
    ),
    Case("null-byte", write("x/nul.yaml", b"apiVersion: apictl.io/v1alpha1\x00\n"), "file-binary", "x/nul.yaml", None),
    Case(
        "utf16",
        write("x/u16.yaml", "apiVersion: apictl.io/v1alpha1\n".encode("utf-16")),
        "file-binary",
        "x/u16.yaml",
        None,
    ),
    Case(
        "bad-utf8-late",
        write(
            "x/late.yaml",
            b"apiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata: {name: a}\nspec: {description: \xff}\n",
        ),
        "file-not-utf8",
        "x/late.yaml",
        None,
    ),
    Case(
        "huge",
        lambda repo: (
            (repo / "x").mkdir()
            or (repo / "x" / "huge.yaml").write_bytes(b"# apictl.io/\n" + b"#" * (33 * 1024 * 1024))
        ),
        "file-too-large",
        "x/huge.yaml",
        None,
    ),
    Case(
        "second-doc-broken",
        write(
            "x/multi.yaml",
            manifest("Plan", "ok", {}) + "---\napiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata: {name: [}\n",
        ),
        "yaml-syntax",
        "x/multi.yaml",
        None,
    ),
    Case(
        "kind-missing",
        write("x/nokind.yaml", "apiVersion: apictl.io/v1alpha1\nmetadata: {name: a}\n"),
        "schema-unknown-kind",
        "x/nokind.yaml",
        None,
    ),
    Case(
        "metadata-missing",
        write("x/nometa.yaml", "apiVersion: apictl.io/v1alpha1\nkind: Plan\nspec: {}\n"),
        "schema-missing-field",
        "x/nometa.yaml",
        None,
    ),
    Case(
        "api-version-number",
        write("x/av.yaml", "apiVersion: apictl.io/1\nkind: Plan\nmetadata: {name: a}\n"),
        "schema-unsupported-api-version",
        "x/av.yaml",
        "apiVersion",
    ),
    Case(
        "merge-key-unknown",
        write(
            "x/merge.yaml",
            "apiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata: {name: m}\nbase: &b {colour: 1}\nspec:\n  <<: *b\n",
        ),
        "schema-unknown-field",
        "x/merge.yaml",
        None,
    ),
    Case(
        "explicit-tag",
        write("x/tag.yaml", "apiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata: {name: !!float 1}\nspec: {}\n"),
        "schema-invalid-value",
        "x/tag.yaml",
        None,
    ),
    Case(
        "python-tag",
        write("x/py.yaml", "apiVersion: apictl.io/v1alpha1\nkind: !!python/object:os.system Plan\n"),
        "yaml-syntax",
        "x/py.yaml",
        None,
    ),
    Case(
        "date-as-version",
        write(
            "zz/d.yaml",
            manifest("API", "d", {**VALID["API"], "version": None}).replace("version: null", "version: 2024-01-01"),
        ),
        "semantic-version",
        "zz/d.yaml",
        "version:",
    ),
    Case(
        "float-version",
        write("zz/f.yaml", manifest("API", "f", VALID["API"]).replace("version: 1.0.0", "version: 1.0")),
        "schema-invalid-value",
        "zz/f.yaml",
        "version:",
    ),
    Case(
        "yes-as-name",
        write("zz/y.yaml", manifest("Plan", "p", {}).replace("name: p", "name: yes")),
        "schema-invalid-value",
        "zz/y.yaml",
        "name:",
    ),
]


# --- 5. paths and links ----------------------------------------------------------------------------


def _link(target: str, name: str = ASSETS_DEF) -> Mutation:
    def mutate(repo: Path) -> None:
        (repo / name).unlink()
        os.symlink(target, repo / name)

    return mutate


def _api_definition(path: str) -> Mutation:
    return edit("apis/assets.yaml", "../definitions/assets.openapi.yaml", path)


def _link_manifest_outside(repo: Path) -> None:
    (repo.parent / "out.yaml").write_text(manifest("Plan", "leak", {}))
    os.symlink(repo.parent / "out.yaml", repo / "plans" / "linked.yaml")


PATH_CASES = [
    Case(
        "path-dotdot",
        _api_definition("../../../etc/passwd"),
        "path-outside-repository",
        "apis/assets.yaml",
        "definition:",
    ),
    Case(
        "path-absolute", _api_definition("/etc/hostname"), "path-outside-repository", "apis/assets.yaml", "definition:"
    ),
    Case(
        "path-backslash",
        _api_definition("..\\\\..\\\\x.yaml"),
        "path-outside-repository",
        "apis/assets.yaml",
        "definition:",
    ),
    Case("path-is-directory", _api_definition("../definitions"), "file-not-found", "apis/assets.yaml", "definition:"),
    Case(
        "path-missing", _api_definition("../definitions/none.yaml"), "file-not-found", "apis/assets.yaml", "definition:"
    ),
    Case("link-outside", _link("/etc/hostname"), "path-outside-repository", "apis/assets.yaml", "definition:"),
    Case("link-dangling", _link("/nonexistent/x.yaml"), "file-not-found", "apis/assets.yaml", "definition:"),
    Case("link-loop", _link("assets.openapi.yaml"), "file-not-found", "apis/assets.yaml", "definition:"),
    Case(
        "link-dir-outside",
        lambda repo: (
            os.symlink("/etc", repo / "definitions" / "etc") or _api_definition("../definitions/etc/hostname")(repo)
        ),
        "path-outside-repository",
        "apis/assets.yaml",
        "definition:",
    ),
    Case(
        "manifest-link-outside",
        lambda repo: _link_manifest_outside(repo),
        "path-outside-repository",
        "plans/linked.yaml",
        None,
    ),
]

# --- 6. references (each kind of broken reference) --------------------------------------------------

SUBS = "subscriptions/fixit.yaml"
REFERENCE_CASES = [
    Case(f"ref-{name}", edit(file, old, new), code, file if where is None else where, needle)
    for name, file, old, new, code, where, needle in [
        (
            "sub-app",
            SUBS,
            "application: fixit-maintenance\n  api: {name: asset-events",
            "application: nobody\n  api: {name: asset-events",
            "ref-unknown-application",
            None,
            "nobody",
        ),
        (
            "sub-api",
            SUBS,
            "{name: asset-events, version",
            "{name: nothing, version",
            "ref-unknown-api",
            None,
            "nothing",
        ),
        (
            "sub-plan",
            SUBS,
            "  plan: gold\n  environments: [dev, prod]\n  restrictions",
            "  plan: platinum\n  environments: [dev, prod]\n  restrictions",
            "ref-unknown-plan",
            None,
            "platinum",
        ),
        (
            "sub-env",
            SUBS,
            "environments: [dev, prod]\n  restrictions",
            "environments: [dev, qa]\n  restrictions",
            "ref-unknown-environment",
            None,
            "environments: [dev, qa]",
        ),
        (
            "api-plan",
            "apis/assets.yaml",
            "plans: [gold, silver]",
            "plans: [gold, bronze]",
            "ref-unknown-plan",
            None,
            "plans:",
        ),
        (
            "api-publisher",
            "apis/asset-events.yaml",
            "publishers: [assetco-telemetry]",
            "publishers: [ghost]",
            "ref-unknown-application",
            None,
            "publishers:",
        ),
        (
            "op-policy",
            "apis/maintenance.yaml",
            "policies: [slow-writes]",
            "policies: [fast-writes]",
            "ref-unknown-policy",
            None,
            "fast-writes",
        ),
        (
            "override-api",
            "environments/prod.yaml",
            "    apis:\n      assets:",
            "    apis:\n      assetz:",
            "ref-unknown-api",
            None,
            "assetz:",
        ),
        (
            "override-plan",
            "environments/prod.yaml",
            "      gold:\n        rateLimit",
            "      platinum:\n        rateLimit",
            "ref-unknown-plan",
            None,
            "platinum:",
        ),
        (
            "app-credentials-env",
            "applications/fixit.yaml",
            "    prod: {name: fixit",
            "    qa: {name: fixit",
            "ref-unknown-environment",
            None,
            "qa:",
        ),
        (
            "sub-not-deployed",
            "apis/asset-events.yaml",
            "  environments: [dev, prod]",
            "  environments: [dev]",
            "subscription-environment-not-deployed",
            SUBS,
            "environments: [dev, prod]\n" and "environments: [dev, prod]",
        ),
        (
            "restriction-pattern",
            EVENTS_DEF,
            "        enum: [R1, R2, R3]",
            "        pattern: '^R[0-9]$'",
            "restriction-value-not-allowed",
            SUBS,
            None,
        ),
    ]
]
REFERENCE_CASES.append(
    Case(
        "ref-restriction-value",
        edit(SUBS, "region_id: [R1]", "region_id: [R7]"),
        "restriction-value-not-allowed",
        SUBS,
        "R7",
    )
)


def _pattern_case(repo: Path) -> None:
    edit(EVENTS_DEF, "        enum: [R1, R2, R3]", "        schema: {type: string, pattern: '^R[0-9]$'}")(repo)
    edit(SUBS, "region_id: [R1]", "region_id: [X1]")(repo)


REFERENCE_CASES[-2] = Case("ref-restriction-pattern", _pattern_case, "restriction-value-not-allowed", SUBS, "X1")

CASES = KIND_CASES + DEFINITION_CASES + CONFIG_CASES + YAML_CASES + PATH_CASES + REFERENCE_CASES


def block_end(file: Path, first: int) -> int:
    """The last line of the YAML block whose key is on line ``first``."""
    lines = file.read_text().splitlines()
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    last = first
    for number in range(first + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.strip() and len(line) - len(line.lstrip()) <= indent and not line.lstrip().startswith("- "):
            break
        last = number
    return last


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_repository(case: Case, tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    case.mutate(repo)
    result = run(capsys, "validate", str(repo), "-o", "json")
    assert result.code == INVALID, result.stderr
    found = [d for d in result.json()["diagnostics"] if d["code"] == case.code]
    assert found, [(d["code"], d["message"]) for d in result.json()["diagnostics"]]
    d = found[0]
    if case.file is not None:
        assert d["file"] == f"{repo}/{case.file}", d
    assert d["line"] >= 1 and d["column"] >= 1, d
    if case.needle is not None:
        first = line_of(Path(d["file"]), case.needle)
        last = block_end(Path(d["file"]), first) if case.within_block else first
        assert first <= d["line"] <= last, (first, last, d)
    assert d["hint"], d


# --- 7. command-line flags ---------------------------------------------------------------------------

EX = str(REPO / "examples" / "assetco")
FLAG_CASES = [
    (["validate", EX, "--output", "yaml"], "'yaml' is not one of"),
    (["validate", EX, "-o"], "requires an argument"),
    (["validate", EX, "--strict=yes"], "does not take a value"),
    (["validate", EX, EX], "unexpected extra argument"),
    (["validate", "/etc/hostname"], "is not a directory"),
    (["validate", EX, "--ref", "no-such-revision"], "revision 'no-such-revision' is not in this clone"),
    (["validate", "/", "--ref", "HEAD"], "not inside a git repository"),
    (["render", EX], "Missing option '--env'"),
    (["render", EX, "--env"], "requires an argument"),
    (["render", EX, "--env", "qa"], "environment 'qa' does not exist"),
    (["render", EX, "--env", "dev", "-o", "toml"], "'toml' is not one of"),
    (["diff", EX], "--env"),
    (["diff", EX, "--env", "dev", "-o", "html"], "'html' is not one of"),
    (["apply", EX, "--env", "dev", "--concurrency", "0"], "--concurrency"),
    (["apply", EX, "--env", "dev", "--concurrency", "lots"], "--concurrency"),
    (["apply", EX, "--env", "dev", "--request-timeout", "0"], "--request-timeout"),
    (["diff", EX, "--env", "qa"], "environment 'qa' does not exist"),
    (["plan", EX, "--env", "qa", "--out", "/tmp/x.json"], "environment 'qa' does not exist"),
    (["catalog", EX, "--env", "qa"], "qa"),
    (["breaking", EX, "--base", "no-such-rev"], "is not in this clone"),
    (["render", EX, "--env", "dev", "--ref", "no-such-rev"], "is not in this clone"),
    (["validate", "--strict", "--strict", EX, "extra"], "unexpected extra argument"),
    (["render", "--env", "dev", "--out-dir"], "requires an argument"),
    (["apply", EX, "--env", "dev", "--dry-run", "client"], "'client' is not one of"),
    (["apply", EX, "--env", "dev", "--plan", "x.json"], None),
    (["apply", EX, "--plan", "/nonexistent/plan.json"], None),
    (["plan", EX, "--env", "dev"], "--out"),
    (["breaking", EX], "--base"),
    (["breaking", EX, "--base", "HEAD", "--fail-on", "never"], "'never' is not one of"),
    (["schema", "--out-dir"], "requires an argument"),
    (["catalog", EX], "--env"),
    (["asyncapi-schemas"], None),
    (["asyncapi-schemas", "pull"], "No such command"),
    (["--no-such-global"], "No such option"),
    (["validate", "--help-me"], "No such option"),
]


@pytest.mark.parametrize(("argv", "message"), FLAG_CASES, ids=[" ".join(a[:1] + a[2:]) or a[0] for a, _ in FLAG_CASES])
def test_bad_command_lines_are_usage_errors(argv: list[str], message: str | None, capsys) -> None:
    result = run(capsys, *argv)
    assert result.code == USAGE, (result.code, result.stderr)
    assert result.stdout == ""
    if message is not None:
        assert message in result.stderr, result.stderr


# --- 8. git states ---------------------------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    origin = example_repository(tmp_path / "origin")
    (origin / "api" / "plans" / "gold.yaml").write_text(
        (origin / "api" / "plans" / "gold.yaml").read_text().replace("100", "50")
    )
    git(origin, "commit", "-qam", "two")
    return origin


GIT_CASES = {
    "shallow-without-base": (["breaking", "{api}", "--base", "HEAD~1"], USAGE, "is not in this clone"),
    "unknown-ref": (["validate", "{api}", "--ref", "v9.9.9"], USAGE, "revision 'v9.9.9' is not in this clone"),
    "path-missing-at-ref": (["validate", "{clone}/newdir", "--ref", "HEAD"], USAGE, "does not exist at revision HEAD"),
    "file-missing-at-ref": (["validate", "{api}", "--ref", "HEAD"], INVALID, "does not exist at revision"),
    "detached-head": (["validate", "{api}", "--ref", "HEAD"], 0, None),
    "dirty-tree-ignored-with-ref": (["validate", "{api}", "--ref", "HEAD"], 0, None),
    "dirty-tree-read-without-ref": (["validate", "{api}"], INVALID, "schema-unknown-kind"),
}


@pytest.mark.parametrize("name", sorted(GIT_CASES))
def test_git_states(name: str, history: Path, tmp_path: Path) -> None:
    clone = shallow_clone(history, tmp_path / "clone")
    api = clone / "api"
    if name == "path-missing-at-ref":
        (clone / "newdir").mkdir()
    if name == "file-missing-at-ref":
        apis = api / "apis" / "assets.yaml"
        apis.write_text(apis.read_text().replace("assets.openapi.yaml", "new.openapi.yaml"))
        (api / "definitions" / "new.openapi.yaml").write_text((api / "definitions" / "assets.openapi.yaml").read_text())
        git(clone, "add", "-A")
        git(clone, "commit", "-qm", "reference a file", "--no-verify")
        git(clone, "rm", "-q", "api/definitions/new.openapi.yaml")
        git(clone, "commit", "-qm", "lose it")
    if name == "detached-head":
        git(clone, "checkout", "-q", "--detach", "HEAD")
    if name.startswith("dirty"):
        plan = api / "plans" / "gold.yaml"
        plan.write_text(plan.read_text().replace("kind: Plan", "kind: Plann"))
    argv, code, message = GIT_CASES[name]
    result = run_process(*[a.format(api=api, clone=clone) for a in argv], cwd=clone)
    assert result.code == code, result.stderr
    if message is not None:
        assert message in result.stderr + result.stdout
    if code == INVALID:
        assert ".yaml:" in result.stderr  # a location is named


# --- 9. nothing reaches the cluster: invalid input through `apictl apply` against the real control plane

CLUSTER_SAMPLE = [
    c
    for c in CASES
    if c.id
    in {
        "API-unknown-field",
        "Plan-wrong-rateLimit-0",
        "openapi-ref-into-nothing",
        "bomb",
        "path-dotdot",
        "ref-sub-app",
        "config-unknown-rule",
        "asyncapi-unsafe-enum-space",
        "deep-block",
        "link-outside",
    }
]


@pytest.mark.parametrize("case", CLUSTER_SAMPLE, ids=[c.id for c in CLUSTER_SAMPLE])
def test_invalid_input_writes_nothing_to_the_cluster(case: Case, tmp_path: Path, kube, namespace: str) -> None:
    from kubernetes import client

    repo = copy_example(tmp_path)
    for env in ("dev", "prod"):
        env_file = repo / "environments" / f"{env}.yaml"
        env_file.write_text(env_file.read_text().replace(f"namespace: assetco-{env}", f"namespace: {namespace}"))
    case.mutate(repo)
    result = run_process("apply", str(repo), "--env", "dev", "--kubeconfig", kube.kubeconfig)
    assert result.code == INVALID, result.stderr
    assert result.stdout == ""
    assert f"{repo}/" in result.stderr  # the location is named
    core = client.CoreV1Api(kube.client)
    assert core.list_namespaced_config_map(namespace).items == [] or all(
        cm.metadata.name == "kube-root-ca.crt" for cm in core.list_namespaced_config_map(namespace).items
    )
    assert core.list_namespaced_secret(namespace).items == []
    routes = client.CustomObjectsApi(kube.client).list_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", namespace, "httproutes"
    )
    assert routes["items"] == []


def test_at_least_200_cases() -> None:
    total = len(CASES) + len(FLAG_CASES) + len(GIT_CASES) + len(CLUSTER_SAMPLE)
    assert len(CLUSTER_SAMPLE) == 10
    assert total >= 200, total
