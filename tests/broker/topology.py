"""Create on a real RabbitMQ what rendered rabbitmq.com/v1beta1 objects describe, through the HTTP API,
the way the messaging-topology operator (v1.20) does it:

- User: credentials from the Secret named by ``importCredentialsSecret`` (keys ``username``,
  ``password``); the password is sent as a salted SHA-512 hash; ``limits`` -> user limits
  ``max-connections`` / ``max-channels``.
- Queue: ``type`` becomes the ``x-queue-type`` argument; Exchange, Binding, Policy, Permission and
  TopicPermission map field for field. ``userReference`` resolves to the User's username.

Any spec field this translation does not know is an error, so nothing rendered is silently ignored.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import Any

from broker.http_api import HttpApi, quote

ORDER = ("Exchange", "Queue", "Policy", "Binding", "User", "Permission", "TopicPermission")
KNOWN = {
    "Exchange": {"name", "vhost", "type", "durable", "autoDelete", "arguments"},
    "Queue": {"name", "vhost", "type", "durable", "autoDelete", "arguments"},
    "Policy": {"name", "vhost", "pattern", "applyTo", "priority", "definition"},
    "Binding": {"vhost", "source", "destination", "destinationType", "routingKey", "arguments"},
    "User": {"importCredentialsSecret", "limits", "tags"},
    "Permission": {"vhost", "userReference", "permissions"},
    "TopicPermission": {"vhost", "userReference", "permissions"},
}


def password_hash(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha512: base64(salt + sha512(salt + password))."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha512(salt + password.encode()).digest()).decode()


def secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return {**data, **(secret.get("stringData") or {})}


class Operator:
    """Applies rendered objects; ``secrets`` are v1 Secret bodies (by name) in the objects' namespace."""

    def __init__(self, api: HttpApi, secrets: Iterable[Mapping[str, Any]]) -> None:
        self.api = api
        self.secrets = {s["metadata"]["name"]: secret_data(s) for s in secrets}
        self.usernames: dict[str, str] = {}
        """User object name -> broker username (the operator's User status.username)."""

    def apply(self, objects: Iterable[Mapping[str, Any]]) -> None:
        bodies = [o for o in objects if o["apiVersion"] == "rabbitmq.com/v1beta1"]
        for body in sorted(bodies, key=lambda b: ORDER.index(b["kind"])):
            spec = dict(body["spec"])
            spec.pop("rabbitmqClusterReference")
            unknown = set(spec) - KNOWN[body["kind"]]
            if unknown:
                raise AssertionError(f"{body['kind']} {body['metadata']['name']}: unknown fields {sorted(unknown)}")
            getattr(self, body["kind"].lower())(body["metadata"]["name"], spec)

    def exchange(self, _: str, spec: dict[str, Any]) -> None:
        self.api.put(
            f"exchanges/{quote(spec.get('vhost', '/'))}/{quote(spec['name'])}",
            {
                "type": spec.get("type", "direct"),
                "durable": spec.get("durable", False),
                "auto_delete": spec.get("autoDelete", False),
                "arguments": spec.get("arguments", {}),
            },
        )

    def queue(self, _: str, spec: dict[str, Any]) -> None:
        arguments = dict(spec.get("arguments", {}))
        if spec.get("type"):
            arguments["x-queue-type"] = spec["type"]
        self.api.put(
            f"queues/{quote(spec.get('vhost', '/'))}/{quote(spec['name'])}",
            {
                "durable": spec.get("durable", False),
                "auto_delete": spec.get("autoDelete", False),
                "arguments": arguments,
            },
        )

    def policy(self, _: str, spec: dict[str, Any]) -> None:
        self.api.put(
            f"policies/{quote(spec.get('vhost', '/'))}/{quote(spec['name'])}",
            {
                "pattern": spec["pattern"],
                "apply-to": spec.get("applyTo", "all"),
                "priority": spec.get("priority", 0),
                "definition": spec["definition"],
            },
        )

    def binding(self, _: str, spec: dict[str, Any]) -> None:
        kind = "q" if spec.get("destinationType") == "queue" else "e"
        self.api.post(
            f"bindings/{quote(spec.get('vhost', '/'))}/e/{quote(spec['source'])}/{kind}/{quote(spec['destination'])}",
            {"routing_key": spec.get("routingKey", ""), "arguments": spec.get("arguments", {})},
        )

    def user(self, name: str, spec: dict[str, Any]) -> None:
        credentials = self.secrets[spec["importCredentialsSecret"]["name"]]
        username = credentials["username"]
        self.usernames[name] = username
        self.api.put(
            f"users/{quote(username)}",
            {
                "password_hash": password_hash(credentials["password"]),
                "hashing_algorithm": "rabbit_password_hashing_sha512",
                "tags": ",".join(spec.get("tags", [])),
            },
        )
        limits = spec.get("limits") or {}
        for field, limit in (("connections", "max-connections"), ("channels", "max-channels")):
            if field in limits:
                self.api.put(f"user-limits/{quote(username)}/{limit}", {"value": limits[field]})

    def permission(self, _: str, spec: dict[str, Any]) -> None:
        user = self.usernames[spec["userReference"]["name"]]
        self.api.put(f"permissions/{quote(spec['vhost'])}/{quote(user)}", dict(spec["permissions"]))

    def topicpermission(self, _: str, spec: dict[str, Any]) -> None:
        user = self.usernames[spec["userReference"]["name"]]
        self.api.put(f"topic-permissions/{quote(spec['vhost'])}/{quote(user)}", dict(spec["permissions"]))
