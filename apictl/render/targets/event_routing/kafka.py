"""Kafka topic names and topic ACL resources of a grant."""

from __future__ import annotations

import itertools
import re
from typing import Literal

from apictl.render.targets.event_routing.views import EventChannel, Grant

KAFKA_TOPIC = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
MAX_EXPANSION = 256
"""Most topics one channel may expand to."""


def topic_names(channel: EventChannel) -> list[str]:
    """Every topic of a channel: the product of its leading bounded levels."""
    choices = [
        (lv.text,) if lv.parameter is None else tuple(lv.parameter.enum or ())
        for lv in channel.levels[: channel.topic_levels]
    ]
    return [".".join(combo) for combo in itertools.product(*choices)]


def record_key(channel: EventChannel) -> str:
    """The template of the record key: the levels that are not in the topic name ("" if none)."""
    return ".".join(lv.text for lv in channel.levels[channel.topic_levels :])


def acl_resources(grant: Grant) -> list[tuple[str, Literal["literal", "prefix"]]]:
    """Topic ACL resources for a grant whose restricted parameters are all in the topic name.

    Levels up to the last restricted one are enumerated; a trailing ``.`` makes the prefix stop at
    a level boundary (``api.R1.`` does not match ``api.R10.x``).
    """
    channel = grant.channel
    last = grant.last_restricted
    reach = last if last is not None else channel.fixed_prefix - 1
    if reach < 0:
        return [(name, "literal") for name in topic_names(channel)]
    choices = []
    for lv in channel.levels[: reach + 1]:
        if lv.parameter is None:
            choices.append((lv.text,))
        else:
            choices.append(grant.allowed.get(lv.parameter.name, tuple(lv.parameter.enum or ())))
    names = [".".join(combo) for combo in itertools.product(*choices)]
    if reach == channel.topic_levels - 1:
        return [(name, "literal") for name in names]
    return [(f"{name}.", "prefix") for name in names]


def non_leading_restrictions(grant: Grant) -> list[str]:
    """Restricted parameters that are not part of the Kafka topic name."""
    limit = grant.channel.topic_levels
    return [name for name in grant.allowed if (grant.channel.index(name) or 0) >= limit]
