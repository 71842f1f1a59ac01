"""A fleet of backend services: names, owning teams, tiers, chat channels.

Shared by the operations families (config roll-outs, log triage): each draws a fleet and
builds its own files (configs, logs) over it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SERVICE_NAMES", "TEAMS", "Service", "fleet"]

SERVICE_NAMES = (
    "billing-api", "billing-worker", "checkout-web", "ledger-sync", "invoice-render",
    "fraud-score", "search-api", "catalog-sync", "media-resize", "auth-gateway",
    "session-store", "notify-push", "report-builder", "geo-lookup", "cart-service",
    "payment-router", "inventory-db", "pricing-engine", "email-relay", "audit-trail",
    "profile-api", "token-issuer", "order-queue", "shipping-quote",
)
TEAMS = ("payments", "storefront", "identity", "data", "platform")


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    tier: int
    """1 (customer-facing, critical) to 3 (internal, best effort)."""

    @property
    def channel(self) -> str:
        """The owning team's on-call chat channel (without ``#``)."""
        return f"oncall-{self.team}"


def fleet(rng: random.Random, count: int, teams: Sequence[str] = TEAMS) -> list[Service]:
    """``count`` services with distinct names, each owned by one of ``teams`` (every team
    owns at least one while there are enough services), sorted by name."""
    if not 1 <= count <= len(SERVICE_NAMES):
        raise ValueError(f"a fleet has 1 to {len(SERVICE_NAMES)} services, not {count}")
    names = rng.sample(SERVICE_NAMES, count)
    owners = list(teams[:count]) + [rng.choice(list(teams)) for _ in range(count - len(teams))]
    rng.shuffle(owners)
    return sorted((Service(n, t, rng.choice((1, 1, 2, 2, 3))) for n, t in zip(names, owners,
                                                                             strict=True)),
                  key=lambda s: s.name)
