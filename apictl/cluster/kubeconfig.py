"""Find cluster credentials the way kubectl does.

Precedence: ``--kubeconfig FILE``, then ``$KUBECONFIG`` (a list of files, merged), then
``~/.kube/config``; when none of those exists and apictl runs in a pod, the in-cluster service
account. ``--context`` picks a context from the kubeconfig (default: its current-context).
"""

from __future__ import annotations

import os
from pathlib import Path

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from apictl.reconcile.errors import ConfigError

DEFAULT_KUBECONFIG = Path.home() / ".kube" / "config"


def load_configuration(kubeconfig: str | None, context: str | None) -> client.Configuration:
    configuration = client.Configuration()
    source = _kubeconfig_source(kubeconfig)
    try:
        if source is None:
            if context:
                raise ConfigError(f"--context {context!r} needs a kubeconfig, and none was found")
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(
                config_file=source, context=context, client_configuration=configuration, persist_config=False
            )
    except ConfigException as exc:
        raise ConfigError(
            f"cannot use the cluster configuration: {exc}",
            "pass --kubeconfig/--context, set KUBECONFIG, or check `kubectl config get-contexts`",
        ) from None
    except ValueError:  # undecodable *-data (binascii.Error); the value itself is never shown
        raise ConfigError(
            "cannot use the cluster configuration: a certificate or key (*-data) in the kubeconfig is not valid base64",
            "check the kubeconfig's client-certificate-data, client-key-data and certificate-authority-data",
        ) from None
    return configuration


def context_name(kubeconfig: str | None, context: str | None) -> str | None:
    """The kube context apictl will use: ``--context``, else the kubeconfig's current-context
    (None in a pod without a kubeconfig)."""
    if context:
        return context
    source = _kubeconfig_source(kubeconfig)
    if source is None:
        return None
    try:
        _, active = config.list_kube_config_contexts(config_file=source)
    except ConfigException:
        return None
    return str(active.get("name")) if active else None


def _kubeconfig_source(explicit: str | None) -> str | None:
    if explicit:
        if not Path(explicit).is_file():
            raise ConfigError(f"kubeconfig {explicit!r} does not exist")
        return explicit
    env = os.environ.get("KUBECONFIG", "")
    paths = [p for p in env.split(os.pathsep) if p]
    if paths:
        if not any(Path(p).is_file() for p in paths):
            raise ConfigError(f"none of the files in KUBECONFIG exists: {env}")
        return env
    if DEFAULT_KUBECONFIG.is_file():
        return str(DEFAULT_KUBECONFIG)
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return None
    raise ConfigError(
        "no cluster configuration: no --kubeconfig, KUBECONFIG or ~/.kube/config, and not running in a cluster",
        "point apictl at a cluster with --kubeconfig or KUBECONFIG",
    )
