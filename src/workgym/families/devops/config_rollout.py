"""devops/config-rollout: roll a configuration change out to a fleet, validated and announced.

Description:
    A Git repository of service configurations (``services/<service>/<env>.toml`` for
    staging and production, ``tools/validate_config.py``, a README) is checked out in
    the workspace. In the chat channel #platform-changes the platform lead posted change
    request ``CHG-<n>``: settings (``section.key = value``) for the production configs of
    a set of services, named outright (easy), as a team's services (medium) or a team's
    services of some tiers (hard); replies in its thread correct a value (medium, hard)
    and take one service out of the change (hard). The validator holds a rule the new
    values can break (``database.max_connections`` at least twice ``pool_size``) and
    says how to fix it. The agent edits the configs, runs the validator in the terminal
    until it passes, commits on ``rollout/<change id>`` and posts ``Change`` / ``Commit``
    / ``Services`` lines in the channel the request names.

Apps:
    terminal, git, files, chat.

Criteria:
    - ``<service>: <section.key> = <value>`` (one per setting, the validator's fixes
      included), read from the TOML committed at the branch's tip; precision-aware: every
      other value changed on the branch (another service, staging, another key, a wrong
      value, a key added or removed) cancels one item's credit. ``configs match the
      change`` (weight 2): exactly these changes.
    - ``validator passed on the committed configs``: the last validator run in the
      terminal exited 0 and printed ``ok <file> <sha256 prefix>`` for every changed file,
      with the hash of the content at the branch's tip. A validator run is a command that
      is exactly ``python3 tools/validate_config.py FILE...`` (or ``python``): a command
      line with shell syntax (``echo ok ... # tools/validate_config.py``, ``;``, pipes,
      redirections, substitutions) does not count, and neither does any run while a file
      other than the validator sits in ``tools/`` (a ``sitecustomize.py`` there would run
      first).
    - ``rollout committed on rollout/<id>``, ``commit subjects name <ID>``.
    - ``announced in #<channel>`` (one post with the ``Change`` line), ``announcement
      names the commit`` (the branch's tip), ``announcement lists the services``
      (exactly the services changed, sorted).
    - The commit and announcement criteria count only for a branch that changes no file
      but the production configs of the services in the change.
    - guards: main still at its commit; the validator unchanged (branch and working
      tree); chat messages unchanged; nothing posted in any other conversation.

Difficulty:
    Knobs set the services (4, 7, 11), the services in the change (2, 3-4, 5), the
    settings (1, 2, 3), how services are chosen, thread corrections and exclusions, and
    the services the validator's rule sends back for a fix (0, 1, 2). Reference calls:
    easy 14, medium 21, hard 28. ``richness`` adds chat traffic in other channels (other
    teams' roll-outs, incidents), feature branches and a runbook draft; main's history
    and every commit id stay the same.

Version history:
    v1: first version.
    v2: a validator run counts only as the plain command; v1 credited any command line
        that named the validator, so ``echo`` could forge its output.
"""

from __future__ import annotations

import hashlib
import json
import random
import shlex
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.chat import ChatStore
from workgym.apps.git import CommitSpec, GitStore, repository_files
from workgym.content.configs import (
    MAX_CONN,
    POOL,
    SETTABLE,
    VALIDATOR_SOURCE,
    Config,
    apply_settings,
    draw_config,
    render_config,
    setting_lines,
    toml_value,
)
from workgym.content.distractors import scaled
from workgym.content.people import Person, people
from workgym.content.repos import BranchWork, branch_head, branch_work, planned_commit, ref_tip
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

VALIDATOR = "tools/validate_config.py"
VALIDATOR_DIR = VALIDATOR.rsplit("/", 1)[0] + "/"
SHELL_SYNTAX = frozenset(";&|<>`$()#\\\n*?[]{}~=")
"""Characters of shell syntax: a command holding one is not a plain validator run."""
MAX_CONFIG_BYTES = 16_000
"""Largest config file a grader parses (the fleet's are under 1,000 bytes)."""
MAX_CHANGED_CONFIGS = 48
"""Most changed files under services/ a grader parses (the fleet has at most 24)."""


class Knobs(BaseModel, frozen=True):
    services: int
    """Services in the fleet."""
    targets: int
    """Services the change applies to."""
    settings: int
    """Settings the change sets."""
    selector: str
    """How the request names the services: "names", "team" or "tiers"."""
    correction: bool
    """A reply in the thread corrects one value."""
    exclusion: bool
    """A reply takes one service out of the change."""
    pool_fixes: int
    """Target services whose max_connections the validator's rule sends back."""
    distractors: int
    """Distractor messages and branches at richness 1."""


@dataclass(frozen=True)
class _Change:
    ident: str
    targets: list[Service]
    settings: dict[tuple[str, str], Any]
    """The values to set (after any correction)."""
    stated: dict[tuple[str, str], Any]
    """The values the request's first message states."""
    pool_fixed: list[str]
    channel: str


def _runs_validator(command: object) -> bool:
    """Whether ``command`` is a plain run of the validator: ``python3 VALIDATOR FILE...``
    with no shell syntax that could stand in for it (or print its output)."""
    if not isinstance(command, str) or any(ch in SHELL_SYNTAX for ch in command):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return len(words) >= 2 and words[0] in ("python3", "python") and words[1] == VALIDATOR \
        and all(not w.startswith("-") for w in words[2:])


@register_family
class ConfigRollout(TaskFamily[Knobs]):
    """Roll a requested config change out to production, validate, commit, announce."""

    name = "devops/config-rollout"
    version = 2
    apps = ("terminal", "git", "files", "chat")
    levels = Levels(
        easy=Level(Knobs(services=4, targets=2, settings=1, selector="names", correction=False,
                         exclusion=False, pool_fixes=0, distractors=5), calls=16),
        medium=Level(Knobs(services=7, targets=4, settings=2, selector="team", correction=True,
                           exclusion=False, pool_fixes=1, distractors=8), calls=21),
        hard=Level(Knobs(services=12, targets=6, settings=3, selector="tiers", correction=True,
                         exclusion=True, pool_fixes=2, distractors=12), calls=28),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: richness never reaches it
        now = datetime(2026, 1, 5, 10, tzinfo=UTC) + timedelta(days=rng.randrange(300),
                                                               hours=rng.randrange(7))
        me, lead, sre, dev = people(rng, 4, domain="fleet.example")
        services, targets, team, excluded, off_tier = self._fleet(rng, k)
        keys = self._keys(rng, k)
        settings = {key: rng.choice(SETTABLE[key]) for key in keys}
        if POOL in settings:
            settings[POOL] = rng.choice([v for v in SETTABLE[POOL] if 14 <= v <= 40])
        stated = dict(settings)
        if k.correction:
            fixed = rng.choice(sorted(key for key in keys if key != POOL
                                      and len(SETTABLE[key]) > 2))
            stated[fixed] = rng.choice([v for v in SETTABLE[fixed] if v != settings[fixed]])
        ident = f"CHG-{rng.randint(2100, 2899)}"
        configs = {s.name: {env: draw_config(rng, s, env) for env in ("staging", "production")}
                   for s in services}
        pool_fixed = sorted(rng.sample([s.name for s in targets], k.pool_fixes))
        for s in targets:  # today's values differ from the change's
            prod = configs[s.name]["production"]
            for (section, field), value in settings.items():
                prod[section][field] = rng.choice([v for v in SETTABLE[section, field]
                                                   if v not in (value, stated[section, field])])
            if POOL in settings:
                pool = settings[POOL]
                prod["database"]["pool_size"] = rng.choice(range(6, pool, 2))
                prod["database"]["max_connections"] = (
                    rng.randrange(2 * prod["database"]["pool_size"], 2 * pool) if s.name in
                    pool_fixed else rng.randrange(2 * pool, 2 * pool + 60))
        change = _Change(ident, targets, settings, stated, pool_fixed, "deploys")

        history, old_message = self._history(rng, services, targets, configs, lead, sre, now)
        author = f"{me.name} <{me.email}>"
        base = ref_tip(repository_files(history, author=author), "main")
        branch = f"rollout/{ident.lower()}"
        new = {f"services/{s.name}/production.toml": render_config(s, "production", apply_settings(
            configs[s.name]["production"], settings, s.name in pool_fixed))
            for s in targets}
        message = f"{ident}: roll out to {len(targets)} production services"
        tip = planned_commit(history, CommitSpec(message, dict(new), now, author=author,
                                                 branch=branch), author=author)

        rich = rng_for(spec, "distractors")
        count = scaled(spec.richness, k.distractors)
        history += _branches(rich, count // 3, services, sre, now)
        files = repository_files(history, author=author)
        chat, spec_key = self._chat(rng, rich, count, k, change, services, team, excluded,
                                    off_tier, old_message, (me, lead, sre, dev), now)
        plan = self._plan(k, change, configs, branch, message, tip, spec_key)
        start = {path: data for path, data in files.items() if not path.startswith(".git/")}
        checks = self._criteria(change, branch, base, start, configs)
        prompt = (
            f"You are {me.name} ({me.email}) on the platform team; the fleet's configuration "
            "repository is checked out in the workspace, on main. Roll out change "
            f"{ident}, which {lead.name} requested in #platform-changes, read its thread for "
            "updates, and change exactly what it asks, nothing else. Check the configs you "
            f"change with `python3 {VALIDATOR} <files>` in the terminal and follow what it "
            "says until it passes.\n\n"
            f"- Commit the change on a new branch named {branch}, made from main (leave main "
            f"as it is); every commit's subject line starts with \"{ident}: \".\n"
            "- Then announce it, once, in the channel the request names, with these lines:\n"
            f"Change: {ident}\nCommit: <the branch's latest commit id, at least 7 "
            "characters>\nServices: <the services changed, comma-separated, in alphabetical "
            "order>")
        return Task(spec=spec, prompt=prompt, apps=self.apps, criteria=checks,
                    template=WorldTemplate(now=now, files=files, stores={
                        "git": GitStore(author=author), "chat": chat}),
                    reference=tuple(plan), artifacts=tuple(sorted(new)))

    # -- the world ------------------------------------------------------------------------

    def _fleet(self, rng: random.Random, k: Knobs
               ) -> tuple[list[Service], list[Service], str, Service | None, Service | None]:
        """The fleet, the change's targets, the team it is for, the service a reply takes
        out and a team service of a tier the request leaves out."""
        drawn = fleet(rng, k.services)
        team = rng.choice(sorted({s.team for s in drawn}))
        others = sorted({s.team for s in drawn} - {team}) or ["platform"]
        need = k.targets + k.exclusion + (k.selector == "tiers")
        chosen = {s.name for s in rng.sample(drawn, need)}
        services = []
        for s in drawn:  # the team owns exactly the chosen services
            owner = team if s.name in chosen else (
                s.team if s.team != team else rng.choice(others))
            services.append(Service(s.name, owner, rng.choice((1, 2)) if s.name in chosen
                                    else s.tier))
        mine = [s for s in services if s.name in chosen]
        rng.shuffle(mine)
        off_tier = excluded = None
        if k.selector == "tiers":
            last = mine.pop()
            off_tier = Service(last.name, team, 3)
            services = [off_tier if s.name == last.name else s for s in services]
        if k.exclusion:
            excluded = mine.pop()
        if k.selector == "names":  # the request names them: any services will do
            targets = sorted(rng.sample([s for s in services if s is not excluded],
                                        k.targets), key=lambda s: s.name)
        else:
            targets = sorted(mine, key=lambda s: s.name)
        return services, targets, team, excluded, off_tier

    def _keys(self, rng: random.Random, k: Knobs) -> list[tuple[str, str]]:
        keys = [POOL] if k.pool_fixes else []
        valued = sorted(key for key in SETTABLE if key != POOL and len(SETTABLE[key]) > 2)
        if k.correction:  # a value to correct needs a third value to have been stated
            keys.append(rng.choice(valued))
        others = sorted(key for key in SETTABLE if key not in keys and key != POOL)
        keys += rng.sample(others, k.settings - len(keys))
        return sorted(keys)

    def _history(self, rng: random.Random, services: list[Service], targets: list[Service],
                 configs: dict[str, dict[str, Config]], lead: Person, sre: Person,
                 now: datetime) -> tuple[list[CommitSpec], tuple[str, str, datetime]]:
        """Main: the configs as they were, then an earlier change (for a team none of the
        targets is in, already applied) that brought them to today's values."""
        busy = {s.team for s in targets}
        old_team = rng.choice(sorted({s.team for s in services} - busy) or ["platform"])
        key = rng.choice(sorted(k for k in SETTABLE if k not in (POOL,)))
        value = rng.choice(SETTABLE[key])
        before: dict[str, bytes] = {}
        for s in services:
            for env, config in configs[s.name].items():
                path = f"services/{s.name}/{env}.toml"
                if s.team == old_team and env == "production":
                    config[key[0]][key[1]] = value
                    old = json.loads(json.dumps(config))
                    old[key[0]][key[1]] = rng.choice([v for v in SETTABLE[key] if v != value])
                    before[path] = render_config(s, env, old).encode()
                else:
                    before[path] = render_config(s, env, config).encode()
        readme = ("# Fleet configuration\n\nOne folder per service under `services/`, one "
                  "TOML file per environment (staging, production).\n\nBefore committing, "
                  f"check what you changed:\n\n    python3 {VALIDATOR} services/<name>/"
                  "production.toml ...\n\nChanges go on a branch `rollout/<change id>` and "
                  "are announced in #deploys.\n")
        start = now - timedelta(days=rng.randint(40, 70))
        ident = f"CHG-{rng.randint(1500, 2099)}"
        when = now - timedelta(days=rng.randint(3, 12), hours=rng.randrange(5))
        after = {f"services/{s.name}/production.toml": render_config(s, "production",
                                                               configs[s.name]["production"])
                 for s in services if s.team == old_team}
        lead_sig, sre_sig = f"{lead.name} <{lead.email}>", f"{sre.name} <{sre.email}>"
        history = [CommitSpec("Add the fleet's service configs", {
            **before, VALIDATOR: VALIDATOR_SOURCE, "README.md": readme}, start, author=lead_sig)]
        if after:
            history.append(CommitSpec(f"{ident}: roll out to {len(after)} production "
                                      "services", dict(after), when, author=sre_sig))
        text = (f"{ident} for production: please set {key[0]}.{key[1]} = "
                f"{toml_value(value)} on every service of the {old_team} team. Validate, commit on "
                f"rollout/{ident.lower()} and announce in #deploys.")
        return history, (text, ident, when - timedelta(hours=3))

    def _chat(self, rng: random.Random, rich: random.Random, count: int, k: Knobs,
              change: _Change, services: list[Service], team: str, excluded: Service | None,
              off_tier: Service | None, old: tuple[str, str, datetime],
              team_people: tuple[Person, ...], now: datetime) -> tuple[ChatStore, str]:
        me, lead, sre, _ = team_people
        store = ChatStore(me=_handle(me))
        for p in team_people[1:]:
            store.add_user(_handle(p), p.name, p.email)
        handles = [_handle(p) for p in team_people]
        for name, topic in (("platform-changes", "Change requests for the fleet"),
                            ("deploys", "Announce every roll-out here"),
                            ("deploys-staging", "Staging experiments"),
                            ("general", "Anything"), ("incidents", "Live incidents")):
            store.add_channel(name, handles, topic=topic)
        said: list[tuple[datetime, str, str, str, str | None]] = []
        text, old_ident, when = old
        said += [(when, "platform-changes", _handle(lead), text, None),
                 (when + timedelta(hours=2), "platform-changes", _handle(sre),
                  f"{old_ident} is committed and announced in #deploys.", "old"),
                 (when + timedelta(hours=2, minutes=5), "deploys", _handle(sre),
                  f"{old_ident} is live on all of the team's production services.", None)]
        asked = now - timedelta(hours=rng.randint(2, 20))
        if k.selector == "names":
            scope = "the services " + " and ".join(s.name for s in change.targets)
        elif k.selector == "team":
            scope = f"every service of the {team} team"
        else:
            scope = f"every tier-1 and tier-2 service of the {team} team"
        lines = [f"- {s}.{key} = {toml_value(v)}" for (s, key), v in change.stated.items()]
        said.append((asked, "platform-changes", _handle(lead),
                     f"{change.ident} for production, for {scope}:\n" + "\n".join(lines)
                     + f"\nRun {VALIDATOR} and follow its hints. Commit on "
                       f"rollout/{change.ident.lower()} and announce it in #{change.channel}.",
                     None))
        replies = []
        for (section, key), value in change.settings.items():
            if change.stated[section, key] != value:
                replies.append(f"Correction for {change.ident}: {section}.{key} should be "
                               f"{toml_value(value)}, not {toml_value(change.stated[section, key])}.")
        if excluded is not None:
            replies.append(f"Please leave {excluded.name} out of {change.ident}: it is being "
                           "retired next week.")
        for n, reply in enumerate(replies, 1):
            said.append((asked + timedelta(minutes=20 * n), "platform-changes", _handle(lead),
                         reply, "spec"))
        noise = [("general", "Lunch order closes at 11:30 today."),
                 ("incidents", "Resolved: the staging DNS blip from this morning."),
                 ("deploys-staging", "Trying new cache settings on staging only, ignore."),
                 ("deploys", "Reminder: announce every production change here."),
                 ("general", "The platform sync moves to Thursday this week."),
                 ("incidents", "Heads-up: elevated latency on the search cluster, looking."),
                 ("platform-changes", "Office hours for change requests: Tuesdays 14:00.")]
        for channel, note in rich.sample(noise, min(count, len(noise))):
            said.append((now - timedelta(hours=rich.randint(1, 70), minutes=rich.randrange(60)),
                         channel, rich.choice(handles[1:]), note, None))
        for _ in range(max(0, count - len(noise))):
            other = rich.choice(services)
            said.append((now - timedelta(hours=rich.randint(1, 90)), "deploys-staging",
                         rich.choice(handles[1:]),
                         f"Bumped {other.name} on staging for a load test.", None))
        parents: dict[str, str] = {}
        spec_id = ""
        for when, channel, user, body, thread in sorted(said, key=lambda m: m[0]):
            made = store.add_message(channel, user, body, when, thread=parents.get(thread or ""))
            if body.startswith(f"{change.ident} for production"):
                parents["spec"] = spec_id = made.id
            elif body == old[0]:
                parents["old"] = made.id
        return store, spec_id

    # -- the reference --------------------------------------------------------------------

    def _plan(self, k: Knobs, change: _Change, configs: dict[str, dict[str, Config]],
              branch: str, message: str, tip: str, spec_id: str) -> list[ToolCall]:
        paths = [f"services/{s.name}/production.toml" for s in change.targets]
        plan = [ToolCall("chat.read_channel", {"channel": "#platform-changes"}),
                ToolCall("chat.read_thread", {"message_id": spec_id}),
                ToolCall("files.read", {"path": "README.md"}),
                ToolCall("files.read", {"path": VALIDATOR}),
                ToolCall("terminal.run", {"command": "grep -H -E '^(team|tier) = ' "
                                                     "services/*/production.toml"})]
        if k.selector != "names":
            plan.insert(0, ToolCall("chat.list_channels"))
        plan += [ToolCall("files.read", {"path": p}) for p in paths]
        changed_keys = [f"{section}.{key}" for section, key in change.settings]
        for s, path in zip(change.targets, paths, strict=True):
            first = render_config(s, "production", apply_settings(configs[s.name]["production"],
                                                    change.settings, False))
            plan.append(ToolCall("files.write", {"path": path, "content": first},
                                 items={"content": setting_lines(first, changed_keys)}))
        check = f"python3 {VALIDATOR} " + " ".join(paths)
        plan.append(ToolCall("terminal.run", {"command": check}))
        for s, path in zip(change.targets, paths, strict=True):
            if s.name in change.pool_fixed:
                text = render_config(s, "production", apply_settings(configs[s.name]["production"],
                                                       change.settings, True))
                plan.append(ToolCall("files.write", {"path": path, "content": text},
                                     items={"content": setting_lines(text, [".".join(MAX_CONN)])}))
        if change.pool_fixed:
            plan.append(ToolCall("terminal.run", {"command": check}))
        services = ", ".join(sorted(s.name for s in change.targets))
        lines = [f"Change: {change.ident}", f"Commit: {tip[:10]}", f"Services: {services}"]
        plan += [ToolCall("git.checkout", {"target": branch, "create": True},
                          items={"target": ()}),
                 ToolCall("git.status"), ToolCall("git.diff"),
                 ToolCall("git.add", {"paths": paths}),
                 ToolCall("git.commit", {"message": message}, items={"message": ()}),
                 ToolCall("chat.post", {"channel": f"#{change.channel}",
                                        "text": "\n".join(lines)}, items={"text": ()})]
        return plan

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, change: _Change, branch: str, base: str, start: dict[str, bytes],
                  configs: dict[str, dict[str, Config]]) -> tuple[Criterion, ...]:
        expected: list[tuple[str, str]] = []
        for s in change.targets:
            path = f"services/{s.name}/production.toml"
            values = dict(change.settings)
            if s.name in change.pool_fixed:
                values[MAX_CONN] = 2 * change.settings[POOL]
            expected += [(f"{path} {a}.{b}", json.dumps(v)) for (a, b), v in
                         sorted(values.items())]
        names = {item: f"{item[0].split('/')[1]}: {item[0].split(' ')[1]} = "
                       f"{toml_value(json.loads(item[1]))}" for item in expected}
        work = wc.per_grade(lambda ctx: branch_work(ctx.world, branch, base))
        changes = wc.per_grade(lambda ctx: _changes(ctx, work(ctx), start))
        targets = {f"services/{s.name}/production.toml" for s in change.targets}

        def scoped(ctx: GradeContext) -> BranchWork:
            """The branch, when it changes only the change's files (the bookkeeping of a
            roll-out to the wrong services earns nothing)."""
            found = work(ctx)
            stray = sorted(set(found.changed(start)) - targets)
            if stray:
                raise GradeError(f"the branch also changes {', '.join(stray[:3])}")
            return found

        services = sorted(s.name for s in change.targets)
        posts = wc.per_grade(lambda ctx: _posts(ctx, change.channel))

        def validated(ctx: GradeContext) -> tuple[bool, str]:
            tip = work(ctx)
            runs = [c for c in ctx.calls if c.ok and c.name == "terminal.run"
                    and isinstance(c.args, dict) and _runs_validator(c.args.get("command"))]
            if not runs:
                return False, ("the validator was never run in the terminal (as the plain "
                               f"command 'python3 {VALIDATOR} FILE...')")
            stray = [p for p in ctx.world.files() if p.startswith(VALIDATOR_DIR)
                     and p != VALIDATOR]
            if stray:
                return False, f"{stray[0]} sits beside the validator: its runs do not count"
            with ctx.agent_content("the validator's output"):
                result = json.loads(runs[-1].output)
                code, out = result["exit_code"], ctx.text(result["stdout"], "its output")
            if code != 0:
                return False, f"the last validator run exited {code}"
            seen = {tuple(line.split()[1:3]) for line in out.split("\n")
                    if line.startswith("ok ") and len(line.split()) == 3}
            changed = sorted(p for p, d in tip.changed(start).items()
                             if d is not None and p.startswith("services/"))
            missing = [p for p in changed if (p, hashlib.sha256(tip.tree[p]).hexdigest()[:12])
                       not in seen]
            if not changed:
                return False, "nothing changed on the branch"
            return not missing, (f"not validated as committed: {missing[:3]}" if missing
                                 else f"all {len(changed)} changed file(s) validated")

        def committed(ctx: GradeContext) -> tuple[bool, str]:
            return True, f"{len(scoped(ctx).commits)} commit(s) on {branch}"

        def subjects(ctx: GradeContext) -> tuple[bool, str]:
            bad = [s for s in scoped(ctx).subjects() if not s.startswith(f"{change.ident}: ")
                   or not s[len(change.ident) + 2:].strip()]
            return not bad, f"subjects without '{change.ident}: ': {bad[:3]}" if bad else \
                "every subject names the change"

        def announced(ctx: GradeContext) -> tuple[bool, str]:
            scoped(ctx)  # announcing what is not committed is no announcement
            found = [p for p in posts(ctx) if ctx.line_values(p, "Change") == [change.ident]]
            return len(found) == 1, f"{len(found)} post(s) with 'Change: {change.ident}'"

        def one_post(ctx: GradeContext) -> str:
            found = [p for p in posts(ctx) if ctx.line_values(p, "Change") == [change.ident]]
            if len(found) != 1:
                raise GradeError(f"{len(found)} announcements of {change.ident}; one is asked")
            return found[0]

        def names_commit(ctx: GradeContext) -> tuple[bool, str]:
            values, tip = ctx.line_values(one_post(ctx), "Commit"), scoped(ctx).tip
            ok = len(values) == 1 and 7 <= len(values[0]) <= 40 and tip.startswith(
                values[0].lower())
            return ok, f"Commit lines {values[:2]}; the branch's tip is {tip[:10]}"

        def lists_services(ctx: GradeContext) -> tuple[bool, str]:
            scoped(ctx)
            values = ctx.line_values(one_post(ctx), "Services")
            listed = [v.strip() for v in values[0].split(",")] if len(values) == 1 else []
            return listed == services, f"lists {listed[:6]}; expected {services}"

        def main_kept(ctx: GradeContext) -> tuple[bool, str]:
            try:
                now = branch_head(ctx.world, "main")
            except GradeError as exc:
                return False, str(exc)
            return now == base, f"main is at {now[:7]}"

        def validator_kept(ctx: GradeContext) -> tuple[bool, str]:
            source = VALIDATOR_SOURCE.encode()
            try:
                tip = work(ctx).tree.get(VALIDATOR, source)
            except GradeError:
                tip = source  # no branch: only the working tree can have changed
            here = ctx.file_unchanged(VALIDATOR)
            return tip == source and here, "unchanged" if tip == source and here else \
                "the validator was changed"

        def elsewhere(ctx: GradeContext) -> tuple[bool, str]:
            store = _chat(ctx)
            where = store.channel(change.channel)
            stray = sorted({m.conversation for m in store.sent_by(store.me)
                            if where is None or m.conversation != where.id})
            return not stray, f"posted in {stray[:3]}" if stray else "nothing posted elsewhere"

        return (
            *wc.item_credit([(names[i], i) for i in expected], changes, group="setting"),
            wc.exact_items("configs match the change", expected, changes, weight=2),
            Criterion("validator passed on the committed configs", validated,
                      kind="trajectory"),
            Criterion(f"rollout committed on {branch}", committed),
            Criterion(f"commit subjects name {change.ident}", subjects),
            Criterion(f"announced in #{change.channel}", announced),
            Criterion("announcement names the commit", names_commit),
            Criterion("announcement lists the services", lists_services),
            Criterion("main unchanged", main_kept, guard=True),
            Criterion("validator unchanged", validator_kept, guard=True),
            wc.unchanged("chat messages unchanged", records=[("chat", "messages")]),
            Criterion("nothing posted elsewhere", elsewhere, guard=True),
        )


# -- grading helpers ---------------------------------------------------------------------


def _leaves(data: bytes, what: str, ctx: GradeContext) -> dict[str, str]:
    if len(data) > MAX_CONFIG_BYTES:
        raise GradeError(f"{what} is larger than {MAX_CONFIG_BYTES} bytes")
    with ctx.agent_content(what):
        parsed = tomllib.loads(data.decode("utf-8"))
        out: dict[str, str] = {}
        stack: list[tuple[str, Any]] = [("", parsed)]
        while stack:
            prefix, node = stack.pop()
            if isinstance(node, dict) and node:
                stack += [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in node.items()]
            else:
                out[prefix] = json.dumps(node, sort_keys=True, default=str)
        return out


def _changes(ctx: GradeContext, work: BranchWork, start: dict[str, bytes]
             ) -> list[tuple[str, str]]:
    """Every value the branch changed under services/: (``<path> <key>``, JSON value);
    a removed key or file shows as the value ``"<removed>"``."""
    found: list[tuple[str, str]] = []
    changed = {p: d for p, d in work.changed(start).items() if p.startswith("services/")}
    if len(changed) > MAX_CHANGED_CONFIGS:
        raise GradeError(f"the branch changes {len(changed)} files under services/; at most "
                         f"{MAX_CHANGED_CONFIGS} are read")
    for path, data in changed.items():
        before = _leaves(start[path], path, ctx) if path in start else {}
        after = _leaves(data, path, ctx) if data is not None else {}
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                found.append((f"{path} {key}", after.get(key, '"<removed>"')))
    return found


def _chat(ctx: GradeContext) -> ChatStore:
    store = ctx.world.stores.get("chat")
    if not isinstance(store, ChatStore):
        raise GradeError("the chat workspace is gone")
    return store


def _posts(ctx: GradeContext, channel: str) -> list[str]:
    store = _chat(ctx)
    where = store.channel(channel)
    return [m.text for m in store.sent_by(store.me)
            if where is not None and m.conversation == where.id]


def _branches(rng: random.Random, count: int, services: list[Service], who: Person,
              now: datetime) -> list[CommitSpec]:
    out = []
    for n in range(count):
        s = rng.choice(services)
        out.append(CommitSpec(f"Draft: tune {s.name} on staging", {
            f"docs/drafts/{s.name}-{n}.md": f"# {s.name}\n\nStaging experiment notes.\n"},
            now - timedelta(hours=30 - n), author=f"{who.name} <{who.email}>",
            branch=f"draft/{s.name}-{n}"))
    return out


def _handle(p: Person) -> str:
    return f"{p.first}.{p.last}".lower()

