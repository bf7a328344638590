"""Breaking changes between two AsyncAPI documents (2.x and 3.0), with the applications they reach.

In apictl an event API's *subscribers* receive what the API sends (3.0 ``send``, 2.x ``subscribe``)
and its *publishers* (``spec.publishers``) send what it receives (3.0 ``receive``, 2.x ``publish``).
A change to a message is judged for each side that uses it: readers break when data widens or
disappears, writers break when it narrows or becomes required.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apictl.model.bundle import Definition
from apictl.model.diagnostics import Severity
from apictl.model.manifests import Subscription
from apictl.model.source import FieldPath, SourceLocation
from apictl.validate.breaking.findings import Affected, Finding, finding, merge_affected
from apictl.validate.breaking.impact import Impact
from apictl.validate.breaking.pairing import Side
from apictl.validate.breaking.schema_changes import SchemaChange, SchemaComparison, follow, show, types_within
from apictl.validate.definition_positions import DefinitionPositions

ERR, WARN = Severity.ERROR, Severity.WARNING
SEND, RECEIVE = "send", "receive"


@dataclass
class Message:
    name: str
    payload: tuple[Any, FieldPath] | None
    pointer: FieldPath


@dataclass
class Parameter:
    name: str
    enum: tuple[str, ...] | None
    pattern: str | None
    pointer: FieldPath


@dataclass
class Channel:
    key: str
    address: str
    pointer: FieldPath
    parameters: dict[str, Parameter] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    actions: dict[str, set[str]] = field(default_factory=dict)
    """Message name -> the actions (send/receive) that carry it."""
    directions: set[str] = field(default_factory=set)
    """The actions of the operations on this channel."""


@dataclass
class Operation:
    key: str
    action: str
    address: str
    pointer: FieldPath


@dataclass
class AsyncApi:
    channels: dict[str, Channel]
    operations: dict[str, Operation]
    servers: dict[str, tuple[str, str, FieldPath]]


def _message_name(doc: Any, raw: Any, resolved: Any, fallback: str) -> str:
    if isinstance(resolved, Mapping):
        for key in ("name", "messageId"):
            if isinstance(resolved.get(key), str):
                return resolved[key]
    ref = raw.get("$ref") if isinstance(raw, Mapping) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else fallback


def _message(doc: Any, raw: Any, pointer: FieldPath, fallback: str) -> Message:
    node, node_ptr = follow(doc, raw, pointer)
    payload = (node["payload"], (*node_ptr, "payload")) if isinstance(node, Mapping) and "payload" in node else None
    return Message(_message_name(doc, raw, node, fallback), payload, node_ptr)


def _parameter(doc: Any, name: str, raw: Any, pointer: FieldPath) -> Parameter:
    node, node_ptr = follow(doc, raw, pointer)
    node = node if isinstance(node, Mapping) else {}
    schema, _ = follow(doc, node.get("schema", {}), (*node_ptr, "schema"))
    schema = schema if isinstance(schema, Mapping) else {}
    enum = node.get("enum", schema.get("enum"))
    pattern = node.get("pattern", schema.get("pattern"))
    return Parameter(
        name,
        tuple(str(v) for v in enum) if isinstance(enum, list) else None,
        pattern if isinstance(pattern, str) else None,
        node_ptr,
    )


def _read_v2(doc: Mapping) -> AsyncApi:
    channels: dict[str, Channel] = {}
    operations: dict[str, Operation] = {}
    for address, raw in (doc.get("channels") or {}).items():
        item, item_ptr = follow(doc, raw, ("channels", address))
        if not isinstance(item, Mapping):
            continue
        channel = Channel(str(address), str(address), ("channels", address))
        for name, param in (item.get("parameters") or {}).items():
            channel.parameters[str(name)] = _parameter(doc, str(name), param, (*item_ptr, "parameters", name))
        for verb, action in (("subscribe", SEND), ("publish", RECEIVE)):
            op = item.get(verb)
            if not isinstance(op, Mapping):
                continue
            op_ptr = (*item_ptr, verb)
            key = op["operationId"] if isinstance(op.get("operationId"), str) else f"{verb} {address}"
            operations[key] = Operation(key, action, str(address), op_ptr)
            channel.directions.add(action)
            raw_message = op.get("message")
            resolved, resolved_ptr = follow(doc, raw_message, (*op_ptr, "message"))
            if isinstance(resolved, Mapping) and isinstance(resolved.get("oneOf"), list):
                parts = [(m, (*resolved_ptr, "oneOf", i)) for i, m in enumerate(resolved["oneOf"])]
            elif raw_message is not None:
                parts = [(raw_message, (*op_ptr, "message"))]
            else:
                parts = []
            for index, (part, part_ptr) in enumerate(parts):
                message = _message(doc, part, part_ptr, f"message-{index}")
                message.name = f"{message.name} ({verb})"  # 2.x: a message belongs to its operation
                channel.messages.setdefault(message.name, message)
                channel.actions.setdefault(message.name, set()).add(action)
        channels[channel.address] = channel
    return AsyncApi(channels, operations, _servers(doc, v3=False))


def _channel_key(ref: Any) -> str | None:
    value = ref.get("$ref") if isinstance(ref, Mapping) else None
    if isinstance(value, str) and value.startswith("#/channels/"):
        return value.split("/")[2].replace("~1", "/").replace("~0", "~")
    return None


def _read_v3(doc: Mapping) -> AsyncApi:
    by_key: dict[str, Channel] = {}
    for key, raw in (doc.get("channels") or {}).items():
        item, item_ptr = follow(doc, raw, ("channels", key))
        if not isinstance(item, Mapping):
            continue
        address = item.get("address")
        channel = Channel(str(key), str(address) if isinstance(address, str) else str(key), ("channels", key))
        for name, param in (item.get("parameters") or {}).items():
            channel.parameters[str(name)] = _parameter(doc, str(name), param, (*item_ptr, "parameters", name))
        for name, message in (item.get("messages") or {}).items():
            channel.messages[str(name)] = _message(doc, message, (*item_ptr, "messages", name), str(name))
        by_key[str(key)] = channel
    operations: dict[str, Operation] = {}
    for key, raw in (doc.get("operations") or {}).items():
        op, op_ptr = follow(doc, raw, ("operations", key))
        if not isinstance(op, Mapping) or op.get("action") not in (SEND, RECEIVE):
            continue
        channel = by_key.get(_channel_key(op.get("channel")) or "")
        if channel is None:
            continue
        operations[str(key)] = Operation(str(key), op["action"], channel.address, op_ptr)
        channel.directions.add(op["action"])
        refs = op.get("messages") if isinstance(op.get("messages"), list) else None
        names = [
            r["$ref"].rsplit("/", 1)[-1]
            for r in refs or []
            if isinstance(r, Mapping) and isinstance(r.get("$ref"), str)
        ]
        for name in names if refs is not None else list(channel.messages):
            channel.actions.setdefault(name.replace("~1", "/").replace("~0", "~"), set()).add(op["action"])
    for channel in by_key.values():
        for name in channel.messages:
            channel.actions.setdefault(name, {SEND})  # a message no operation names: assume subscribers read it
    return AsyncApi({c.address: c for c in by_key.values()}, operations, _servers(doc, v3=True))


def _servers(doc: Mapping, v3: bool) -> dict[str, tuple[str, str, FieldPath]]:
    found: dict[str, tuple[str, str, FieldPath]] = {}
    for name, raw in (doc.get("servers") or {}).items():
        server, pointer = follow(doc, raw, ("servers", name))
        if isinstance(server, Mapping):
            host = server.get("host", "") if v3 else server.get("url", "")
            found[str(name)] = (str(server.get("protocol", "")), str(host), pointer)
    return found


def read(definition: Definition) -> AsyncApi:
    if definition.version.startswith("3."):
        return _read_v3(definition.data)
    return _read_v2(definition.data)


def _matches(value: str, pattern: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


CONSUMER_RULES = {
    "became-optional": ("message-property-became-optional", ERR, "{name} became optional"),
    "became-nullable": ("message-property-became-nullable", ERR, "{name} became nullable"),
    "enum-value-added": ("message-property-enum-value-added", WARN, "added the enum value(s) {new} to {name}"),
}
PRODUCER_RULES = {
    "enum-value-removed": ("message-property-enum-value-removed", ERR, "removed the enum value(s) {old} of {name}"),
    "became-enum": ("message-property-became-enum", ERR, "{name} was restricted to the enum values {new}"),
}


class AsyncApiComparison:
    def __init__(self, base: Definition, head: Definition, side: Side, impact: Impact) -> None:
        self.base, self.head = read(base), read(head)
        self.base_positions, self.head_positions = DefinitionPositions(base), DefinitionPositions(head)
        self.schemas = SchemaComparison(base.data, head.data)
        self.side, self.impact = side, impact
        self.subscribers = impact.subscribers(side.name, side.version)
        self.publishers = impact.publishers(side.name, side.version)
        self.found: list[Finding] = []

    def _add(self, id: str, level: Severity, text: str, location: SourceLocation, affected: Affected) -> None:
        self.found.append(
            finding(id, level, f"API {self.side.label}: {text}", location, api=self.side.label, affected=affected)
        )

    def _head(self, pointer: FieldPath) -> SourceLocation:
        return self.head_positions.locate(pointer)

    def _base(self, pointer: FieldPath) -> SourceLocation:
        return self.base_positions.locate(pointer)

    def _readers_and_writers(self, actions: set[str]) -> tuple[Affected, Affected]:
        return (self.subscribers if SEND in actions else (), self.publishers if RECEIVE in actions else ())

    def findings(self) -> list[Finding]:
        everyone = merge_affected(self.subscribers, self.publishers)
        for name, (protocol, host, pointer) in self.base.servers.items():
            now = self.head.servers.get(name)
            if now is None:
                self._add(
                    "server-removed",
                    ERR,
                    f"server '{name}' ({protocol} {host}) was removed",
                    self._base(pointer),
                    everyone,
                )
                continue
            if now[0] != protocol:
                self._add(
                    "server-protocol-changed",
                    ERR,
                    f"server '{name}' changed protocol from {protocol} to {now[0]}",
                    self._head((*now[2], "protocol")),
                    everyone,
                )
            if now[1] != host:
                self._add(
                    "server-host-changed",
                    ERR,
                    f"server '{name}' moved from {host} to {now[1]}",
                    self._head(now[2]),
                    everyone,
                )
        for key, op in self.base.operations.items():
            now = self.head.operations.get(key)
            users = merge_affected(*self._readers_and_writers({op.action}))
            if now is None:
                self._add(
                    "operation-removed",
                    ERR,
                    f"operation '{key}' ({op.action} on '{op.address}') was removed",
                    self._base(op.pointer),
                    users,
                )
            elif now.action != op.action:
                self._add(
                    "operation-action-changed",
                    ERR,
                    f"operation '{key}' on '{op.address}' changed from {op.action} to {now.action}",
                    self._head((*now.pointer, "action")),
                    everyone,
                )
        for address, channel in self.base.channels.items():
            now = self.head.channels.get(address)
            if now is None:
                self._add(
                    "channel-removed", ERR, f"channel '{address}' was removed", self._base(channel.pointer), everyone
                )
                continue
            self._parameters(channel, now)
            self._messages(channel, now)
        return self.found

    def _parameters(self, old: Channel, new: Channel) -> None:
        for name, param in old.parameters.items():
            now = new.parameters.get(name)
            if now is None:
                continue  # the address changed too: a removed channel
            where = f"parameter '{name}' of channel '{old.address}'"
            if now.enum is not None and param.enum is None:
                allowed = set(now.enum)
                affected = self._restricted(name, lambda values, allowed=allowed: not set(values) <= allowed)
                self._add(
                    "channel-parameter-became-enum",
                    ERR,
                    f"{where} was restricted to {', '.join(now.enum)}",
                    self._head((*now.pointer, "enum")),
                    affected,
                )
            elif now.enum is not None and param.enum is not None:
                removed = [v for v in param.enum if v not in now.enum]
                if removed:
                    gone = set(removed)
                    affected = self._restricted(name, lambda values, gone=gone: bool(set(values) & gone))
                    self._add(
                        "channel-parameter-enum-value-removed",
                        ERR,
                        f"{where} no longer allows {', '.join(removed)}",
                        self._head((*now.pointer, "enum")),
                        affected,
                    )
            if now.pattern is not None and now.pattern != param.pattern:
                pattern = now.pattern
                affected = self._restricted(name, lambda values, p=pattern: not all(_matches(v, p) for v in values))
                before = f"from '{param.pattern}' " if param.pattern else ""
                self._add(
                    "channel-parameter-pattern-changed",
                    WARN,
                    f"{where} changed its pattern {before}to '{now.pattern}'",
                    self._head(now.pointer),
                    affected,
                )

    def _restricted(self, parameter: str, loses: Any) -> Affected:
        """Subscribers that receive a value the change takes away (unrestricted ones receive every value),
        and the publishers, who may no longer send it."""

        def reached(sub: Subscription) -> bool:
            values = sub.spec.restrictions.get(parameter)
            return values is None or loses(values)

        return merge_affected(self.impact.subscribers(self.side.name, self.side.version, reached), self.publishers)

    def _messages(self, old: Channel, new: Channel) -> None:
        for name, message in old.messages.items():
            readers, writers = self._readers_and_writers(old.actions.get(name, set()))
            now = new.messages.get(name)
            where = f"message '{name}' on channel '{old.address}'"
            if now is None:
                if old.actions.get(name, set()) and not old.actions.get(name, set()) & new.directions:
                    continue  # its operation is gone or turned around: reported as such
                self._add(
                    "message-removed",
                    ERR,
                    f"{where} was removed",
                    self._base(message.pointer),
                    merge_affected(readers, writers),
                )
                continue
            if message.payload is None or now.payload is None:
                continue
            for change in self.schemas.changes(message.payload, now.payload):
                self._payload_change(change, where, readers, writers)

    def _payload_change(self, change: SchemaChange, where: str, readers: Affected, writers: Affected) -> None:
        name = f"property '{change.property}' of {where}" if change.property else f"the payload of {where}"
        head_at = self._head(change.head) if change.head is not None else None
        kind = change.kind
        if kind == "property-removed":
            id, level = (
                ("message-required-property-removed", ERR)
                if change.required
                else ("message-optional-property-removed", WARN)
            )
            self._add(id, level, f"removed {name}", self._base(change.base or ()), readers)
        elif (kind == "became-required" or (kind == "property-added" and change.required)) and not change.has_default:
            id = "message-required-property-added" if kind == "property-added" else "message-property-became-required"
            self._add(id, ERR, f"{name} is now required", head_at, merge_affected(readers, writers))
        elif kind == "type-changed":
            breaks_readers = readers and not types_within(change.new_types, change.old_types)
            breaks_writers = writers and not types_within(change.old_types, change.new_types)
            if breaks_readers or breaks_writers:
                id = "message-property-type-changed" if change.property else "message-payload-type-changed"
                affected = merge_affected(readers if breaks_readers else (), writers if breaks_writers else ())
                self._add(id, ERR, f"the type of {name} changed from {change.old} to {change.new}", head_at, affected)
        elif kind == "format-changed":
            id = "message-property-type-changed" if change.property else "message-payload-type-changed"
            self._add(
                id,
                ERR,
                f"the format of {name} changed from {change.old or 'none'} to {change.new or 'none'}",
                head_at,
                merge_affected(readers, writers),
            )
        elif kind in CONSUMER_RULES and readers:
            id, level, text = CONSUMER_RULES[kind]
            self._add(id, level, text.format(name=name, new=change.new, old=change.old), head_at, readers)
        elif kind in PRODUCER_RULES and writers:
            id, level, text = PRODUCER_RULES[kind]
            self._add(id, level, text.format(name=name, new=change.new, old=change.old), head_at, writers)


def compare(base: Definition, head: Definition, side: Side, impact: Impact) -> list[Finding]:
    return AsyncApiComparison(base, head, side, impact).findings()


__all__ = ["compare", "show"]
