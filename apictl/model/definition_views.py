"""Read-only views of definitions that several stages need: REST operations and event channels.

Pure functions over parsed documents; local ``$ref``s are followed, nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apictl.model.bundle import Definition
from apictl.model.source import FieldPath

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _deref(document: Any, node: Any) -> Any:
    for _ in range(32):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        current = document
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(current, Mapping) and token in current:
                current = current[token]
            else:
                return node
        node = current
    return node


@dataclass(frozen=True, slots=True)
class RestOperation:
    path: str
    method: str
    operation_id: str | None
    deprecated: bool
    pointer: FieldPath


def rest_operations(definition: Definition) -> list[RestOperation]:
    """Every operation of an OpenAPI 2/3 document, in document order."""
    found: list[RestOperation] = []
    paths = definition.data.get("paths")
    if not isinstance(paths, Mapping):
        return found
    for path, item in paths.items():
        item = _deref(definition.data, item)
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, Mapping):
                op_id = op.get("operationId")
                found.append(
                    RestOperation(
                        str(path),
                        method.upper(),
                        op_id if isinstance(op_id, str) else None,
                        op.get("deprecated") is True,
                        ("paths", path, method),
                    )
                )
    return found


@dataclass(frozen=True, slots=True)
class ChannelParameter:
    name: str
    enum: tuple[str, ...] | None
    pattern: str | None
    pointer: FieldPath


@dataclass(frozen=True, slots=True)
class Channel:
    key: str
    address: str
    parameters: tuple[ChannelParameter, ...]
    pointer: FieldPath
    publishers: bool
    """True when the provider sends on this channel (3.0 ``send`` / 2.x ``subscribe``)."""

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.address)

    @property
    def levels(self) -> list[str]:
        return self.address.split("/")


def _parameter(document: Any, name: str, node: Any, pointer: FieldPath) -> ChannelParameter:
    node = _deref(document, node)
    schema = node.get("schema", node) if isinstance(node, Mapping) else {}
    schema = _deref(document, schema)
    enum = node.get("enum") if isinstance(node, Mapping) and "enum" in node else None
    if enum is None and isinstance(schema, Mapping):
        enum = schema.get("enum")
    pattern = schema.get("pattern") if isinstance(schema, Mapping) else None
    return ChannelParameter(
        name,
        tuple(str(v) for v in enum) if isinstance(enum, list) else None,
        pattern if isinstance(pattern, str) else None,
        pointer,
    )


def event_channels(definition: Definition) -> list[Channel]:
    """Channels of an AsyncAPI 2.x or 3.0 document with their parameters."""
    data = definition.data
    channels = data.get("channels")
    if not isinstance(channels, Mapping):
        return []
    v3 = definition.version.startswith("3.")
    sending: set[str] = set()
    if v3 and isinstance(data.get("operations"), Mapping):
        for op in data["operations"].values():
            op = _deref(data, op)
            if isinstance(op, Mapping) and op.get("action") == "send":
                ref = op.get("channel", {}).get("$ref") if isinstance(op.get("channel"), Mapping) else None
                if isinstance(ref, str) and ref.startswith("#/channels/"):
                    sending.add(ref.split("/", 2)[2].replace("~1", "/").replace("~0", "~"))
    found = []
    for key, channel in channels.items():
        channel = _deref(data, channel)
        if not isinstance(channel, Mapping):
            continue
        address = channel.get("address", key) if v3 else key
        params = channel.get("parameters") if isinstance(channel.get("parameters"), Mapping) else {}
        parameters = tuple(
            _parameter(data, str(name), node, ("channels", key, "parameters", name)) for name, node in params.items()
        )
        publishes = str(key) in sending if v3 else isinstance(channel.get("subscribe"), Mapping)
        found.append(Channel(str(key), str(address or ""), parameters, ("channels", key), publishes))
    return found
