"""Where repository files come from: a directory on disk, or a git revision read without checkout."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 32 * 1024 * 1024
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})


class SourceError(Exception):
    """A file cannot be read. ``code`` is a stable diagnostic code."""

    def __init__(self, code: str, message: str, hint: str = "", line: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.line = line


class Source(Protocol):
    root: str
    """The repository root as shown to users (a path, or ``path@revision``)."""
    revision: str | None

    def yaml_files(self) -> list[str]:
        """Repository-relative POSIX paths of every YAML file, sorted."""

    def read_bytes(self, path: str) -> bytes:
        """The bytes of a repository-relative file. Raises SourceError."""

    def display(self, path: str) -> str:
        """The file name shown in messages."""

    def content_id(self) -> str | None:
        """An id that changes whenever any file changes (a git tree id), or None when unknown."""


def join_inside(base_file: str, reference: str) -> str:
    """Resolve ``reference`` relative to the directory of ``base_file``, inside the repository.

    Raises SourceError when the result escapes the repository root.
    """
    if reference.startswith("/") or "\\" in reference or "\x00" in reference:
        raise SourceError(
            "path-outside-repository",
            f"definition path {reference!r} must be a relative path inside the repository",
            hint="use a path relative to the manifest, such as ../openapi/assets.yaml",
        )
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), reference))
    if joined == ".." or joined.startswith("../"):
        raise SourceError(
            "path-outside-repository",
            f"definition path {reference!r} leads outside the repository",
            hint="keep API definitions inside the repository that holds the manifests",
        )
    return joined


def decode_text(data: bytes, file: str) -> str:
    if b"\x00" in data[:8192]:
        raise SourceError(
            "file-binary",
            f"{file} is a binary file, not YAML or JSON text",
            hint="remove it, or rename it so that it does not end in .yaml/.yml",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            "file-not-utf8",
            f"{file} is not UTF-8 text (invalid byte at offset {exc.start}, line {line})",
            hint="save the file as UTF-8",
            line=line,
        ) from None


def _too_large(file: str, size: int) -> SourceError:
    return SourceError(
        "file-too-large",
        f"{file} is {size:,} bytes; apictl reads files of at most {MAX_FILE_BYTES:,} bytes",
        hint="split the file, or check that it is the file you meant to reference",
    )


@dataclass(frozen=True)
class DirectorySource:
    path: Path
    root: str
    revision: str | None = None
    _walked: set[str] = field(default_factory=set, repr=False, compare=False)
    _read: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, path: str) -> DirectorySource:
        return cls(Path(path).resolve(), path.rstrip("/") or ".")

    def yaml_files(self) -> list[str]:
        found: list[str] = []
        for current, dirs, files in os.walk(self.path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            rel_dir = Path(current).relative_to(self.path).as_posix()
            for name in files:
                if name.endswith(YAML_SUFFIXES):
                    found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
        self._walked.update(found)
        return sorted(found)

    def read_bytes(self, path: str) -> bytes:
        if path not in self._read:
            self._read[path] = self._read_checked(path)
        return self._read[path]

    def _read_checked(self, path: str) -> bytes:
        full = self.path / path
        shown = self.display(path)
        if path in self._walked and not os.path.islink(full):
            return self._read_regular(full, shown)  # found by the walk, which never follows links
        try:
            real = full.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            raise SourceError(
                "file-not-found",
                f"{shown} does not exist",
                hint="check the path; definition paths are relative to the manifest's directory",
            ) from None
        if not real.is_relative_to(self.path):
            raise SourceError(
                "path-outside-repository",
                f"{shown} is a symbolic link that leads outside the repository",
                hint="copy the file into the repository instead of linking to it",
            )
        if not real.is_file():
            raise SourceError(
                "file-not-found", f"{shown} is not a regular file", hint="point at a file, not a directory or a device"
            )
        return self._read_regular(real, shown)

    @staticmethod
    def _read_regular(file: Path, shown: str) -> bytes:
        with open(file, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise _too_large(shown, size)
            return handle.read()

    def display(self, path: str) -> str:
        return path if self.root == "." else f"{self.root}/{path}"

    def content_id(self) -> str | None:
        return None


@dataclass(frozen=True)
class GitSource:
    """A directory of a git repository at a revision, read from git objects (no checkout)."""

    repo_dir: Path
    prefix: str
    commit_sha: str
    root: str
    revision: str | None
    _tree: object

    @classmethod
    def open(cls, path: str, ref: str) -> GitSource:
        import git

        try:
            repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise SourceError(
                "git-not-a-repository",
                f"{path} is not inside a git repository, so --ref {ref} cannot be read",
                hint="run apictl from a git clone, or drop --ref to read the files on disk",
            ) from None
        try:
            commit = repo.commit(ref)
            tree = commit.tree  # resolves the object now: a shallow clone may lack it
        except (git.BadName, ValueError, git.GitCommandError):
            raise SourceError(
                "git-unknown-revision",
                f"revision {ref!r} is not in this clone",
                hint=f"fetch it first, e.g. `git fetch origin {ref}` (shallow CI clones: `git fetch --deepen=50 origin`)",
            ) from None
        top = Path(repo.working_tree_dir or repo.git_dir).resolve()
        prefix = Path(path).resolve().relative_to(top).as_posix()
        if prefix != ".":
            try:
                tree = tree / prefix
            except KeyError:
                raise SourceError(
                    "git-path-missing",
                    f"{path} does not exist at revision {ref}",
                    hint="check the path, or pick a revision that has it",
                ) from None
        shown = path.rstrip("/") or "."
        return cls(top, "" if prefix == "." else prefix, commit.hexsha, shown, commit.hexsha, tree)

    def yaml_files(self) -> list[str]:
        found = []
        for item in self._tree.traverse():  # type: ignore[attr-defined]
            if item.type == "blob" and item.path.endswith(YAML_SUFFIXES):
                rel = item.path[len(self.prefix) + 1 :] if self.prefix else item.path
                if not any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.split("/")[:-1]):
                    found.append(rel)
        return sorted(found)

    def read_bytes(self, path: str) -> bytes:
        shown = self.display(path)
        try:
            blob = self._tree / path  # type: ignore[operator]
        except KeyError:
            raise SourceError(
                "file-not-found",
                f"{shown} does not exist at revision {self.commit_sha[:12]}",
                hint="check the path, or commit the file",
            ) from None
        if blob.type != "blob":
            raise SourceError("file-not-found", f"{shown} is not a file", hint="point at a file, not a directory")
        if blob.mode == 0o120000:
            raise SourceError(
                "path-outside-repository",
                f"{shown} is a symbolic link; apictl does not follow links in git revisions",
                hint="commit the file itself instead of a link",
            )
        if blob.size > MAX_FILE_BYTES:
            raise _too_large(shown, blob.size)
        return blob.data_stream.read()

    def content_id(self) -> str | None:
        return f"git-tree {self._tree.hexsha}"  # type: ignore[attr-defined]

    def display(self, path: str) -> str:
        return path if self.root == "." else f"{self.root}/{path}"
