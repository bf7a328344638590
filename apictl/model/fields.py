"""Reusable constrained field types for the manifests."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
"""An RFC 1123 label: lowercase letters, digits and '-', at most 63 characters."""

Hostname = Annotated[
    str,
    StringConstraints(
        pattern=r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        max_length=253,
    ),
]
BasePath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$", max_length=1024)]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$", max_length=256)]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveInt = Annotated[int, Field(gt=0)]

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNIT_MS = (86_400_000, 3_600_000, 60_000, 1_000, 1)


def duration_ms(text: str) -> int:
    """Milliseconds of a duration such as ``1h30m``, ``500ms`` or ``7d``."""
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write it like 30s, 1m30s, 500ms, 2h or 7d")
    return sum(int(g or 0) * unit for g, unit in zip(match.groups(), _UNIT_MS, strict=True))


def _check_duration(text: str) -> str:
    duration_ms(text)
    return text


Duration = Annotated[str, AfterValidator(_check_duration)]
"""A duration: days, hours, minutes, seconds, milliseconds, e.g. ``1m30s``."""

_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$|^[0-9a-fA-F:]+/\d{1,3}$")


def _check_cidr(text: str) -> str:
    import ipaddress

    if not _CIDR.match(text):
        raise ValueError(f"{text!r} is not a CIDR block such as 203.0.113.0/24")
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid CIDR block: {exc}") from None
    return text


Cidr = Annotated[str, AfterValidator(_check_cidr)]
