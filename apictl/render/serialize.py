"""Rendered objects as text: a multi-document YAML stream (kubectl apply -f - accepts it) or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from apictl.model.objects import RenderedObject

TOP_ORDER = ("apiVersion", "kind", "metadata")


def _ordered(body: Mapping[str, Any]) -> dict[str, Any]:
    first = {k: body[k] for k in TOP_ORDER if k in body}
    rest = {k: body[k] for k in sorted(body) if k not in first}
    return {**first, **rest}


class _Dumper(yaml.CSafeDumper):
    """Plain YAML: shared Python objects are written out in full, never as &anchors/*aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(objects: Iterable[RenderedObject]) -> str:
    docs = [
        yaml.dump(
            _ordered(o.body), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
        )
        for o in objects
    ]
    return "".join(f"---\n{doc}" for doc in docs)


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_deep(v) for v in value]
    return value


def canonical(body: Mapping[str, Any]) -> dict[str, Any]:
    """Keys sorted at every level below the top, top keys in Kubernetes order."""
    return _ordered({k: _sorted_deep(v) for k, v in body.items()})


def to_json(objects: Iterable[RenderedObject]) -> str:
    items = [canonical(o.body) for o in objects]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2) + "\n"
