"""The envoy-gateway target: golden output for the example, determinism, a server-side dry run of a
feature matrix against the real CRDs (fieldValidation=Strict), and what cannot be expressed.

Golden files: ``APICTL_UPDATE_GOLDEN=1 python -m pytest tests/test_render_envoy_gateway.py`` rewrites
them; review the diff before committing it. They are rendered from a copy of examples/assetco outside
git, so they do not carry ``apictl.io/source-commit`` annotations (those change with every commit).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from apictl_cli import EXAMPLE, REPO, line_of, run, run_process

from apictl.load.bundle_loader import load_bundle
from apictl.model.diagnostics import Severity
from apictl.model.objects import GroupKind, RenderedObject
from apictl.render import RenderResult, render_environment
from apictl.render.serialize import to_yaml
from apictl.render.targets.envoy_gateway import TARGET
from apictl.validate import validate

GOLDEN = REPO / "tests" / "golden" / "assetco"
UPDATE = os.environ.get("APICTL_UPDATE_GOLDEN") == "1"
RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# --- throw-away repositories --------------------------------------------------------------------

V = "apictl.io/v1alpha1"
DEFINITION = "items.openapi.yaml"
ITEM_OPERATIONS = [
    ("/items", "get", "listItems"),
    ("/items", "post", "createItem"),
    ("/items/{itemId}", "get", "getItem"),
    ("/items/{itemId}", "delete", "deleteItem"),
    ("/items/{itemId}/notes/{noteId}.json", "put", "putNote"),
    ("/health", "head", "health"),
]


def openapi(operations: list[tuple[str, str, str]], title: str = "Items") -> dict:
    paths: dict[str, dict] = {}
    for path, method, op_id in operations:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{([^}]+)\}", path)
        ]
        op: dict[str, Any] = {"operationId": op_id, "responses": {"200": {"description": "ok"}}}
        if params:
            op["parameters"] = params
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.0.3", "info": {"title": title, "version": "1.0.0"}, "paths": paths}


def many_operations(count: int) -> list[tuple[str, str, str]]:
    """``count`` operations on ``count // 2`` paths (GET and POST each)."""
    found = []
    for i in range(count // 2):
        found.append((f"/r{i}/{{id}}", "get", f"get{i}"))
        found.append((f"/r{i}/{{id}}", "post", f"post{i}"))
    return found


def doc(kind: str, name: str, spec: dict) -> dict:
    return {"apiVersion": V, "kind": kind, "metadata": {"name": name}, "spec": spec}


def api(name: str, *, version: str = "1.0.0", definition: str = DEFINITION, **spec: Any) -> dict:
    base = {
        "version": version,
        "owner": "team-test",
        "type": "rest",
        "definition": f"../definitions/{definition}",
        "basePath": f"/{name}",
        "backend": {"service": {"name": f"{name}-svc", "port": 8080}},
        "security": {"type": "apiKey"},
        "environments": ["local", "global"],
    }
    base.update(spec)
    return doc("API", name, base)


def environment(name: str, namespace: str, rate_limit: str = "local", **spec: Any) -> dict:
    return doc(
        "Environment",
        name,
        {
            "namespace": namespace,
            "hostnames": [f"api.{name}.example"],
            "gateway": {
                "target": "envoy-gateway",
                "gatewayRef": {"name": "eg", "namespace": "infra", "sectionName": "https"},
                "rateLimit": rate_limit,
            },
            **spec,
        },
    )


def application(name: str, credentials: dict | None = None) -> dict:
    creds = credentials or {env: {"name": f"{name}-credentials"} for env in ("local", "global")}
    return doc("Application", name, {"owner": "Partner Ltd", "credentials": creds})


def subscription(name: str, app: str, api_name: str, plan: str, envs: list[str], version: str = "1.0.0") -> dict:
    return doc(
        "Subscription",
        name,
        {"application": app, "api": {"name": api_name, "version": version}, "plan": plan, "environments": envs},
    )


def write_repo(
    root: Path, docs: list[dict], definitions: dict[str, dict] | None = None, config: dict | None = None
) -> Path:
    """One file per manifest (``manifests/<kind>-<name>-<n>.yaml``), definitions in ``definitions/``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "apictl.yaml").write_text(yaml.safe_dump(config or {"unsupported": "error"}), encoding="utf-8")
    (root / "manifests").mkdir(exist_ok=True)
    (root / "definitions").mkdir(exist_ok=True)
    for i, d in enumerate(docs):
        name = f"{d['kind'].lower()}-{d['metadata']['name']}-{i}.yaml"
        (root / "manifests" / name).write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    for file, content in {DEFINITION: openapi(ITEM_OPERATIONS), **(definitions or {})}.items():
        (root / "definitions" / file).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return root


def policy(name: str, **spec: Any) -> dict:
    return doc("Policy", name, spec)


def matrix_docs() -> tuple[list[dict], dict[str, dict]]:
    """The feature matrix: (manifests, extra definitions)."""
    both = ["local", "global"]
    docs = [
        environment("local", "matrix-local"),
        environment(
            "global",
            "matrix-global",
            "global",
            overrides={
                "apis": {
                    "keyed": {
                        "backend": {"service": {"name": "keyed-prod", "namespace": "backends-global", "port": 9090}},
                        "hostnames": ["keyed.global.example", "*.keyed.example"],
                    }
                },
                "plans": {
                    "gold": {
                        "rateLimit": {"requests": 500, "per": "second"},
                        "quota": {"requests": 1000000, "per": "month"},
                    }
                },
            },
        ),
        doc("Plan", "gold", {"rateLimit": {"requests": 100, "per": "second", "burst": 100}}),
        doc("Plan", "silver", {"rateLimit": {"requests": 600, "per": "minute"}}),
        doc(
            "Plan",
            "metered",
            {"rateLimit": {"requests": 10, "per": "hour"}, "quota": {"requests": 10000, "per": "day"}},
        ),
        policy(
            "cors-portal",
            cors={
                "allowOrigins": ["https://portal.example.com", "https://*.partners.example.com:8443"],
                "allowMethods": ["GET", "POST", "DELETE"],
                "allowHeaders": ["authorization", "content-type"],
                "exposeHeaders": ["x-request-id"],
                "allowCredentials": True,
                "maxAge": "1h",
            },
        ),
        policy(
            "cors-any", cors={"allowOrigins": ["*"], "allowMethods": ["*"], "allowHeaders": ["*"], "maxAge": "500ms"}
        ),
        policy("ip-allow", ipFilter={"allow": ["10.0.0.0/8", "2001:db8::/32"]}),
        policy("ip-deny", ipFilter={"deny": ["203.0.113.0/24"]}),
        policy("ip-both", ipFilter={"allow": ["192.0.2.0/24"], "deny": ["192.0.2.128/25"]}),
        policy(
            "headers",
            headers={
                "request": {
                    "add": {"x-tenant": "acme"},
                    "set": {"x-forwarded-by": "apictl gateway"},
                    "remove": ["x-debug"],
                },
                "response": {
                    "add": {"x-served-by": "gateway"},
                    "set": {"cache-control": "no-store"},
                    "remove": ["server"],
                },
            },
        ),
        policy("cors-admin", cors={"allowOrigins": ["https://admin.example.com"], "allowMethods": ["PUT"]}),
        policy("timeouts", timeouts={"request": "10s", "backendRequest": "2s"}),
        policy("long-timeouts", timeouts={"request": "1h30m", "backendRequest": "90m"}),
        policy(
            "retries",
            retries={"attempts": 3, "perTryTimeout": "500ms", "backoff": "100ms", "onStatus": [502, 503, 504]},
        ),
        policy("retries-simple", retries={"attempts": 2}),
        policy(
            "breaker",
            circuitBreaker={
                "maxConnections": 100,
                "maxPendingRequests": 10,
                "maxParallelRequests": 50,
                "maxParallelRetries": 3,
            },
        ),
        policy(
            "slow",
            timeouts={"request": "1m"},
            retries={"attempts": 1, "onStatus": [503]},
            circuitBreaker={"maxConnections": 5},
            ipFilter={"allow": ["198.51.100.0/24"]},
            headers={"response": {"set": {"x-slow": "yes"}}},
        ),
        application("app-a"),
        application("app-b"),
        application("app-c"),
        application(
            "app-x",
            {
                "local": {"name": "app-x-key", "namespace": "secrets"},
                "global": {"name": "app-x-key", "namespace": "secrets"},
            },
        ),
        api(
            "keyed",
            security={"type": "apiKey", "header": "X-Api-Key"},
            plans=["gold", "silver", "metered"],
            policies=["cors-portal", "headers", "timeouts", "retries", "breaker"],
            operations={
                "createItem": {"policies": ["slow"]},
                "deleteItem": {"policies": ["slow"]},
                "putNote": {"policies": ["long-timeouts", "retries-simple", "cors-admin"]},
            },
        ),
        subscription("a-keyed", "app-a", "keyed", "gold", both),
        subscription("b-keyed", "app-b", "keyed", "silver", both),
        subscription("c-keyed", "app-c", "keyed", "metered", ["global"]),
        subscription("x-keyed", "app-x", "keyed", "silver", both),
        api(
            "tokens",
            security={
                "type": "jwt",
                "issuer": "https://idp.example.com/",
                "jwksUri": "https://idp.example.com/.well-known/jwks.json",
                "audiences": ["tokens-api", "other"],
                "clientIdClaim": "azp",
            },
            plans=["gold"],
            policies=["ip-both", "retries-simple"],
        ),
        subscription("a-tokens", "app-a", "tokens", "gold", both),
        subscription("b-tokens", "app-b", "tokens", "gold", ["global"]),
        api(
            "open",
            security={"type": "none"},
            backend={"url": "https://partner.example.net/v2"},
            policies=["cors-any", "ip-allow"],
        ),
        api(
            "open-deny",
            security={"type": "none"},
            backend={"url": "http://10.1.2.3:8080"},
            basePath="/",
            policies=["ip-deny"],
            environments=["local"],
        ),
        api("lonely", plans=["gold"]),
        api(
            "lonely-jwt",
            security={"type": "jwt", "issuer": "https://idp.example.com/", "jwksUri": "http://jwks.internal:8080/keys"},
        ),
        api(
            "legacy",
            lifecycle={
                "state": "deprecated",
                "deprecatedSince": "2026-01-15",
                "sunset": "2026-12-31",
                "successor": "keyed",
            },
            plans=["silver"],
        ),
        subscription("b-legacy", "app-b", "legacy", "silver", both),
        api(
            "legacy-undated",
            lifecycle={"state": "deprecated", "sunset": "2027-06-30", "successor": "https://docs.example.com/migrate"},
        ),
        api("gone", lifecycle={"state": "retired", "sunset": "2025-06-30", "successor": "keyed"}),
        api("gone-quietly", lifecycle={"state": "retired"}, basePath="/old/api"),
        api("sketch", lifecycle={"state": "draft"}),
        api(
            "remote", backend={"service": {"name": "remote-svc", "namespace": "backends", "port": 443}}, plans=["gold"]
        ),
        subscription("x-remote", "app-x", "remote", "gold", both),
        api("wide", definition="wide.openapi.yaml", operations={"get3": {"policies": ["retries-simple"]}}),
        api("huge", definition="huge.openapi.yaml", operations={"post7": {"policies": ["timeouts"]}}),
        api("twin", basePath="/twin/v1"),
        api("twin", version="1.1.0", basePath="/twin/v1-1"),
    ]
    definitions = {
        "wide.openapi.yaml": openapi(many_operations(70)),
        "huge.openapi.yaml": openapi(many_operations(200)),
    }
    return docs, definitions


# --- rendering helpers --------------------------------------------------------------------------


def render(root: Path, env: str) -> RenderResult:
    bundle = load_bundle(str(root))
    problems = [d for d in validate(bundle) if d.severity is Severity.ERROR]
    assert not problems, problems
    return render_environment(bundle, env)


def gateway_objects(result: RenderResult) -> list[RenderedObject]:
    return [o for o in result.objects if o.target == "envoy-gateway"]


def errors(result: RenderResult) -> list[str]:
    return [f"{d.location}: {d.message} [{d.code}]" for d in result.diagnostics if d.severity is Severity.ERROR]


def find(objects: list[RenderedObject], kind: str, name: str) -> dict:
    found = [o.body for o in objects if o.key.kind == kind and o.key.name == name]
    assert len(found) == 1, f"{kind}/{name}: {[o.key for o in objects]}"
    return found[0]


def names(objects: list[RenderedObject], kind: str) -> set[str]:
    return {o.key.name for o in objects if o.key.kind == kind}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs, definitions = matrix_docs()
    return write_repo(tmp_path_factory.mktemp("matrix") / "repo", docs, definitions)


@pytest.fixture(scope="module")
def local(matrix: Path) -> list[RenderedObject]:
    result = render(matrix, "local")
    assert errors(result) == []
    return gateway_objects(result)


@pytest.fixture(scope="module")
def global_(matrix: Path) -> list[RenderedObject]:
    result = render(matrix, "global")
    assert errors(result) == []
    return gateway_objects(result)


def example_copy(tmp_path: Path) -> Path:
    target = tmp_path / "assetco"
    shutil.copytree(EXAMPLE, target)
    return target


# --- 1. golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_example_matches_the_golden_file(tmp_path: Path, env: str) -> None:
    result = render(example_copy(tmp_path), env)
    assert errors(result) == []
    text = to_yaml(gateway_objects(result))
    golden = GOLDEN / f"{env}.envoy-gateway.yaml"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"run APICTL_UPDATE_GOLDEN=1 pytest {__file__} and review"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_cli_prints_the_golden_objects(tmp_path: Path, env: str) -> None:
    """`apictl render` (a real process) prints the golden objects, in a stream kubectl accepts."""
    root = example_copy(tmp_path)
    result = run_process("render", str(root), "--env", env)
    assert result.code == 0, result.stderr
    documents = ["---\n" + d for d in re.split(r"^---\n", result.stdout, flags=re.M) if d]
    ours = "".join(d for d in documents if "apictl.io/target: envoy-gateway\n" in d)
    assert ours == (GOLDEN / f"{env}.envoy-gateway.yaml").read_text(encoding="utf-8")


# --- 2. determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_render_is_byte_identical_across_hash_seeds(env: str) -> None:
    first = run_process("render", "examples/assetco", "--env", env, cwd=REPO, env={"PYTHONHASHSEED": "1"})
    second = run_process("render", "examples/assetco", "--env", env, cwd=REPO, env={"PYTHONHASHSEED": "4242"})
    assert first.code == second.code == 0, first.stderr + second.stderr
    assert "kind: HTTPRoute" in first.stdout
    assert first.stdout.encode() == second.stdout.encode()


def test_matrix_render_is_stable(matrix: Path) -> None:
    first = run_process("render", str(matrix), "--env", "global", env={"PYTHONHASHSEED": "7"})
    second = run_process("render", str(matrix), "--env", "global", env={"PYTHONHASHSEED": "99"})
    assert first.code == 0, first.stderr
    assert first.stdout == second.stdout


# --- what the example renders to ----------------------------------------------------------------


def test_example_dev_objects(tmp_path: Path) -> None:
    objects = gateway_objects(render(example_copy(tmp_path), "dev"))
    assert {str(o.key) for o in objects} == {
        "HTTPRoute.gateway.networking.k8s.io/assetco-dev/assets-v1",
        "HTTPRoute.gateway.networking.k8s.io/assetco-dev/maintenance-v2",
        "HTTPRouteFilter.gateway.envoyproxy.io/assetco-dev/assets-v1-rewrite",
        "HTTPRouteFilter.gateway.envoyproxy.io/assetco-dev/maintenance-v2-rewrite",
        "SecurityPolicy.gateway.envoyproxy.io/assetco-dev/assets-v1",
        "SecurityPolicy.gateway.envoyproxy.io/assetco-dev/maintenance-v2",
        "BackendTrafficPolicy.gateway.envoyproxy.io/assetco-dev/assets-v1",
        "BackendTrafficPolicy.gateway.envoyproxy.io/assetco-dev/maintenance-v2",
        "BackendTrafficPolicy.gateway.envoyproxy.io/assetco-dev/maintenance-v2-record-maintenance-action",
        "ReferenceGrant.gateway.networking.k8s.io/maintenance/maintenance-v2-from-assetco-dev",
    }
    route = find(objects, "HTTPRoute", "assets-v1")["spec"]
    assert route["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "eg",
            "namespace": "infra",
            "sectionName": "https",
        }
    ]
    assert route["hostnames"] == ["api.dev.assetco.example"]
    matches = route["rules"][0]["matches"]
    assert {"path": {"type": "Exact", "value": "/assets"}, "method": "GET"} in matches
    assert {"path": {"type": "RegularExpression", "value": "^/assets/[^/]+$"}, "method": "GET"} in matches
    security = find(objects, "SecurityPolicy", "assets-v1")["spec"]["apiKeyAuth"]
    assert [r["name"] for r in security["credentialRefs"]] == [
        "fixit-maintenance-credentials",
        "swift-repair-credentials",
    ]
    assert security["extractFrom"] == [{"headers": ["x-api-key"]}]
    limits = find(objects, "BackendTrafficPolicy", "assets-v1")["spec"]["rateLimit"]
    assert list(limits) == ["local"]
    by_client = {r["clientSelectors"][0]["headers"][0]["value"]: r["limit"] for r in limits["local"]["rules"]}
    assert by_client == {
        "fixit-maintenance": {"requests": 100, "unit": "Second"},
        "swift-repair": {"requests": 600, "unit": "Minute"},
    }
    maintenance = find(objects, "HTTPRoute", "maintenance-v2")["spec"]["rules"]
    assert [r["name"] for r in maintenance] == ["default", "record-maintenance-action"]
    assert maintenance[1]["matches"] == [
        {"path": {"type": "RegularExpression", "value": "^/maintenance/assets/[^/]+/actions$"}, "method": "POST"}
    ]
    assert maintenance[1]["timeouts"] == {"request": "30s", "backendRequest": "25s"}
    assert "timeouts" not in maintenance[0]
    assert maintenance[0]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "maintenance-aggregator", "port": 8443, "namespace": "maintenance"}
    ]
    retry = find(objects, "BackendTrafficPolicy", "maintenance-v2-record-maintenance-action")["spec"]
    assert retry["targetRefs"][0]["sectionName"] == "record-maintenance-action"
    assert retry["retry"]["numRetries"] == 1 and retry["retry"]["retryOn"]["httpStatusCodes"] == [503]
    jwt = find(objects, "SecurityPolicy", "maintenance-v2")["spec"]
    assert jwt["jwt"]["providers"][0]["remoteJWKS"] == {"uri": "https://login.assetco.example/.well-known/jwks.json"}
    assert jwt["authorization"]["rules"][0]["principal"]["jwt"]["claims"][0]["values"] == ["fixit-maintenance"]


def test_example_prod_uses_global_limits_and_overrides(tmp_path: Path) -> None:
    objects = gateway_objects(render(example_copy(tmp_path), "prod"))
    limits = find(objects, "BackendTrafficPolicy", "assets-v1")["spec"]["rateLimit"]
    assert list(limits) == ["global"]
    gold = next(
        r for r in limits["global"]["rules"] if r["clientSelectors"][0]["headers"][0]["value"] == "fixit-maintenance"
    )
    assert gold["limit"] == {"requests": 200, "unit": "Second"}  # overrides.plans.gold
    backend = find(objects, "HTTPRoute", "assets-v1")["spec"]["rules"][0]["backendRefs"]
    assert backend == [
        {"group": "", "kind": "Service", "name": "asset-registry", "port": 8080, "namespace": "assets-prod"}
    ]
    grant = find(objects, "ReferenceGrant", "assets-v1-from-assetco-prod")
    assert grant["metadata"]["namespace"] == "assets-prod"
    assert grant["spec"] == {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "assetco-prod"}],
        "to": [{"group": "", "kind": "Service", "name": "asset-registry"}],
    }


def test_every_object_is_labelled_and_annotated(tmp_path: Path) -> None:
    for o in gateway_objects(render(example_copy(tmp_path), "dev")):
        meta = o.body["metadata"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "apictl"
        assert meta["labels"]["apictl.io/environment"] == "dev"
        assert meta["labels"]["apictl.io/api"] in {"assets", "maintenance"}
        assert re.match(r"^apis/(assets|maintenance)\.yaml:\d+$", meta["annotations"]["apictl.io/source"])


# --- the matrix, offline ------------------------------------------------------------------------


def test_matrix_renders_every_kind_with_valid_unique_names(
    local: list[RenderedObject], global_: list[RenderedObject]
) -> None:
    for objects in (local, global_):
        assert {o.key.group_kind for o in objects} == TARGET.kinds
        keys = [o.key for o in objects]
        assert len(keys) == len(set(keys))
        for o in objects:
            assert RFC1123.match(o.key.name) and len(o.key.name) <= 63, o.key
    assert GroupKind("gateway.networking.k8s.io", "HTTPRoute") in TARGET.kinds


def test_drafts_are_not_rendered(local: list[RenderedObject]) -> None:
    assert not [o for o in local if o.key.name.startswith("sketch")]


def test_api_key_admits_only_subscribers_of_this_environment(local, global_) -> None:
    def secrets(objects):
        refs = find(objects, "SecurityPolicy", "keyed-v1")["spec"]["apiKeyAuth"]["credentialRefs"]
        return [(r.get("namespace"), r["name"]) for r in refs]

    assert secrets(local) == [(None, "app-a-credentials"), (None, "app-b-credentials"), ("secrets", "app-x-key")]
    assert (None, "app-c-credentials") in secrets(global_)  # c-keyed subscribes in `global` only
    spec = find(local, "SecurityPolicy", "keyed-v1")["spec"]["apiKeyAuth"]
    assert spec["extractFrom"] == [{"headers": ["X-Api-Key"]}]
    assert spec["forwardClientIDHeader"] == "x-apictl-client-id" and spec["sanitize"] is True
    grant = find(local, "ReferenceGrant", "keyed-v1-credentials-from-matrix-local")
    assert grant["metadata"]["namespace"] == "secrets"
    assert grant["spec"]["from"] == [
        {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": "matrix-local"}
    ]


@pytest.mark.parametrize("name", ["lonely-v1", "lonely-jwt-v1"])
def test_no_subscribers_means_nobody_gets_in(local, name: str) -> None:
    spec = find(local, "SecurityPolicy", name)["spec"]
    assert spec["authorization"] == {"defaultAction": "Deny"}
    assert "apiKeyAuth" not in spec


def test_jwt_allows_only_subscribed_clients_from_allowed_addresses(local, global_) -> None:
    spec = find(local, "SecurityPolicy", "tokens-v1")["spec"]
    provider = spec["jwt"]["providers"][0]
    assert provider["issuer"] == "https://idp.example.com/" and provider["audiences"] == ["tokens-api", "other"]
    assert provider["claimToHeaders"] == [{"claim": "azp", "header": "x-apictl-client-id"}]
    assert spec["authorization"] == {
        "defaultAction": "Deny",
        "rules": [
            {"name": "ip-deny", "action": "Deny", "principal": {"clientCIDRs": ["192.0.2.128/25"]}},
            {
                "name": "allow",
                "action": "Allow",
                "principal": {
                    "clientCIDRs": ["192.0.2.0/24"],
                    "jwt": {
                        "provider": "tokens-idp",
                        "claims": [{"name": "azp", "valueType": "String", "values": ["app-a"]}],
                    },
                },
            },
        ],
    }
    values = find(global_, "SecurityPolicy", "tokens-v1")["spec"]["authorization"]["rules"][1]["principal"]["jwt"]
    assert values["claims"][0]["values"] == ["app-a", "app-b"]


def test_ip_filters_without_authentication(local) -> None:
    assert find(local, "SecurityPolicy", "open-v1")["spec"]["authorization"] == {
        "defaultAction": "Deny",
        "rules": [{"name": "allow", "action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8", "2001:db8::/32"]}}],
    }
    assert find(local, "SecurityPolicy", "open-deny-v1")["spec"]["authorization"] == {
        "defaultAction": "Allow",
        "rules": [{"name": "ip-deny", "action": "Deny", "principal": {"clientCIDRs": ["203.0.113.0/24"]}}],
    }


def test_route_filters_carry_cors_headers_and_timeouts(local) -> None:
    rules = {r["name"]: r for r in find(local, "HTTPRoute", "keyed-v1")["spec"]["rules"]}
    assert list(rules) == ["default", "policies-slow", "put-note"]
    default = {f["type"]: f for f in rules["default"]["filters"]}
    assert default["CORS"]["cors"] == {
        "allowOrigins": ["https://portal.example.com", "https://*.partners.example.com:8443"],
        "allowMethods": ["GET", "POST", "DELETE"],
        "allowHeaders": ["authorization", "content-type"],
        "exposeHeaders": ["x-request-id"],
        "allowCredentials": True,
        "maxAge": 3600,
    }
    assert default["RequestHeaderModifier"]["requestHeaderModifier"] == {
        "add": [{"name": "x-tenant", "value": "acme"}],
        "set": [{"name": "x-forwarded-by", "value": "apictl gateway"}],
        "remove": ["x-debug"],
    }
    assert default["ResponseHeaderModifier"]["responseHeaderModifier"]["remove"] == ["server"]
    assert default["ExtensionRef"]["extensionRef"] == {
        "group": "gateway.envoyproxy.io",
        "kind": "HTTPRouteFilter",
        "name": "keyed-v1-rewrite",
    }
    assert rules["default"]["timeouts"] == {"request": "10s", "backendRequest": "2s"}
    # operation-level policies: their own rule, merged over the API's policies
    assert rules["policies-slow"]["timeouts"] == {"request": "1m", "backendRequest": "2s"}
    slow_response = {f["type"]: f for f in rules["policies-slow"]["filters"]}["ResponseHeaderModifier"]
    assert {"name": "x-slow", "value": "yes"} in slow_response["responseHeaderModifier"]["set"]
    assert rules["put-note"]["timeouts"] == {"request": "1h30m", "backendRequest": "1h30m"}
    note_cors = {f["type"]: f for f in rules["put-note"]["filters"]}["CORS"]["cors"]
    assert note_cors == {"allowOrigins": ["https://admin.example.com"], "allowMethods": ["PUT"]}
    # preflight requests are matched where CORS applies
    assert {"path": {"type": "Exact", "value": "/keyed/items"}, "method": "OPTIONS"} in rules["default"]["matches"]
    assert {
        "path": {"type": "RegularExpression", "value": r"^/keyed/items/[^/]+/notes/[^/]+\.json$"},
        "method": "OPTIONS",
    } in (rules["put-note"]["matches"])


def test_operation_level_policies_target_their_rule(local) -> None:
    security = find(local, "SecurityPolicy", "keyed-v1-policies-slow")["spec"]
    assert security["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "keyed-v1", "sectionName": "policies-slow"}
    ]
    assert security["apiKeyAuth"]["credentialRefs"]  # a rule-level policy replaces the route's: auth is repeated
    assert security["authorization"]["rules"] == [
        {"name": "allow", "action": "Allow", "principal": {"clientCIDRs": ["198.51.100.0/24"]}}
    ]
    traffic = find(local, "BackendTrafficPolicy", "keyed-v1-policies-slow")["spec"]
    assert traffic["retry"] == {
        "numRetries": 1,
        "retryOn": {
            "triggers": ["connect-failure", "refused-stream", "reset", "retriable-status-codes"],
            "httpStatusCodes": [503],
        },
    }
    assert traffic["circuitBreaker"] == {
        "maxConnections": 5,
        "maxParallelRequests": 50,
        "maxParallelRetries": 3,
        "maxPendingRequests": 10,
    }
    assert traffic["rateLimit"] == find(local, "BackendTrafficPolicy", "keyed-v1")["spec"]["rateLimit"]
    assert find(local, "BackendTrafficPolicy", "keyed-v1-put-note")["spec"]["retry"] == {"numRetries": 2}
    assert "keyed-v1-put-note" not in names(local, "SecurityPolicy")  # its policies do not touch security


def test_route_level_traffic_policy(local) -> None:
    spec = find(local, "BackendTrafficPolicy", "keyed-v1")["spec"]
    assert spec["retry"] == {
        "numRetries": 3,
        "perRetry": {"timeout": "500ms", "backOff": {"baseInterval": "100ms"}},
        "retryOn": {
            "triggers": ["connect-failure", "refused-stream", "reset", "retriable-status-codes"],
            "httpStatusCodes": [502, 503, 504],
        },
    }
    clients = [r["clientSelectors"][0]["headers"][0] for r in spec["rateLimit"]["local"]["rules"]]
    assert all(c["name"] == "x-apictl-client-id" and c["type"] == "Exact" for c in clients)
    assert all(r["shared"] is True for r in spec["rateLimit"]["local"]["rules"])


def test_global_rate_limits_carry_quotas(global_) -> None:
    rules = find(global_, "BackendTrafficPolicy", "keyed-v1")["spec"]["rateLimit"]["global"]["rules"]
    limits = [
        (r["clientSelectors"][0]["headers"][0]["value"], r["limit"]["requests"], r["limit"]["unit"]) for r in rules
    ]
    assert limits == [
        ("app-a", 500, "Second"),  # overrides.plans.gold in `global`
        ("app-a", 1000000, "Month"),
        ("app-b", 600, "Minute"),
        ("app-c", 10, "Hour"),
        ("app-c", 10000, "Day"),
        ("app-x", 600, "Minute"),
    ]


def test_backend_overrides_and_external_urls(local, global_) -> None:
    route = find(global_, "HTTPRoute", "keyed-v1")["spec"]
    assert route["hostnames"] == ["keyed.global.example", "*.keyed.example"]
    assert route["rules"][0]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "keyed-prod", "port": 9090, "namespace": "backends-global"}
    ]
    assert find(local, "HTTPRoute", "remote-v1")["spec"]["rules"][0]["backendRefs"][0]["namespace"] == "backends"
    assert find(local, "ReferenceGrant", "remote-v1-from-matrix-local")["metadata"]["namespace"] == "backends"
    assert find(local, "Backend", "open-v1")["spec"] == {
        "endpoints": [{"fqdn": {"hostname": "partner.example.net", "port": 443}}],
        "tls": {"sni": "partner.example.net", "wellKnownCACertificates": "System"},
    }
    assert find(local, "HTTPRoute", "open-v1")["spec"]["rules"][0]["backendRefs"] == [
        {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "open-v1", "port": 443}
    ]
    assert find(local, "HTTPRouteFilter", "open-v1-rewrite")["spec"]["urlRewrite"] == {
        "path": {
            "type": "ReplaceRegexMatch",
            "replaceRegexMatch": {"pattern": "^/open(?:/(.*))?$", "substitution": "/v2/\\1"},
        },
        "hostname": {"type": "Backend"},
    }
    assert find(local, "Backend", "open-deny-v1")["spec"] == {
        "endpoints": [{"ip": {"address": "10.1.2.3", "port": 8080}}]
    }
    # basePath "/" and no path in the URL: nothing to rewrite
    assert "open-deny-v1-rewrite" not in names(local, "HTTPRouteFilter")


def test_deprecated_apis_send_deprecation_sunset_and_link(local) -> None:
    def headers(name: str) -> dict:
        rule = find(local, "HTTPRoute", name)["spec"]["rules"][0]
        modifier = {f["type"]: f for f in rule["filters"]}["ResponseHeaderModifier"]["responseHeaderModifier"]
        return {h["name"]: h["value"] for h in modifier["set"]}

    assert headers("legacy-v1") == {
        "Deprecation": "@1768435200",  # 2026-01-15T00:00:00Z
        "Sunset": "Thu, 31 Dec 2026 00:00:00 GMT",
        "Link": '<https://api.local.example/keyed>; rel="successor-version"',
    }
    assert headers("legacy-undated-v1") == {
        "Deprecation": "true",
        "Sunset": "Wed, 30 Jun 2027 00:00:00 GMT",
        "Link": '<https://docs.example.com/migrate>; rel="successor-version"',
    }


def test_retired_apis_answer_410_without_a_backend(local) -> None:
    route = find(local, "HTTPRoute", "gone-v1")["spec"]
    assert route["rules"] == [
        {
            "name": "retired",
            "matches": [{"path": {"type": "PathPrefix", "value": "/gone"}}],
            "filters": [
                {
                    "type": "ExtensionRef",
                    "extensionRef": {
                        "group": "gateway.envoyproxy.io",
                        "kind": "HTTPRouteFilter",
                        "name": "gone-v1-gone",
                    },
                }
            ],
        }
    ]
    direct = find(local, "HTTPRouteFilter", "gone-v1-gone")["spec"]["directResponse"]
    assert direct["statusCode"] == 410 and direct["contentType"] == "application/problem+json"
    assert '"status":410' in direct["body"]["inline"]
    assert {"name": "Sunset", "value": "Mon, 30 Jun 2025 00:00:00 GMT"} in direct["header"]["add"]
    assert "header" not in find(local, "HTTPRouteFilter", "gone-quietly-v1-gone")["spec"]["directResponse"]
    for kind in ("SecurityPolicy", "BackendTrafficPolicy", "Backend"):
        assert not [n for n in names(local, kind) if n.startswith("gone")]


def test_big_apis_fall_back_to_broader_matches(matrix: Path) -> None:
    result = render(matrix, "local")
    objects = gateway_objects(result)
    wide = {r["name"]: r["matches"] for r in find(objects, "HTTPRoute", "wide-v1")["spec"]["rules"]}
    assert (
        len(wide["default"]) == 35
        and {"path": {"type": "RegularExpression", "value": "^/wide/r0/[^/]+$"}} in wide["default"]
    )
    assert {"path": {"type": "RegularExpression", "value": "^/wide/r3/[^/]+$"}, "method": "POST"} in wide["default"]
    assert wide["get3"] == [{"path": {"type": "RegularExpression", "value": "^/wide/r3/[^/]+$"}, "method": "GET"}]
    huge = {r["name"]: r["matches"] for r in find(objects, "HTTPRoute", "huge-v1")["spec"]["rules"]}
    assert huge == {
        "default": [{"path": {"type": "PathPrefix", "value": "/huge"}}],
        "post7": [{"path": {"type": "RegularExpression", "value": "^/huge/r7/[^/]+$"}, "method": "POST"}],
    }
    infos = {d.code for d in result.diagnostics if d.severity is Severity.INFO}
    assert "eg-route-broadened" in infos


def test_two_versions_of_one_major_get_distinct_names(local) -> None:
    assert {"twin-v1-0-0", "twin-v1-1-0"} <= names(local, "HTTPRoute")


# --- 4. what cannot be expressed -----------------------------------------------------------------


METERED = {"rateLimit": {"requests": 10, "per": "second"}, "quota": {"requests": 5000, "per": "day"}}


def small_repo(tmp_path: Path, *extra: dict, plan: dict = METERED, config: dict | None = None, **api_spec: Any) -> Path:
    """One API `shop` with one subscriber on plan `metered`, in one environment with local rate limits."""
    docs = [
        environment("local", "ns-local"),
        doc("Plan", "metered", plan),
        application("app-a", {"local": {"name": "app-a-credentials"}}),
        api("shop", plans=["metered"], environments=["local"], **api_spec),
        subscription("a-shop", "app-a", "shop", "metered", ["local"]),
        *extra,
    ]
    return write_repo(tmp_path / "repo", docs, config=config)


def test_quota_on_local_rate_limits_is_an_error_with_its_location(tmp_path: Path, capsys) -> None:
    root = small_repo(tmp_path)
    result = run(capsys, "render", str(root), "--env", "local")
    assert result.code == 3
    assert result.stdout == ""
    plan_file = root / "manifests" / "plan-metered-1.yaml"
    line = line_of(plan_file, "quota:")
    assert re.search(
        rf"{re.escape(str(plan_file))}:{line}:\d+: error: .*quota .*\[eg-quota-needs-global-rate-limit\]", result.stderr
    ), result.stderr


def test_unsupported_warning_renders_and_warns(tmp_path: Path, capsys) -> None:
    root = small_repo(tmp_path, config={"unsupported": "warning"})
    result = run(capsys, "render", str(root), "--env", "local")
    assert result.code == 0, result.stderr
    assert "kind: BackendTrafficPolicy" in result.stdout and "unit: Day" not in result.stdout
    assert re.search(r"plan-metered-1\.yaml:\d+:\d+: warning: .*\[eg-quota-needs-global-rate-limit\]", result.stderr)


NO_QUOTA = {"rateLimit": {"requests": 10, "per": "second"}}


@pytest.mark.parametrize(
    ("code", "needle", "plan", "extra", "api_spec"),
    [
        ("eg-rate-limit-burst", "burst", {"rateLimit": {"requests": 10, "per": "second", "burst": 50}}, [], {}),
        ("eg-rate-limit-anonymous", "plan:", NO_QUOTA, [], {"security": {"type": "none"}}),
        ("eg-backend-url", "url:", NO_QUOTA, [], {"backend": {"url": "https://partner.example.net/v1?tenant=a"}}),
        (
            "eg-header-value",
            "x-note",
            NO_QUOTA,
            [policy("spaced", headers={"response": {"set": {"x-note": "two  spaces"}}})],
            {"policies": ["spaced"]},
        ),
        (
            "eg-cors-conflict",
            "cors:",
            NO_QUOTA,
            [
                policy("cors-a", cors={"allowOrigins": ["https://a.example.com"]}),
                policy("cors-b", cors={"allowOrigins": ["https://b.example.com"]}),
            ],
            {"policies": ["cors-a"], "operations": {"createItem": {"policies": ["cors-b"]}}},
        ),
        (
            "eg-timeouts-inconsistent",
            "backendRequest",
            NO_QUOTA,
            [policy("upside-down", timeouts={"request": "5s", "backendRequest": "10s"})],
            {"policies": ["upside-down"]},
        ),
        (
            "eg-cors-origin",
            "cors:",
            NO_QUOTA,
            [policy("cors-odd", cors={"allowOrigins": ["ftp://files.example.com"]})],
            {"policies": ["cors-odd"]},
        ),
    ],
)
def test_unsupported_features_are_errors_at_their_line(
    tmp_path: Path, capsys, code: str, needle: str, plan: dict, extra: list[dict], api_spec: dict
) -> None:
    root = small_repo(tmp_path, *extra, plan=plan, **api_spec)
    result = run(capsys, "render", str(root), "--env", "local")
    assert result.code == 3, result.stderr
    assert result.stdout == ""
    found = re.findall(rf"^  (\S+):(\d+):\d+: error: .*\[{code}\]$", result.stderr, re.M)
    assert found, result.stderr
    file, line = Path(found[0][0]), int(found[0][1])
    lines = file.read_text(encoding="utf-8").splitlines()
    assert needle in lines[line - 1], (file, line, lines)


def test_too_many_rules_for_one_route(tmp_path: Path) -> None:
    ops = many_operations(40)
    extra = [policy(f"p{i}", timeouts={"request": f"{i + 1}s"}) for i in range(20)]
    operations = {f"get{i}": {"policies": [f"p{i}"]} for i in range(20)}
    docs = [
        environment("local", "ns-local"),
        api(
            "many",
            definition="many.openapi.yaml",
            security={"type": "none"},
            environments=["local"],
            operations=operations,
        ),
        *extra,
    ]
    root = write_repo(tmp_path / "repo", docs, {"many.openapi.yaml": openapi(ops)})
    result = render(root, "local")
    assert [d.code for d in result.diagnostics if d.severity is Severity.ERROR] == ["eg-route-too-many-rules"]


# --- 3. server-side dry run against the real CRDs ------------------------------------------------


def _fresh_namespace(k8s_client) -> str:
    from kubernetes import client

    name = f"t-eg-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(k8s_client).create_namespace(
        {"metadata": {"name": name, "labels": {"apictl.test/k8senv": "true"}}}
    )
    return name


def _rewrite_namespaces(value: Any, mapping: dict[str, str], key: str = "") -> Any:
    """Every ``namespace`` value (metadata and references) moved to the test's namespaces."""
    if isinstance(value, dict):
        return {k: _rewrite_namespaces(v, mapping, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_namespaces(v, mapping, key) for v in value]
    if key == "namespace" and isinstance(value, str) and value in mapping:
        return mapping[value]
    return value


def dry_run(k8s_client, bodies: list[dict]) -> list[str]:
    """Server-side apply each body with dryRun=All and fieldValidation=Strict; return the refusals."""
    from kubernetes import dynamic
    from kubernetes.client.exceptions import ApiException

    dyn = dynamic.DynamicClient(k8s_client)
    refused = []
    for body in bodies:
        meta = body["metadata"]
        resource = dyn.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        try:
            resource.server_side_apply(
                body=body,
                name=meta["name"],
                namespace=meta["namespace"],
                field_manager="apictl",
                force_conflicts=True,
                dry_run="All",
                # the dynamic client has no field_validation keyword: pass the query parameter itself
                query_params=[("fieldValidation", "Strict")],
            )
        except ApiException as exc:
            refused.append(f"{body['kind']} {meta['name']}: {exc.status} {exc.body}")
    return refused


def in_test_namespaces(k8s_client, objects: list[RenderedObject], home: str, env_namespace: str) -> list[dict]:
    """Bodies with the environment's namespace replaced by ``home`` and every other namespace by a fresh one."""
    mapping = {env_namespace: home}
    for o in objects:
        for ns in _namespaces(o.body):
            if ns not in mapping:
                mapping[ns] = _fresh_namespace(k8s_client)
    return [_rewrite_namespaces(copy.deepcopy(dict(o.body)), mapping) for o in objects]


def _namespaces(value: Any, key: str = "") -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_namespaces(v, k) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(_namespaces(v, key) for v in value)) if value else set()
    return {value} if key == "namespace" and isinstance(value, str) else set()


def test_dry_run_rejects_what_the_crds_forbid(k8s_client, namespace: str) -> None:
    """The check below has teeth: a CEL rule and an unknown field are refused."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "broken", "namespace": namespace},
        "spec": {"rules": [{"matches": [{"path": {"type": "Exact", "value": "no-slash"}}]}]},
    }
    unknown = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": "unknown-field", "namespace": namespace},
        "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "x"}], "bogus": 1},
    }
    refused = dry_run(k8s_client, [route, unknown])
    assert len(refused) == 2, refused
    assert "must be an absolute path" in refused[0]
    assert "bogus" in refused[1]


@pytest.mark.parametrize(
    ("case", "env", "env_namespace"),
    [
        ("example", "dev", "assetco-dev"),
        ("example", "prod", "assetco-prod"),
        ("matrix", "local", "matrix-local"),
        ("matrix", "global", "matrix-global"),
    ],
)
def test_every_rendered_object_passes_a_strict_server_side_dry_run(
    k8s_client, namespace: str, matrix: Path, tmp_path: Path, case: str, env: str, env_namespace: str
) -> None:
    root = example_copy(tmp_path) if case == "example" else matrix
    result = render(root, env)
    assert errors(result) == []
    objects = gateway_objects(result)
    assert objects
    bodies = in_test_namespaces(k8s_client, objects, namespace, env_namespace)
    assert dry_run(k8s_client, bodies) == []
