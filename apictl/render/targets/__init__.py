"""One module per target. Each exposes TARGET, an object that satisfies render.target.Target."""
