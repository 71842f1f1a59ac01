"""tech/log-triage: trace an alert through the logs to its root cause; file it, page the owner.

Description:
    An alert in #alerts says a user-facing service is failing (hard: two alerts). The
    workspace holds the day's logs of every service (``logs/<service>/<date>.log``,
    thousands of lines each), an inventory (``inventory/services.csv``: team, tier,
    on-call channel; ``inventory/oncall.csv``: each team's on-call engineer per week) and
    runbooks (how to find the root cause; the severity policy). The alerting service's
    errors name the service they called (``upstream=...``); following them from service to
    service leads to the root cause, the one failing on its own. Everyday errors, slow
    requests and a warning before the failure sit in every log. The agent files one OPS
    ticket (title, priority, assignee, description lines for service, severity, first
    failure time and error signature) and posts the ticket on the owning team's on-call
    channel. grep, sort and uniq in the terminal are the efficient way through the logs.

Apps:
    terminal, files, tickets, chat.

Criteria:
    - ``ticket for <service>`` (weight 2), ``ticket title``, ``ticket severity``,
      ``ticket priority``, ``ticket first failure``, ``ticket signature``, ``ticket
      assignee``: read from the one ticket filed (filing more than one fails them all).
    - ``posted on #oncall-<team>`` (one post naming the new ticket), ``post names the
      service and severity``.
    - guards: logs, inventory and runbooks unchanged; existing tickets and chat messages
      unchanged; nothing posted in any other conversation.

Difficulty:
    Knobs set the services (4, 6, 10), the everyday lines per log (400, 700, 1000; the
    incident adds hundreds), the services between the alert and the root (1, 2, 4), a
    second alert through other services (hard), and everyday errors per log. Reference
    calls: easy 16, medium 18, hard 26. ``richness`` adds the previous day's logs,
    resolved alerts of earlier days, chatter in other channels, tickets of another
    project and a runbook on deploys; the OPS project, and so the new ticket's id, stays
    the same.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.chat import ChatStore
from workgym.apps.tickets import Ticket, TicketsStore
from workgym.content.distractors import scaled
from workgym.content.logs import ROOT_CAUSES, Incident, incident_lines, render, stamp, traffic
from workgym.content.people import Person, people
from workgym.content.services import Service, fleet
from workgym.core import (
    Criterion,
    GradeContext,
    GradeError,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    register_family,
    rng_for,
)

PRIORITY = {"SEV1": "urgent", "SEV2": "high", "SEV3": "medium"}
LONG = timedelta(minutes=15)
SEVERITY_POLICY = """\
# Incident severity

The severity of an incident follows the root-cause service's tier (inventory/services.csv)
and how long it failed: from its first to its last error with the root-cause signature.

| tier | failing 15 minutes or longer | failing less than 15 minutes |
| ---- | ---------------------------- | ---------------------------- |
| 1    | SEV1                         | SEV2                         |
| 2    | SEV2                         | SEV3                         |
| 3    | SEV3                         | SEV3                         |

Ticket priority by severity: SEV1 urgent, SEV2 high, SEV3 medium.
"""
TRIAGE_RUNBOOK = """\
# Triage

1. Start from the service the alert names. Its errors that were caused by a service it
   called say so: `UpstreamError: call to <service> failed (upstream=<service>, ...)`.
2. Follow `upstream=` from service to service. The root cause is the first service on the
   way whose own errors name no upstream: it fails by itself.
3. Its error signature is the error's type and message as logged, without the details in
   parentheses (for `Boom: it broke (code=7)` the signature is `Boom: it broke`). Other
   errors in the same log (clients going away, bad requests) are everyday noise.
4. File one ticket in OPS, assigned to the owning team's on-call engineer for this week
   (inventory/oncall.csv), and tell the team on its on-call channel.
"""
DEPLOY_RUNBOOK = """\
# Deploys

Deploys go out from the release channel between 10:00 and 16:00 UTC, never on Fridays.
Roll back with the previous build's tag; note the roll-back in the release channel.
"""


class Knobs(BaseModel, frozen=True):
    services: int
    """Services in the fleet (each with a log)."""
    lines: int
    """Everyday lines per log."""
    hops: int
    """Services between the alerting service and the root cause, the alerting one
    included."""
    second_alert: bool
    """A second alert, through two other services, joins the first chain."""
    noise: int
    """Everyday errors per log."""
    distractors: int
    """Distractor items at richness 1."""


@dataclass(frozen=True)
class _Answer:
    root: Service
    signature: str
    first: str
    severity: str
    assignee: str
    chains: tuple[tuple[str, ...], ...]
    ticket: str
    """The id the new ticket gets."""


@register_family
class LogTriage(TaskFamily[Knobs]):
    """Trace an alert through service logs to its root cause; file a ticket; page the team."""

    name = "tech/log-triage"
    version = 1
    apps = ("terminal", "files", "tickets", "chat")
    levels = Levels(
        easy=Level(Knobs(services=4, lines=400, hops=1, second_alert=False, noise=4,
                         distractors=6), calls=16),
        medium=Level(Knobs(services=6, lines=700, hops=2, second_alert=False, noise=8,
                           distractors=9), calls=18),
        hard=Level(Knobs(services=10, lines=1000, hops=4, second_alert=True, noise=12,
                         distractors=12), calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: richness never reaches it
        day = date(2026, 1, 5) + timedelta(days=rng.randrange(300))
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        now = midnight + timedelta(hours=rng.randint(15, 17), minutes=rng.randrange(60))
        services = fleet(rng, k.services)
        path = [s.name for s in rng.sample(services, k.hops + 1 + 2 * k.second_alert)]
        root = next(s for s in services if s.name == path[k.hops])
        chains = [tuple(path[:k.hops])]
        if k.second_alert:
            chains.append((*path[k.hops + 1:], path[k.hops - 1]))
        start = midnight + timedelta(hours=rng.randint(9, 12), minutes=rng.randrange(60),
                                     seconds=rng.randrange(60), milliseconds=rng.randrange(1000))
        long = rng.random() < 0.5
        end = start + timedelta(minutes=rng.randint(17, 40) if long else rng.randint(5, 13),
                                seconds=rng.randrange(60))
        signature, details = rng.choice(ROOT_CAUSES)
        incident = Incident(root.name, signature, details, start, end, tuple(chains))

        logs: dict[str, list] = {s.name: traffic(rng, s.name, midnight, now, k.lines, k.noise)
                                 for s in services}
        for line in incident_lines(rng, incident):
            logs[line.service].append(line)
        files = {f"logs/{name}/{day.isoformat()}.log": render(lines)
                 for name, lines in logs.items()}
        teams = sorted({s.team for s in services})
        me, *crew = people(rng, 1 + 2 * len(teams), domain="ops.example")
        roster, oncall = _roster(rng, teams, crew, day)
        files.update({
            "inventory/services.csv": ("service,team,tier,channel\n" + "".join(
                f"{s.name},{s.team},{s.tier},#{s.channel}\n" for s in services)).encode(),
            "inventory/oncall.csv": roster.encode(),
            "runbooks/severity.md": SEVERITY_POLICY.encode(),
            "runbooks/triage.md": TRIAGE_RUNBOOK.encode(),
        })
        severity = _severity(root.tier, end - start >= LONG)
        tickets, number = self._tickets(rng, me, crew, services, now)
        answer = _Answer(root, signature, stamp(start), severity, oncall[root.team],
                         tuple(chains), f"OPS-{number}")

        rich = rng_for(spec, "distractors")
        count = scaled(spec.richness, k.distractors)
        chat, alerts = self._chat(rng, rich, count, me, crew, services, teams, incident,
                                  logs, now)
        self._distractors(rich, count, files, tickets, services, crew, k, day, now)
        plan = self._plan(k, answer, alerts, logs, day)
        prompt = (
            f"You are {me.name} ({me.email}), on the operations rotation today. An alert "
            "fired in #alerts. Triage it: find the service whose failure caused it (the root "
            "cause, as runbooks/triage.md defines it) from the logs under logs/, then file "
            "one ticket in the OPS project:\n"
            "- title: <service>: <error signature>\n"
            "- priority by runbooks/severity.md\n"
            "- assigned to the owning team's on-call engineer this week "
            "(inventory/oncall.csv)\n"
            "- a description with these lines:\n"
            "Service: <the root-cause service>\n"
            "Severity: <SEV1, SEV2 or SEV3, by runbooks/severity.md>\n"
            "First failure: <the time of its first error with that signature, exactly as "
            "logged>\n"
            "Signature: <the error's type and message, without the details in parentheses>\n\n"
            "Then post once on the owning team's on-call channel (inventory/services.csv) "
            "with these lines:\n"
            "Ticket: <the new ticket's id>\nService: <the root-cause service>\n"
            "Severity: <the severity>")
        inputs = ["logs", "inventory", "runbooks"]
        return Task(spec=spec, prompt=prompt, apps=self.apps,
                    criteria=self._criteria(answer, inputs),
                    template=WorldTemplate(now=now, files=files, stores={
                        "tickets": tickets, "chat": chat}),
                    reference=tuple(plan))

    # -- the world ------------------------------------------------------------------------

    def _tickets(self, rng: random.Random, me: Person, crew: list[Person],
                 services: list[Service], now: datetime) -> tuple[TicketsStore, int]:
        store = TicketsStore(me=me.email)
        for p in [me, *crew]:
            store.add_user(p.email, p.name)
        store.add_project("OPS", "Operations incidents", [p.email for p in [me, *crew]],
                          description="One ticket per incident.")
        for n in range(rng.randint(2, 6)):  # past incidents, resolved
            s = rng.choice(services)
            signature, _ = rng.choice(ROOT_CAUSES)
            made = now - timedelta(days=40 - 6 * n, hours=rng.randrange(10))
            t = store.add_ticket("OPS", f"{s.name}: {signature}", made, state="Done",
                                 priority=rng.choice(("urgent", "high", "medium")),
                                 assignee=rng.choice(crew).email, reporter=me.email)
            t.description = f"Service: {s.name}\nResolved by the owning team."
        return store, len(store.tickets) + 1

    def _chat(self, rng: random.Random, rich: random.Random, count: int, me: Person,
              crew: list[Person], services: list[Service], teams: list[str],
              incident: Incident, logs: dict[str, list], now: datetime
              ) -> tuple[ChatStore, list[str]]:
        store = ChatStore(me=_handle(me))
        store.add_user("monitor", "Monitoring")
        for p in crew:
            store.add_user(_handle(p), p.name, p.email)
        everyone = [_handle(p) for p in [me, *crew]]
        store.add_channel("alerts", ["monitor", *everyone], topic="Alerts from monitoring")
        store.add_channel("incidents", everyone, topic="Major incidents, once declared")
        store.add_channel("general", everyone)
        for team in teams:
            store.add_channel(f"oncall-{team}", everyone, topic=f"On-call for {team}")
        said: list[tuple[datetime, str, str, str, bool]] = []
        for chain in incident.chains:
            first = min(x.at for x in logs[chain[0]] if x.level == "ERROR"
                        and "upstream=" in x.message)
            fired = first + timedelta(minutes=rng.randint(2, 4))
            text = (f"[FIRING] HighErrorRate on {chain[0]}: {rng.randint(12, 60)}% of "
                    f"requests failing since {first:%H:%M} UTC")
            said.append((fired, "alerts", "monitor", text, True))
        said.append((said[0][0] + timedelta(minutes=6), "alerts", _handle(rng.choice(crew)),
                     f"Looking. Restarted {incident.chains[0][0]}, no change.", False))
        for _ in range(count // 2):  # earlier days' alerts, all resolved
            s = rich.choice(services)
            when = now - timedelta(days=rich.randint(1, 9), hours=rich.randint(0, 12),
                                   minutes=rich.randrange(60))
            kind = rich.choice(("HighLatency", "DiskUsage", "HighErrorRate"))
            said.append((when, "alerts", "monitor", f"[RESOLVED] {kind} on {s.name}", False))
        chatter = ["Standup moves to 10:15 tomorrow.", "Who has the staging keys?",
                   "Reminder: fill in the on-call handover notes.", "Coffee machine is fixed."]
        for _ in range(count - count // 2):
            said.append((now - timedelta(hours=rich.randint(1, 48), minutes=rich.randrange(60)),
                         rich.choice(
                ["general", *[f"oncall-{t}" for t in teams]]), rich.choice(everyone[1:]),
                rich.choice(chatter), False))
        alerts: list[str] = []
        parent: str | None = None
        for when, channel, user, text, alert in sorted(said, key=lambda m: m[0]):
            thread = parent if text.startswith("Looking.") else None
            made = store.add_message(channel, user, text, when, thread=thread)
            if alert:
                alerts.append(made.id)
                parent = parent or made.id
        return store, alerts

    def _distractors(self, rng: random.Random, count: int, files: dict[str, bytes],
                     tickets: TicketsStore, services: list[Service], crew: list[Person],
                     k: Knobs, day: date, now: datetime) -> None:
        yesterday = day - timedelta(days=1)
        start = datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=UTC)
        for s in rng.sample(services, min(len(services), count)):
            files[f"logs/{s.name}/{yesterday.isoformat()}.log"] = render(
                traffic(rng, s.name, start, start + timedelta(days=1), k.lines // 2, k.noise))
        if count:
            files["runbooks/deploys.md"] = DEPLOY_RUNBOOK.encode()
            tickets.add_project("INFRA", "Infrastructure", [p.email for p in crew])
        for n in range(count // 2):
            s = rng.choice(services)
            tickets.add_ticket("INFRA", rng.choice(("Resize the disks of {s}",
                                                    "Upgrade the runtime of {s}",
                                                    "Add dashboards for {s}")).format(s=s.name),
                               now - timedelta(days=n + 1), state=rng.choice(
                                   ("Backlog", "To Do", "Done")))

    # -- the reference --------------------------------------------------------------------

    def _plan(self, k: Knobs, a: _Answer, alerts: list[str], logs: dict[str, list], day: date
              ) -> list[ToolCall]:
        log = f"{day.isoformat()}.log"
        plan = [ToolCall("chat.read_channel", {"channel": "#alerts"}),
                ToolCall("chat.read_thread", {"message_id": alerts[0]})]
        if k.second_alert:
            plan.insert(0, ToolCall("chat.list_channels"))
            plan.append(ToolCall("chat.read_thread", {"message_id": alerts[1]}))
        plan += [ToolCall("files.read", {"path": "runbooks/triage.md"}),
                 ToolCall("files.read", {"path": "runbooks/severity.md"}),
                 ToolCall("files.read", {"path": "inventory/services.csv"}),
                 ToolCall("terminal.run", {"command": f"wc -l logs/*/{log}"}),
                 ToolCall("terminal.run", {"command": f"grep -c ' ERROR ' logs/*/{log}"})]
        for chain in a.chains:
            hops = [s for s in chain if all(s not in c for c in a.chains[:a.chains.index(chain)])]
            for service in hops:
                plan.append(ToolCall("terminal.run", {"command": (
                    f"grep ' ERROR ' logs/{service}/{log} | grep -o 'upstream=[a-z-]*' | "
                    "sort | uniq -c")}))
            if k.hops > 1:  # one failed request, end to end
                request = next(x.request for x in sorted(logs[chain[0]], key=lambda x: x.at)
                               if "upstream=" in x.message)
                plan.append(ToolCall("terminal.run", {
                    "command": f"grep -h 'req={request}' logs/*/{log}"}))
        root = f"logs/{a.root.name}/{log}"
        plan += [ToolCall("terminal.run", {"command": (
                     f"grep ' ERROR ' {root} | sed -E 's/.*\\] //; s/ \\(.*//' | sort | "
                     "uniq -c | sort -rn")}),
                 ToolCall("terminal.run", {"command": f"grep -m1 '{a.signature} (' {root}"}),
                 ToolCall("terminal.run", {"command": f"grep '{a.signature} (' {root} | "
                                                      "tail -n 1"}),
                 ToolCall("files.read", {"path": "inventory/oncall.csv"}),
                 ToolCall("tickets.get_project", {"project": "OPS"}),
                 ToolCall("tickets.search", {"query": a.root.name, "project": "OPS",
                                             "is_open": True})]
        lines = [f"Service: {a.root.name}", f"Severity: {a.severity}",
                 f"First failure: {a.first}", f"Signature: {a.signature}"]
        plan += [ToolCall("tickets.create", {
                     "project": "OPS", "title": f"{a.root.name}: {a.signature}",
                     "description": "\n".join(lines), "priority": PRIORITY[a.severity],
                     "assignee": a.assignee},
                     items={"title": (), "description": (), "priority": (), "assignee": ()}),
                 ToolCall("chat.post", {"channel": f"#{a.root.channel}", "text": "\n".join([
                     f"Ticket: {a.ticket}", f"Service: {a.root.name}",
                     f"Severity: {a.severity}"])}, items={"text": ()})]
        if k.second_alert:
            plan.insert(-1, ToolCall("tickets.get", {"ticket_id": a.ticket}))
        return plan

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, a: _Answer, inputs: list[str]) -> tuple[Criterion, ...]:
        filed = wc.per_grade(lambda ctx: _filed(ctx))

        def field(name: str, want: str, got: Callable[[GradeContext, Ticket], str]
                  ) -> Callable[[GradeContext], tuple[bool, str]]:
            def check(ctx: GradeContext) -> tuple[bool, str]:
                value = got(ctx, filed(ctx))
                return value == want, f"{name} {value[:120]!r}; expected {want!r}"
            return check

        def line(key: str) -> Callable[[GradeContext, Ticket], str]:
            def read(ctx: GradeContext, t: Ticket) -> str:
                values = ctx.line_values(t.description, key)
                if len(values) != 1:
                    raise GradeError(f"the description has {len(values)} '{key}:' lines; "
                                     "one is asked")
                return values[0]
            return read

        def post(ctx: GradeContext) -> str:
            store, ticket = _chat(ctx), filed(ctx)
            where = store.channel(a.root.channel)
            mine = [m.text for m in store.sent_by(store.me)
                    if where is not None and m.conversation == where.id]
            found = [m for m in mine if ctx.line_values(m, "Ticket")]
            if len(found) != 1:
                raise GradeError(f"{len(found)} posts with a 'Ticket:' line on "
                                 f"#{a.root.channel}; one is asked")
            named = ctx.line_values(found[0], "Ticket")
            if named != [ticket.id]:
                raise GradeError(f"the post names {named[:2]}; the ticket filed is {ticket.id}")
            return found[0]

        def posted(ctx: GradeContext) -> tuple[bool, str]:
            post(ctx)
            return True, f"one post on #{a.root.channel} names the ticket"

        def post_fields(ctx: GradeContext) -> tuple[bool, str]:
            text = post(ctx)
            got = (ctx.line_values(text, "Service"), ctx.line_values(text, "Severity"))
            want = ([a.root.name], [a.severity])
            return got == want, f"Service/Severity lines {got}; expected {want}"

        def elsewhere(ctx: GradeContext) -> tuple[bool, str]:
            store = _chat(ctx)
            where = store.channel(a.root.channel)
            stray = sorted({m.conversation for m in store.sent_by(store.me)
                            if where is None or m.conversation != where.id})
            return not stray, f"posted in {stray[:3]}" if stray else "nothing posted elsewhere"

        return (
            Criterion(f"ticket for {a.root.name}", field("Service", a.root.name,
                                                        line("Service")), weight=2),
            Criterion("ticket title", field("title", f"{a.root.name}: {a.signature}",
                                            lambda ctx, t: t.title)),
            Criterion("ticket severity", field("Severity", a.severity, line("Severity"))),
            Criterion("ticket priority", field("priority", PRIORITY[a.severity],
                                               lambda ctx, t: t.priority)),
            Criterion("ticket first failure", field("First failure", a.first,
                                                    line("First failure"))),
            Criterion("ticket signature", field("Signature", a.signature, line("Signature"))),
            Criterion("ticket assignee", field("assignee", a.assignee,
                                               lambda ctx, t: t.assignee or "(nobody)")),
            Criterion(f"posted on #{a.root.channel}", posted),
            Criterion("post names the service and severity", post_fields),
            wc.unchanged("logs, inventory and runbooks unchanged", folders=inputs),
            wc.unchanged("tickets and chat messages unchanged",
                         records=[("tickets", "tickets"), ("chat", "messages")]),
            Criterion("nothing posted elsewhere", elsewhere, guard=True),
        )


# -- helpers ----------------------------------------------------------------------------------


def _severity(tier: int, long: bool) -> str:
    return {1: "SEV1" if long else "SEV2", 2: "SEV2" if long else "SEV3", 3: "SEV3"}[tier]


def _roster(rng: random.Random, teams: list[str], crew: list[Person], day: date
            ) -> tuple[str, dict[str, str]]:
    """The on-call roster around ``day`` (two engineers per team, taking turns weekly) and
    who is on call for each team that week."""
    monday = day - timedelta(days=day.weekday())
    rows, now = ["team,week_of,engineer"], {}
    for n, team in enumerate(teams):
        pair = crew[2 * n:2 * n + 2]
        turn = rng.randrange(2)
        for week in range(-2, 3):
            who = pair[(turn + week) % 2]
            rows.append(f"{team},{(monday + timedelta(weeks=week)).isoformat()},{who.email}")
            if week == 0:
                now[team] = who.email
    return "\n".join(rows) + "\n", now


def _filed(ctx: GradeContext) -> Ticket:
    found = wc.new_records(ctx, "tickets", "tickets")
    if len(found) != 1:
        raise GradeError(f"{len(found)} tickets filed; one is asked")
    ticket = found[0]
    if not isinstance(ticket, Ticket) or ticket.project != "OPS":
        raise GradeError("the ticket is not in the OPS project")
    return ticket


def _chat(ctx: GradeContext) -> ChatStore:
    store = ctx.world.stores.get("chat")
    if not isinstance(store, ChatStore):
        raise GradeError("the chat workspace is gone")
    return store


def _handle(p: Person) -> str:
    return f"{p.first}.{p.last}".lower()
