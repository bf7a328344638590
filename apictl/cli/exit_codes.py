"""The one exit-code table every apictl command uses (documented in README.md)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Success; for diff and plan: nothing to change."""
    CHANGES = 1
    """diff/plan only: changes were found (like `kubectl diff`)."""
    USAGE = 2
    """Bad command line: unknown flag, missing argument, conflicting options."""
    INVALID = 3
    """The repository is invalid: YAML, schema, definition, reference or governance errors."""
    CLUSTER = 4
    """The cluster could not be reached, refused the credentials, or answered with an error."""
    APPLY_FAILED = 5
    """apply: some objects failed or were rejected; nothing was pruned."""
    REFUSED = 6
    """A safety check refused to act: stale plan, lock held, foreign ApplySet, unconfirmed prune-all or context."""
    BREAKING = 7
    """breaking: findings at or above --fail-on."""
    INTERNAL = 70
    """A bug in apictl: please report it with the output of --debug."""
    INTERRUPTED = 130
    """Interrupted by Ctrl-C or SIGTERM; re-running converges."""
