"""Fault injection between apictl and the test API server.

- :mod:`faults.injector`: an HTTP-level injector (TLS terminated with the k8senv PKI, forwarded to the
  API server as the admin identity) answering chosen requests with 429 + Retry-After, 500/503 bursts,
  409 conflicts, or slower than the client timeout, by rule; it counts every fault it injects.
- :mod:`faults.toxiproxy`: Toxiproxy (built from its Go module by ``scripts/toxiproxy``) in front of
  it, for TCP faults: connection resets mid-request, latency, and the server "down" for N seconds.

Chain: apictl → Toxiproxy (TCP) → injector (HTTP) → kube-apiserver.
"""
