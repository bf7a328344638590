"""apictl: manage REST and event APIs as code on Kubernetes gateways and brokers."""

__version__ = "0.1.0"
