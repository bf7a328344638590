"""cluster: the only package that imports `kubernetes`."""
