"""Bad input: every case asserts the exit code, the diagnostic code and its exact file:line."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from apictl_cli import copy_example, line_of, run

INVALID = 3


def edit(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(repo: Path, file: str, text: str) -> None:
    path = repo / file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], None]
    code: str
    file: str
    needle: str | None  # the expected line contains this text; None: line 1 or any line of the file
    message: str = ""


def _write(file: str, text: str) -> Callable[[Path], None]:
    return lambda repo: append(repo, file, text)


def _edit(file: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda repo: edit(repo, file, old, new)


ASSETS = "apis/assets.yaml"
EVENTS_DEF = "definitions/asset-events.asyncapi.yaml"
ASSETS_DEF = "definitions/assets.openapi.yaml"
SUBS = "subscriptions/fixit.yaml"

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


def _symlink_out(repo: Path) -> None:
    outside = repo.parent / "secret.yaml"
    outside.write_text("openapi: 3.0.3\n", encoding="utf-8")
    (repo / ASSETS_DEF).unlink()
    os.symlink(outside, repo / ASSETS_DEF)


def _binary(repo: Path) -> None:
    (repo / "apis" / "blob.yaml").write_bytes(b"apictl.io/\x00\x01\x02binary")


def _latin1(repo: Path) -> None:
    (repo / "apis" / "latin.yaml").write_bytes(
        b"apiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata:\n  name: caf\xe9\n"
    )


def _huge(repo: Path) -> None:
    with (repo / "apis" / "huge.yaml").open("w") as handle:
        handle.write("# apictl.io/\n")
        handle.write(("#" + " " * 1023 + "\n") * (33 * 1024))


CASES = [
    Case(
        "unknown-field",
        _edit(ASSETS, "service: {name", "servce: {name"),
        "schema-unknown-field",
        ASSETS,
        "servce",
        "did you mean 'service'?",
    ),
    Case(
        "unknown-top-field",
        _edit(ASSETS, "  basePath: /assets", "  basepath: /assets"),
        "schema-unknown-field",
        ASSETS,
        "basepath",
        "did you mean 'basePath'?",
    ),
    Case(
        "missing-required",
        _edit(ASSETS, "  type: rest\n", ""),
        "schema-missing-field",
        ASSETS,
        "spec:",
        "required field spec.type is missing",
    ),
    Case(
        "bad-enum",
        _edit(ASSETS, "type: rest", "type: soap"),
        "schema-invalid-value",
        ASSETS,
        "type: soap",
        "'rest' or 'async'",
    ),
    Case("bad-name", _edit(ASSETS, "name: assets", "name: Assets_API"), "schema-invalid-value", ASSETS, "Assets_API"),
    Case(
        "bad-security-type", _edit(ASSETS, "type: apiKey", "type: oauth"), "schema-invalid-value", ASSETS, "type: oauth"
    ),
    Case(
        "unknown-kind",
        _edit("plans/gold.yaml", "kind: Plan", "kind: Plans"),
        "schema-unknown-kind",
        "plans/gold.yaml",
        "kind: Plans",
        "did you mean 'Plan'?",
    ),
    Case(
        "api-version",
        _edit("plans/gold.yaml", "apictl.io/v1alpha1", "apictl.io/v2"),
        "schema-unsupported-api-version",
        "plans/gold.yaml",
        "apictl.io/v2",
    ),
    Case(
        "yaml-syntax",
        _edit(
            "plans/gold.yaml", "  rateLimit: {requests: 100, per: second}", "  rateLimit: {requests: 100, per: second"
        ),
        "yaml-syntax",
        "plans/gold.yaml",
        None,
    ),
    Case(
        "duplicate-key",
        _edit("plans/gold.yaml", "  description: Production", "  description: x\n  description: Production"),
        "yaml-duplicate-key",
        "plans/gold.yaml",
        "description: Production",
        "duplicate key 'description'",
    ),
    Case("alias-bomb", _write("apis/bomb.yaml", "# apictl.io/\n" + BOMB), "yaml-alias-bomb", "apis/bomb.yaml", "g: &g"),
    Case(
        "recursive-alias",
        _write("apis/loop.yaml", "# apictl.io/\na: &a [1, *a]\n"),
        "yaml-recursive-alias",
        "apis/loop.yaml",
        "a: &a",
    ),
    Case(
        "deep-nesting",
        _write("apis/deep.yaml", "# apictl.io/\nx: " + "[" * 2000 + "]" * 2000 + "\n"),
        "yaml-syntax",
        "apis/deep.yaml",
        None,
    ),
    Case("binary-file", _binary, "file-binary", "apis/blob.yaml", None, "binary file"),
    Case("not-utf8", _latin1, "file-not-utf8", "apis/latin.yaml", None, "line 4"),
    Case("huge-file", _huge, "file-too-large", "apis/huge.yaml", None, "at most"),
    Case(
        "definition-escape",
        _edit(ASSETS, "../definitions/assets.openapi.yaml", "../../../../etc/passwd"),
        "path-outside-repository",
        ASSETS,
        "/etc/passwd",
        "outside the repository",
    ),
    Case(
        "definition-absolute",
        _edit(ASSETS, "../definitions/assets.openapi.yaml", "/etc/passwd"),
        "path-outside-repository",
        ASSETS,
        "/etc/passwd",
    ),
    Case("definition-symlink-out", _symlink_out, "path-outside-repository", ASSETS, "definition:", "symbolic link"),
    Case(
        "definition-missing", _edit(ASSETS, "assets.openapi.yaml", "nope.yaml"), "file-not-found", ASSETS, "nope.yaml"
    ),
    Case(
        "openapi-invalid", _edit(ASSETS_DEF, "in: query", "in: body"), "openapi-invalid", ASSETS_DEF, "- name: region"
    ),
    Case(
        "openapi-dangling-ref",
        _edit(
            ASSETS_DEF, '"#/components/schemas/Asset"}\n        "404"', '"#/components/schemas/Nope"}\n        "404"'
        ),
        "definition-unresolved-ref",
        ASSETS_DEF,
        "schemas/Nope",
    ),
    Case(
        "openapi-version",
        _edit(ASSETS_DEF, "openapi: 3.0.3", "openapi: 4.0.0"),
        "openapi-unsupported-version",
        ASSETS_DEF,
        "openapi: 4.0.0",
    ),
    Case(
        "definition-mismatch",
        _edit(ASSETS, "../definitions/assets.openapi.yaml", "../definitions/asset-events.asyncapi.yaml"),
        "api-definition-mismatch",
        ASSETS,
        "asset-events.asyncapi.yaml",
    ),
    Case(
        "asyncapi-undeclared-param",
        _edit(EVENTS_DEF, "{asset_id}/{event_type}", "{asset_id}/{event_kind}/{event_type}"),
        "asyncapi-parameter-undeclared",
        EVENTS_DEF,
        "assetEvents:",
    ),
    Case(
        "asyncapi-unsafe-value",
        _edit(EVENTS_DEF, "enum: [R1, R2, R3]", "enum: [R1, R2, R.3]"),
        "asyncapi-parameter-value-unsafe",
        EVENTS_DEF,
        "      region_id:",
    ),
    Case(
        "asyncapi-schema",
        _edit(EVENTS_DEF, "action: send", "action: publish"),
        "asyncapi-invalid",
        EVENTS_DEF,
        "action: publish",
    ),
    Case(
        "unknown-application",
        _edit(
            SUBS,
            "application: fixit-maintenance\n  api: {name: asset-events",
            "application: fixit-maintenace\n  api: {name: asset-events",
        ),
        "ref-unknown-application",
        SUBS,
        "fixit-maintenace",
        "did you mean 'fixit-maintenance'?",
    ),
    Case(
        "unknown-api-version",
        _edit(SUBS, "version: 1.0.0}", "version: 9.0.0}"),
        "ref-unknown-api-version",
        SUBS,
        "9.0.0",
        "available versions: 1.0.0",
    ),
    Case(
        "unknown-api",
        _edit(SUBS, "{name: asset-events,", "{name: asset-event,"),
        "ref-unknown-api",
        SUBS,
        "asset-event,",
    ),
    Case(
        "plan-not-offered",
        _edit("apis/asset-events.yaml", "plans: [gold, silver]", "plans: [silver]"),
        "subscription-plan-not-offered",
        SUBS,
        "plan: gold",
    ),
    Case(
        "restriction-unknown-param",
        _edit(SUBS, "region_id: [R1]", "regionid: [R1]"),
        "restriction-unknown-parameter",
        SUBS,
        "regionid",
        "did you mean 'region_id'?",
    ),
    Case(
        "restriction-not-in-enum",
        _edit(SUBS, "region_id: [R1]", "region_id: [R9]"),
        "restriction-value-not-allowed",
        SUBS,
        "R9",
    ),
    Case(
        "restriction-unsafe",
        _edit(SUBS, "region_id: [R1]", "region_id: ['R1/#']"),
        "restriction-value-unsafe",
        SUBS,
        "R1/#",
    ),
    Case(
        "restriction-on-rest",
        _edit(
            SUBS,
            "  api: {name: assets, version: 1.2.0}\n  plan: gold",
            "  api: {name: assets, version: 1.2.0}\n  qos: reliable\n  plan: gold",
        ),
        "subscription-field-not-rest",
        SUBS,
        "qos: reliable",
    ),
    Case(
        "duplicate-name",
        _write(
            "plans/zz-gold-again.yaml",
            "apiVersion: apictl.io/v1alpha1\nkind: Plan\nmetadata:\n  name: gold\nspec: {}\n",
        ),
        "duplicate-name",
        "plans/zz-gold-again.yaml",
        "name: gold",
    ),
    Case(
        "route-conflict",
        _edit("apis/maintenance.yaml", "basePath: /maintenance", "basePath: /assets"),
        "route-conflict",
        None,
        "basePath: /assets",
    ),
    Case("owner-missing", _edit(ASSETS, "  owner: team-asset-registry\n", ""), "owner-required", ASSETS, "spec:"),
    Case("not-semver", _edit(ASSETS, "version: 1.2.0", "version: v1"), "semantic-version", ASSETS, "version: v1"),
    Case(
        "deprecated-no-sunset",
        _edit(ASSETS, "  plans: [gold, silver]", "  lifecycle: {state: deprecated}\n  plans: [gold, silver]"),
        "deprecated-needs-sunset",
        ASSETS,
        "lifecycle:",
    ),
    Case(
        "plaintext-secret",
        _edit(
            "policies/cors.yaml",
            "  retries: {attempts: 1, onStatus: [503]}",
            "  retries: {attempts: 1, onStatus: [503]}\n  headers:\n    request:\n      set: {Authorization: Bearer sk_live_0123456789abcdef}",
        ),
        "no-plaintext-secrets",
        "policies/cors.yaml",
        "Authorization",
    ),
    Case(
        "config-unknown-setting",
        _write("apictl.yaml", "unsuported: warning\n"),
        "config-invalid",
        "apictl.yaml",
        "unsuported",
        "did you mean 'unsupported'?",
    ),
    Case(
        "config-bad-level",
        _edit("apictl.yaml", "owner-required: error", "owner-required: fatal"),
        "config-invalid",
        "apictl.yaml",
        "fatal",
    ),
    Case(
        "config-unknown-rule",
        _edit("apictl.yaml", "owner-required: error", "owner-requird: error"),
        "config-invalid",
        "apictl.yaml",
        "owner-requird",
        "did you mean 'owner-required'?",
    ),
    Case(
        "unknown-environment",
        _edit(ASSETS, "environments: [dev, prod]", "environments: [dev, production]"),
        "ref-unknown-environment",
        ASSETS,
        "production",
    ),
    Case(
        "unknown-operation",
        _edit("apis/maintenance.yaml", "recordMaintenanceAction:", "recordMaintenance:"),
        "ref-unknown-operation",
        "apis/maintenance.yaml",
        "recordMaintenance:",
    ),
    Case(
        "unknown-policy",
        _edit(ASSETS, "policies: [cors-portal]", "policies: [cors-portl]"),
        "ref-unknown-policy",
        ASSETS,
        "cors-portl",
        "did you mean 'cors-portal'?",
    ),
    Case(
        "credentials-missing",
        _edit("applications/fixit.yaml", "    prod: {name: fixit-maintenance-credentials}\n", ""),
        "application-credentials-missing",
        SUBS,
        "environments: [dev, prod]",
    ),
    Case(
        "policy-without-rules",
        _write(
            "policies/empty.yaml",
            "apiVersion: apictl.io/v1alpha1\nkind: Policy\nmetadata:\n  name: empty\nspec:\n  description: nothing\n",
        ),
        "schema-invalid-value",
        "policies/empty.yaml",
        "spec:",
        "at least one rule",
    ),
    Case(
        "bad-cidr",
        _write(
            "policies/ip.yaml",
            "apiVersion: apictl.io/v1alpha1\nkind: Policy\nmetadata:\n  name: ip\nspec:\n  ipFilter:\n    allow: [10.0.0.300/8]\n",
        ),
        "schema-invalid-value",
        "policies/ip.yaml",
        "10.0.0.300",
        "CIDR",
    ),
    Case(
        "bad-duration",
        _edit("policies/cors.yaml", "maxAge: 10m", "maxAge: 10 minutes"),
        "schema-invalid-value",
        "policies/cors.yaml",
        "10 minutes",
        "not a duration",
    ),
    Case(
        "backend-both",
        _edit(
            ASSETS,
            "    service: {name: asset-registry, port: 8080}",
            "    service: {name: asset-registry, port: 8080}\n    url: https://assets.example",
        ),
        "schema-invalid-value",
        ASSETS,
        "backend:",
        "exactly one",
    ),
    Case(
        "unknown-target",
        _edit("environments/dev.yaml", "target: envoy-gateway", "target: envoy"),
        "target-unknown",
        "environments/dev.yaml",
        "target: envoy",
        "envoy-gateway",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_with_location(case: Case, tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    case.mutate(repo)
    result = run(capsys, "validate", str(repo), "-o", "json")
    assert result.code == INVALID, result.stderr
    found = [d for d in result.json()["diagnostics"] if d["code"] == case.code]
    assert found, f"no {case.code} in {[d['code'] for d in result.json()['diagnostics']]}"
    diagnostic = found[0]
    if case.file is not None:
        assert diagnostic["file"] == f"{repo}/{case.file}"
    file = Path(diagnostic["file"])
    if case.needle is not None:
        assert diagnostic["line"] == line_of(file, case.needle), diagnostic
    else:
        assert diagnostic["line"] >= 1
    assert diagnostic["column"] >= 1
    assert diagnostic["hint"]
    assert case.message in diagnostic["message"] + " " + diagnostic["hint"]


def test_text_output_names_file_line_and_hint(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(repo, ASSETS, "service: {name", "servce: {name")
    result = run(capsys, "validate", str(repo))
    line = line_of(repo / ASSETS, "servce")
    assert result.code == INVALID
    assert result.stdout == ""
    assert (
        f"{repo}/{ASSETS}:{line}:5: error: API 'assets': unknown field 'servce' in spec.backend [schema-unknown-field]"
        in result.stderr
    )
    assert "hint: did you mean 'service'?" in result.stderr
    assert result.stderr.rstrip().endswith("1 error, 0 warnings in 1 file")


def test_all_problems_are_collected_not_just_the_first(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(repo, ASSETS, "service: {name", "servce: {name")
    edit(repo, SUBS, "region_id: [R1]", "region_id: [R9]")
    edit(repo, "plans/gold.yaml", "kind: Plan", "kind: Plans")
    codes = {d["code"] for d in run(capsys, "validate", str(repo), "-o", "json").json()["diagnostics"]}
    assert {"schema-unknown-field", "restriction-value-not-allowed", "schema-unknown-kind"} <= codes


def test_secret_value_never_echoed(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(
        repo,
        "policies/cors.yaml",
        "  retries: {attempts: 1, onStatus: [503]}",
        "  retries: {attempts: 1, onStatus: [503]}\n  headers:\n    request:\n      set: {Authorization: Bearer sk_live_0123456789abcdef}",
    )
    for output in ("text", "json"):
        result = run(capsys, "validate", str(repo), "-o", output)
        assert result.code == INVALID
        assert "sk_live_0123456789abcdef" not in result.stdout + result.stderr


def test_warning_level_from_config_and_strict(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(repo, "apictl.yaml", "semantic-version: error", "semantic-version: warning")
    edit(repo, ASSETS, "version: 1.2.0", "version: v1")
    edit(repo, SUBS, "api: {name: assets, version: 1.2.0}", "api: {name: assets, version: v1}")
    edit(
        repo,
        "subscriptions/swiftrepair.yaml",
        "api: {name: assets, version: 1.2.0}",
        "api: {name: assets, version: v1}",
    )
    relaxed = run(capsys, "validate", str(repo), "-o", "json")
    assert relaxed.code == 0
    assert [d["severity"] for d in relaxed.json()["diagnostics"] if d["code"] == "semantic-version"] == ["warning"]
    assert run(capsys, "validate", str(repo), "--strict").code == INVALID
    edit(repo, "apictl.yaml", "semantic-version: warning", "semantic-version: off")
    assert run(capsys, "validate", str(repo), "--strict").code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "/nonexistent/repo"],
        ["validate", "--output", "xml"],
        ["validate", "--no-such-flag"],
        ["render", "examples/assetco"],
        ["render", "examples/assetco", "--env", "staging"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys) -> None:
    result = run(capsys, *argv)
    assert result.code == 2, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("security", "  security: {type: apiKey}\n"),
        ("policies", "  policies: [cors-portal]\n"),
        ("basePath", "  basePath: /events\n"),
    ],
)
def test_http_fields_on_event_apis_are_rejected(field: str, text: str, tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(repo, "apis/asset-events.yaml", "  plans: [gold, silver]\n", f"  plans: [gold, silver]\n{text}")
    result = run(capsys, "validate", str(repo), "-o", "json")
    assert result.code == INVALID
    (found,) = [d for d in result.json()["diagnostics"] if d["code"] == "api-field-not-async"]
    assert found["line"] == line_of(repo / "apis/asset-events.yaml", text.strip().split(":")[0] + ":")
    assert found["message"] == f"spec.{field} does not apply to event (async) APIs"


def test_retired_event_api_renders_no_topology(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    edit(
        repo,
        "apis/asset-events.yaml",
        "  plans: [gold, silver]\n",
        "  plans: [gold, silver]\n  lifecycle: {state: retired}\n",
    )
    result = run(capsys, "render", str(repo), "--env", "dev")
    assert result.code == 0, result.stderr
    assert "asset-events" not in result.stdout
    assert "kind: HTTPRoute" in result.stdout
