"""Read a repository (a directory or a git revision) into a Bundle, keeping source positions."""
