"""reconcile: pure planning of desired vs live objects, and execution through a small cluster port."""
