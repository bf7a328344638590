"""How a plan is shown: JSON for programs, Markdown for pull requests (honest truncation), masking."""

from __future__ import annotations

import json

from apictl.cli import plan_view
from apictl.model.objects import ObjectKey
from apictl.reconcile.applyset import Inventory, parent_for
from apictl.reconcile.fielddiff import FieldChange
from apictl.reconcile.plan import Action, Change, Plan
from apictl.reconcile.ports import LiveObject

PARENT = parent_for("dev", "ns1")


def route(name: str) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "ns1"},
        "spec": {"hostnames": [f"{name}.example"] * 20},
    }


def sample(creates: int = 2) -> Plan:
    changes = [Change(Action.CREATE, ObjectKey.of(route(f"r{i:04d}")), route(f"r{i:04d}")) for i in range(creates)]
    key = ObjectKey("", "Secret", "ns1", "creds")
    live = LiveObject.of(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "uid": "u", "resourceVersion": "4"}}
    )
    changes.append(
        Change(Action.UPDATE, key, {}, live, (FieldChange(("data", "token"), "*** (before)", "*** (after)"),))
    )
    gone = LiveObject.of({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "ns1"}})
    changes.append(Change(Action.PRUNE, gone.key, None, gone))
    return Plan("dev", PARENT, None, Inventory(), Inventory(), tuple(changes), desired_count=creates + 1)


def test_json_lists_every_change_with_its_fields() -> None:
    doc = json.loads(plan_view.to_json(sample(), server="https://k8s"))
    assert doc["summary"] | {"text": ""} == {
        "create": 2,
        "update": 1,
        "prune": 1,
        "unchanged": 0,
        "rejected": 0,
        "text": "",
    }
    update = next(c for c in doc["changes"] if c["action"] == "update")
    assert update["fields"] == [
        {"path": "data.token", "op": "changed", "before": "*** (before)", "after": "*** (after)"}
    ]
    assert update["resourceVersion"] == "4"
    assert doc["applyset"]["kubectl"] == "--applyset=configmaps/apictl-applyset-dev -n ns1"


def test_created_secret_bodies_are_masked() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns1"},
        "stringData": {"k": "hunter2"},
    }
    plan = Plan("dev", PARENT, None, Inventory(), Inventory(), (Change(Action.CREATE, ObjectKey.of(secret), secret),))
    for text in (plan_view.to_json(plan), plan_view.to_markdown(plan, "dev")):
        assert "hunter2" not in text and "***" in text


def test_markdown_highlights_prunes_and_collapses_each_object() -> None:
    text = plan_view.to_markdown(sample(), "environment `dev`")
    assert "**Plan: 2 to create, 1 to update, 1 to prune.**" in text
    assert "> [!WARNING]" in text and "- 🗑️ `ConfigMap ns1/old`" in text
    assert text.count("<details>") == 3 and text.count("</details>") == 3
    assert '- data.token: "*** (before)"' in text


def test_markdown_stays_under_the_limit_and_says_what_it_left_out() -> None:
    text = plan_view.to_markdown(sample(creates=400), "environment `dev`")
    assert len(text) <= plan_view.MARKDOWN_LIMIT
    assert "Output truncated to stay under 60,000 characters" in text
    shown = text.count("<details>")
    assert f"{401 - shown} of 401 object diffs are not shown" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_with_nothing_to_do() -> None:
    plan = Plan("dev", PARENT, None, Inventory(), Inventory(), ())
    assert "**No changes.**" in plan_view.to_markdown(plan, "environment `dev`")
