"""Fuzzing the loader and validator: any input ends in diagnostics, never a crash, hang or traceback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from apictl_cli import EXAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apictl.load import result_cache
from apictl.load.bundle_loader import load_bundle
from apictl.model.manifests import KINDS
from apictl.render import check_environments
from apictl.validate import validate

FUZZ = settings(
    max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICTL_CACHE", "off")
    result_cache.default.cache_clear()


def _check(files: dict[str, bytes]) -> None:
    root = Path(tempfile.mkdtemp(prefix="apictl-fuzz-"))
    try:
        shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
        for name, content in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)
        bundle = load_bundle(str(root))
        diagnostics = validate(bundle)
        if not any(d.severity == "error" for d in diagnostics):
            check_environments(bundle)
        for d in diagnostics:
            assert d.code and d.message and (d.location is None or d.location.line >= 0)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(content: bytes) -> None:
    _check({"apis/fuzz.yaml": b"# apictl.io/\n" + content})


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("{}[]:-&*!|>'\"#,?\n\t %@`abc01.")), max_size=400))
def test_yaml_punctuation(text: str) -> None:
    _check({"apis/fuzz.yaml": ("apiVersion: apictl.io/v1alpha1\n" + text).encode()})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)


@FUZZ
@given(
    st.sampled_from(sorted(KINDS)),
    st.dictionaries(st.sampled_from(["spec", "metadata", "status", "x"]), JSON, max_size=3),
)
def test_random_manifests(kind: str, body: dict) -> None:
    document = {"apiVersion": "apictl.io/v1alpha1", "kind": kind, **body}
    _check({"fuzz/doc.yaml": yaml.safe_dump(document).encode()})


EXAMPLE_FILES = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.yaml"))


@FUZZ
@given(st.sampled_from(EXAMPLE_FILES), st.data())
def test_mutated_example_files(name: str, data: st.DataObject) -> None:
    lines = (EXAMPLE / name).read_text().splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["drop", "duplicate", "indent", "dedent", "garble"]))
    line = lines[index]
    if action == "drop":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, line)
    elif action == "indent":
        lines[index] = "  " + line
    elif action == "dedent":
        lines[index] = line.lstrip()
    else:
        position = data.draw(st.integers(0, max(0, len(line) - 1)))
        lines[index] = line[:position] + data.draw(st.text(max_size=3)) + line[position + 1 :]
    _check({name: "".join(lines).encode("utf-8", "surrogatepass")})
