"""Who a change reaches: the base revision's subscriptions (and an event API's publishers), per environment.

The base revision is what runs today, so its consumers are the ones a change can break, even when
the same pull request also edits or removes their subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apictl.model.bundle import Bundle
from apictl.model.manifests import API, Subscription
from apictl.validate.breaking.findings import Affected, affected_of, merge_affected

SubscriptionFilter = Callable[[Subscription], bool]


@dataclass(frozen=True)
class Impact:
    subscriptions: tuple[Subscription, ...]
    apis: dict[tuple[str, str], API]

    @classmethod
    def of(cls, base: Bundle) -> Impact:
        return cls(
            tuple(sub for sub, _ in base.subscriptions()),
            {(api.metadata.name, api.spec.version): api for api, _ in base.apis()},
        )

    def _deployed(self, sub: Subscription) -> list[str]:
        api = self.apis.get((sub.spec.api.name, sub.spec.api.version))
        envs = sub.spec.environments
        return [env for env in envs if api is None or env in api.spec.environments]

    def subscribers(self, name: str, version: str, where: SubscriptionFilter | None = None) -> Affected:
        """Applications subscribed to this API version, in the environments where both are deployed."""
        found: dict[str, set[str]] = {}
        for sub in self.subscriptions:
            if (sub.spec.api.name, sub.spec.api.version) != (name, version):
                continue
            if where is not None and not where(sub):
                continue
            for env in self._deployed(sub):
                found.setdefault(env, set()).add(sub.spec.application)
        return affected_of(found)

    def publishers(self, name: str, version: str) -> Affected:
        """An event API's publishers, in every environment the API is deployed to."""
        api = self.apis.get((name, version))
        if api is None or not api.spec.publishers:
            return ()
        return affected_of({env: api.spec.publishers for env in api.spec.environments})

    def everyone(self, name: str, version: str) -> Affected:
        return merge_affected(self.subscribers(name, version), self.publishers(name, version))

    def on_plan(self, plan: str, environment: str | None = None, api_type: str | None = None) -> Affected:
        """Applications subscribed with this plan (optionally: in one environment, to APIs of one type)."""
        found: dict[str, set[str]] = {}
        for sub in self.subscriptions:
            if sub.spec.plan != plan:
                continue
            api = self.apis.get((sub.spec.api.name, sub.spec.api.version))
            if api_type is not None and (api is None or api.spec.type != api_type):
                continue
            for env in self._deployed(sub):
                if environment is None or env == environment:
                    found.setdefault(env, set()).add(sub.spec.application)
        return affected_of(found)

    def of_subscription(self, sub: Subscription, environments: Iterable[str] | None = None) -> Affected:
        envs = [env for env in self._deployed(sub) if environments is None or env in set(environments)]
        return affected_of({env: [sub.spec.application] for env in envs})
