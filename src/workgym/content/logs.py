"""Service logs for operations tasks: a day of request traffic, everyday noise, and an
incident that spreads from one failing service to the services that call it.

Every line reads ``<time> <LEVEL> <service> [req=<id>] <message>`` with times in UTC to
the millisecond (``2026-03-02T14:03:17.412Z``). Error messages are ``<Type>: <message>``
followed by details in parentheses; an error caused by a service called has the detail
``upstream=<that service>``.

- :func:`traffic`: the everyday lines of one service over a window (requests, slow-request
  warnings, the odd error of its own), drawn from the setting alone;
- :class:`Incident` and :func:`incident_lines`: a root failure and the errors it causes
  upstream along call chains;
- :func:`render`: lines sorted by time, as a log file's bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["NOISE", "ROOT_CAUSES", "Incident", "LogLine", "incident_lines", "render",
           "stamp", "traffic"]

ROOT_CAUSES = (
    ("PoolExhausted: connection pool exhausted", "active={a}, waiting={b}"),
    ("DiskFull: no space left on /var/lib/data", "free=0B, used={a}GB"),
    ("OutOfMemory: heap limit reached", "heap={a}MB, limit={a}MB"),
    ("CertificateExpired: upstream TLS certificate has expired", "serial={b}{a}"),
    ("DeadlockDetected: transaction aborted after lock wait", "waited={a}ms, lock=orders"),
    ("ConfigError: missing required setting payments.api_key", "reload={b}"),
    ("QueueFull: work queue rejected a job", "depth={a}, capacity={a}"),
    ("DnsFailure: cannot resolve the database host", "attempts={b}, resolver=10.0.0.2"),
)
"""Errors a failing service logs: (signature, details pattern)."""
NOISE = (
    ("ClientAbort: client closed the connection", "sent={a}B"),
    ("ValidationError: request payload is invalid", "field=email"),
    ("RateLimited: too many requests from one client", "limit={a}/min"),
    ("NotFound: no such record", "id={b}{a}"),
    ("Unauthorized: token expired", "age={a}s"),
)
"""Everyday errors of any service, unrelated to incidents."""
_PATHS = ("/health", "/v1/items", "/v1/orders", "/v1/users/me", "/v1/search", "/v1/prices",
          "/v1/cart", "/v1/sessions", "/v1/reports", "/v1/events")
_WARNINGS = ("slow request", "retrying a call after a timeout", "cache miss storm")
_PRECURSOR = {
    "PoolExhausted": "connection pool usage above 90%",
    "DiskFull": "disk usage above 95% on /var/lib/data",
    "OutOfMemory": "heap usage above 90%",
    "CertificateExpired": "upstream TLS certificate expires soon",
    "DeadlockDetected": "lock wait above 1s on orders",
    "ConfigError": "configuration reload requested",
    "QueueFull": "work queue above 90% of capacity",
    "DnsFailure": "DNS lookup took more than 2s",
}


@dataclass(frozen=True)
class LogLine:
    at: datetime
    level: str
    service: str
    request: str
    message: str

    def text(self) -> str:
        return f"{stamp(self.at)} {self.level:<5} {self.service} [req={self.request}] " \
               f"{self.message}"


def stamp(when: datetime) -> str:
    """A log time: UTC, milliseconds, ``Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _request(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


def _fill(rng: random.Random, pattern: str) -> str:
    return pattern.format(a=rng.randint(2, 99), b=rng.choice("abcdef"))


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds() * 1000)
    return start + timedelta(milliseconds=rng.randrange(max(1, span)))


def traffic(rng: random.Random, service: str, start: datetime, end: datetime, lines: int,
            errors: int) -> list[LogLine]:
    """Everyday lines of ``service`` between ``start`` and ``end``: requests, a few slow
    ones, and ``errors`` everyday errors of its own, at times drawn uniformly."""
    out = []
    for _ in range(lines):
        when = _moment(rng, start, end)
        if rng.random() < 0.04:
            out.append(LogLine(when, "WARN", service, _request(rng),
                               f"{rng.choice(_WARNINGS)} ({rng.randint(900, 4000)}ms)"))
        else:
            status = rng.choice((200, 200, 200, 200, 201, 204, 304, 404))
            out.append(LogLine(when, "INFO", service, _request(rng),
                               f"{rng.choice(('GET', 'GET', 'POST', 'PUT'))} "
                               f"{rng.choice(_PATHS)} {status} {rng.randint(2, 400)}ms"))
    for _ in range(errors):
        signature, details = rng.choice(NOISE)
        out.append(LogLine(_moment(rng, start, end), "ERROR", service, _request(rng),
                           f"{signature} ({_fill(rng, details)})"))
    return out


@dataclass(frozen=True)
class Incident:
    """A failing service and the call chains through which its failure shows."""

    root: str
    signature: str
    details: str
    start: datetime
    end: datetime
    chains: tuple[tuple[str, ...], ...]
    """Each chain lists the services a request passes, from the one users call down to
    the one before the root."""


def incident_lines(rng: random.Random, incident: Incident, every_s: tuple[int, int] = (2, 9),
                   root_every: int = 5) -> list[LogLine]:
    """The incident's lines: a warning at the root before it starts; failed requests from
    ``start`` to ``end``, each with an upstream error (or, after a timeout, two) in every
    service of its chain; and the root's own errors, rate-limited to about one in
    ``root_every`` failures (the first exactly at ``start``, the last exactly at ``end``),
    so the root logs fewer errors than the services that call it."""
    kind = incident.signature.split(":", 1)[0]
    out = [LogLine(incident.start - timedelta(seconds=rng.randint(40, 300)), "WARN",
                   incident.root, _request(rng), _PRECURSOR.get(kind, "health degraded"))]
    moments = [incident.start]
    while True:
        step = timedelta(milliseconds=rng.randint(every_s[0] * 1000, every_s[1] * 1000))
        if moments[-1] + step >= incident.end:
            break
        moments.append(moments[-1] + step)
    moments.append(incident.end)
    for n, when in enumerate(moments):
        request = _request(rng)
        last = n == len(moments) - 1
        if n == 0 or last or rng.randrange(root_every) == 0:
            out.append(LogLine(when, "ERROR", incident.root, request,
                               f"{incident.signature} ({_fill(rng, incident.details)}, "
                               f"suppressed={rng.randint(0, 9)})"))
        if last and len(moments) > 2:
            continue  # the last error: an internal job, nothing upstream waits on it
        chain = incident.chains[n % len(incident.chains)]
        callee, lag = incident.root, 0
        for service in reversed(chain):
            for _ in range(rng.choice((1, 1, 2))):  # a timeout, then a retry that fails too
                lag += rng.randint(3, 60)
                out.append(LogLine(when + timedelta(milliseconds=lag), "ERROR", service,
                                   request, f"UpstreamError: call to {callee} failed "
                                   f"(upstream={callee}, status={rng.choice((500, 502, 503))}, "
                                   f"{rng.randint(1000, 5000)}ms)"))
            callee = service
    return out


def render(lines: Iterable[LogLine]) -> bytes:
    """A log file: the lines sorted by time (then by text)."""
    return "".join(line.text() + "\n" for line in sorted(
        lines, key=lambda x: (x.at, x.text()))).encode()
