"""MQTT topics, AMQP routing keys, binding keys, and the RabbitMQ permission regexes of a grant."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from apictl.render.targets.event_routing.views import EventChannel, Grant

_REGEX_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")

# Regex pieces for RabbitMQ permissions (Erlang `re`, PCRE syntax).
WORD_IN_KEY = r"[^.*#\s]+"
"""One level of a concrete routing key (as published)."""
WORD_IN_BINDING = r"[^.#\s]+"
"""One level of a binding key: a word or the single-level wildcard `*`, never `#`."""
ANY_TAIL = r"(?:\.[^.\s]+)*"
"""Any further levels of a binding key, wildcards included."""


def mqtt_to_routing_key(topic: str) -> str:
    """``api/R1/+/+/alarm`` -> ``api.R1.*.*.alarm`` (RabbitMQ's MQTT plugin does the same)."""
    return topic.replace("/", ".").replace("+", "*")


def routing_key_to_mqtt(key: str) -> str:
    return key.replace(".", "/").replace("*", "+")


def escape(text: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def alternation(values: Iterable[str]) -> str:
    items = [escape(v) for v in values]
    return items[0] if len(items) == 1 else f"(?:{'|'.join(items)})"


def anchored(patterns: Iterable[str]) -> str:
    """``^(?:a|b)$``; ``^$`` (nothing) when there is no pattern."""
    items = list(dict.fromkeys(patterns))
    if not items:
        return "^$"
    return f"^{items[0]}$" if len(items) == 1 else f"^(?:{'|'.join(items)})$"


def _binding_reach(grant: Grant) -> int:
    """Index of the last level a binding key must spell out: the last restricted level, or the
    last fixed leading level when nothing is restricted (-1: the whole exchange)."""
    last = grant.last_restricted
    return last if last is not None else grant.channel.fixed_prefix - 1


def binding_keys(grant: Grant) -> list[str]:
    """Binding keys that receive exactly the grant: ``api.R1.#``, ``api.R1.*.*.alarm``, ..."""
    levels = grant.channel.levels
    reach = _binding_reach(grant)
    if reach < 0:
        return ["#"]
    choices = []
    for lv in levels[: reach + 1]:
        if lv.parameter is None:
            choices.append((lv.text,))
        else:
            choices.append(grant.allowed.get(lv.parameter.name, ("*",)))
    tail = [] if reach == len(levels) - 1 else ["#"]
    return [".".join([*combo, *tail]) for combo in itertools.product(*choices)]


def read_pattern(grant: Grant) -> str:
    """Regex (unanchored) admitting the binding keys that stay within the grant.

    Restricted levels must be spelled out with an allowed value; levels before the last restricted
    one may be a value or `*` but never `#` (which could swallow a restricted level).
    """
    levels = grant.channel.levels
    reach = _binding_reach(grant)
    if reach < 0:
        return ".*"
    parts = []
    for lv in levels[: reach + 1]:
        if lv.parameter is None:
            parts.append(escape(lv.text))
        elif lv.parameter.name in grant.allowed:
            parts.append(alternation(grant.allowed[lv.parameter.name]))
        elif lv.parameter.enum is not None:
            parts.append(alternation([*lv.parameter.enum, "*"]))
        else:
            parts.append(WORD_IN_BINDING)
    body = r"\.".join(parts)
    return body if reach == len(levels) - 1 else body + ANY_TAIL


def write_pattern(channel: EventChannel) -> str:
    """Regex (unanchored) admitting the concrete routing keys of the channel (enums enforced)."""
    parts = []
    for lv in channel.levels:
        if lv.parameter is None:
            parts.append(escape(lv.text))
        elif lv.parameter.enum is not None:
            parts.append(alternation(lv.parameter.enum))
        else:
            parts.append(WORD_IN_KEY)
    return r"\.".join(parts)
