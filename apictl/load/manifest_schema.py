"""Turn a parsed YAML document into a typed manifest, or into diagnostics that say how to fix it."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from apictl.model.diagnostics import Diagnostic, error
from apictl.model.manifests import API_VERSION, KINDS, AnyManifest
from apictl.model.source import FieldPath, SourceMap


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"expected one of: {', '.join(options)}" if options else ""


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types behind Optional/Union/Annotated/list/dict value types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """YAML field names allowed at ``loc`` (a pydantic error location) below ``model``."""
    candidates: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        tagged: list[Any] = []
        for candidate in candidates:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        following.extend(_unwrap(info.annotation))
                tag = candidate.model_fields.get("type")
                if tag is not None and part in typing.get_args(tag.annotation):
                    tagged.append(candidate)  # a discriminated-union tag in the location
            elif origin in (list, dict):
                following.extend(_unwrap(typing.get_args(candidate)[-1]))
        candidates = following or tagged
    return {
        info.alias or name
        for candidate in candidates
        if isinstance(candidate, type) and issubclass(candidate, BaseModel)
        for name, info in candidate.model_fields.items()
    }


def data_path(data: Any, loc: tuple[Any, ...]) -> FieldPath:
    """The path inside ``data`` named by a pydantic location, skipping union tags and validators."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, Mapping) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            current = current[part]
            path.append(part)
    return tuple(path)


def _dotted(path: FieldPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _diagnostic(model: type[BaseModel], data: Any, source: SourceMap, err: Any, subject: str) -> Diagnostic:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "union_tag_invalid":  # point at the tag itself, e.g. spec.security.type
        loc = (*loc, str(err.get("ctx", {}).get("discriminator", "")).strip("'"))
    path = data_path(data, loc)
    if kind == "extra_forbidden":
        field = str(loc[-1])
        allowed = _fields_at(model, loc[:-1])
        return error(
            "schema-unknown-field",
            f"{subject}: unknown field {field!r} in {_dotted(path[:-1])}",
            source.locate(path, key=True),
            did_you_mean(field, allowed),
        )
    if kind == "missing":
        field = str(loc[-1])
        return error(
            "schema-missing-field",
            f"{subject}: required field {_dotted((*path, field))} is missing",
            source.locate(path, key=True),
            f"add {field}: to {_dotted(path)}",
        )
    message = err["msg"].removeprefix("Value error, ")
    shown = _dotted(path)
    if kind == "union_tag_invalid":
        tag, expected = str(err["ctx"].get("tag")), str(err["ctx"].get("expected_tags", ""))
        choices = [t.strip(" '") for t in expected.split(",")]
        return error(
            "schema-invalid-value",
            f"{subject}: {shown}: {tag!r} is not one of {expected}",
            source.locate(path, key=True),
            did_you_mean(tag, choices),
        )
    got = err.get("input")
    suffix = (
        f" (got {got!r})"
        if kind not in ("model_type", "dict_type") and isinstance(got, str | int | float | bool)
        else ""
    )
    return error(
        "schema-invalid-value",
        f"{subject}: {shown}: {message}{suffix}",
        source.locate(path, key=True),
        "see the manifest reference in docs/manifests.md",
    )


def parse_manifest(data: Mapping[str, Any], source: SourceMap) -> tuple[AnyManifest | None, list[Diagnostic]]:
    """Validate one apictl document. Returns the typed manifest, or None with diagnostics."""
    api_version = data.get("apiVersion")
    if api_version != API_VERSION:
        return None, [
            error(
                "schema-unsupported-api-version",
                f"apiVersion {api_version!r} is not supported",
                source.locate(("apiVersion",)),
                f"use apiVersion: {API_VERSION}",
            )
        ]
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None, [
            error(
                "schema-unknown-kind",
                f"unknown kind {kind!r}",
                source.locate(("kind",)),
                did_you_mean(str(kind), KINDS),
            )
        ]
    name = data.get("metadata", {}).get("name") if isinstance(data.get("metadata"), Mapping) else None
    subject = f"{kind} {name!r}" if isinstance(name, str) else str(kind)
    try:
        return model.model_validate(data), []  # type: ignore[return-value]
    except ValidationError as exc:
        return None, [_diagnostic(model, data, source, err, subject) for err in exc.errors()]
