"""``workgym new-family``: a family skeleton that passes ``check_family`` as written, its
test and its docs stub. Edit the generator from there (docs/families.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^([a-z][a-z0-9_-]*)/([a-z][a-z0-9_-]*)$")

_FAMILY = '''"""{family}: collect the tagged entries from a pile of notes into one report.

(A skeleton written by ``workgym new-family``: it passes ``check_family`` as it is.
Replace the world, the prompt, the criteria and the reference with your task's; see
docs/families.md.)

Description:
    Notes under ``notes/`` hold entries, one ``<id> <tag> <text>`` line each. A mail from
    the team lead says which tag to collect. The agent writes ``report.txt`` with the ids
    of the entries that carry the tag, one per line, sorted.

Apps:
    files, mail.

Criteria:
    - ``id: <id>`` (one per required id): precision-aware credit.
    - ``no wrong ids``, ``order``.
    - guards: the notes and the mailbox are unchanged.

Difficulty:
    Knobs set the notes and the entries per note. Reference calls: easy 7, medium 13,
    hard 26. ``richness`` adds notes without the tag and everyday mails.

Version history:
    v1: first version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import people
from workgym.content.prose import letter
from workgym.core import (
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

REPORT = "report.txt"
TAGS = ("urgent", "billing", "follow-up", "legal", "travel", "hiring")


class Knobs(BaseModel, frozen=True):
    notes: int
    """Notes holding entries."""
    entries: int
    """Entries per note."""


@register_family
class {cls}(TaskFamily[Knobs]):
    """Collect the entries with a given tag from the notes into report.txt."""

    name = "{family}"
    version = 1
    apps = ("files", "mail")
    levels = Levels(
        easy=Level(Knobs(notes=3, entries=4), calls=6),
        medium=Level(Knobs(notes=9, entries=5), calls=12),
        hard=Level(Knobs(notes=22, entries=6), calls=25),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(days=rng.randrange(300))
        me, lead, *others = people(rng, 4)
        tag = rng.choice(TAGS)
        entries = [f"E-{{n}}" for n in rng.sample(range(1000, 10000), k.notes * k.entries)]
        wanted = sorted(rng.sample(entries, max(2, len(entries) // 5)))
        files = {{}}
        for n in range(k.notes):
            lines = [f"{{e}} {{tag if e in wanted else rng.choice([t for t in TAGS if t != tag])}} "
                     f"{{rng.choice(('call back', 'check', 'file'))}}"
                     for e in entries[n * k.entries:(n + 1) * k.entries]]
            files[f"notes/note-{{n + 1:02d}}.txt"] = ("\\n".join(lines) + "\\n").encode()

        rich = rng_for(spec, "distractors")  # distractors never look at the answer
        for n in range(scaled(spec.richness, 4)):
            files[f"archive/old-{{n + 1}}.txt"] = f"E-{{rich.randrange(100, 999)}} done\\n".encode()
        box = Mailbox(me)
        box.receive(lead, "This week's report", letter(
            me.first, f"please collect every entry tagged {{tag}} from the notes.", lead.first),
            now - timedelta(hours=2), key="ask")
        everyday_mails(box, rich, scaled(spec.richness, 3), me, others, now - timedelta(days=3),
                       now - timedelta(hours=3))
        mail, ids = box.build()

        found = wc.text_lines(REPORT)
        criteria = (
            *wc.item_credit([(f"id: {{e}}", e) for e in wanted], found, group="required id"),
            wc.no_wrong_items("no wrong ids", wanted, found),
            wc.in_order("order", wanted, found),
            wc.unchanged("notes and mail untouched", folders=["notes"],
                         records=[("mail", "messages")]),
        )
        reference = (
            ToolCall("mail.search", {{"query": "report"}}),
            ToolCall("mail.read", {{"message_id": ids["ask"]}}),
            ToolCall("files.list", {{"path": "notes"}}),
            *(ToolCall("files.read", {{"path": path}}) for path in sorted(files)
              if path.startswith("notes/")),
            # items: the argument that carries the answer, for check_family's near misses
            ToolCall("files.write", {{"path": REPORT, "content": "\\n".join(wanted) + "\\n"}},
                     items={{"content": ()}}),
        )
        return Task(
            spec=spec,
            prompt=(f"You are {{me.name}}. Do what {{lead.name}} asks in their mail about this "
                    f"week's report: write {{REPORT}} with one entry id per line, sorted, and "
                    "nothing else. Do not change the notes."),
            apps=self.apps,
            template=WorldTemplate(now=now, files=files, stores={{"mail": mail}}),
            criteria=criteria,
            reference=reference,
            artifacts=(REPORT,),
        )
'''

_TEST = '''"""{family}: the contract, then the family's own wrong-answer tests."""

{imports}


def test_{ident}_meets_the_contract() -> None:
    report = check_family({cls}(), seeds=10, raise_on_failure=False)
    assert report.ok, "\\n".join(report.failures)
'''

_DOCS = '''# {family}

Collect the tagged entries from a pile of notes into one report (a skeleton written by
`workgym new-family`; describe your task here).

- Module: `{module}` (class `{cls}`), id `{family}-v1`.
- Check it: `workgym check {family}-v1 --import {module}`.
- Apps, criteria, levels and version history: the module docstring.
'''


@dataclass(frozen=True)
class Scaffold:
    """The files ``new_family`` wrote."""

    family: Path
    test: Path
    docs: Path
    module: str
    """The module's import name, e.g. ``workgym.families.tickets.triage``."""


def new_family(name: str, into: Path, tests: Path, docs: Path,
               package: str = "") -> Scaffold:
    """Write the skeleton of family ``name`` (``category/name``).

    Args:
        name: ``category/name``, lower case.
        into: the folder that holds category folders (the category folder and its
            ``__init__.py`` are created when missing).
        tests: where the test goes (``test_<category>_<name>.py``).
        docs: where the docs stub goes (``<category>-<name>.md``).
        package: the import name of ``into`` (``workgym.families`` for built-ins; empty
            when ``into`` is on the import path itself).

    Raises:
        ValueError: a malformed name, or a file that exists already.
    """
    match = _NAME.match(name)
    if not match:
        raise ValueError(f"name must look like 'category/name' (lower case letters, digits, "
                         f"- and _), got {name!r}")
    category, short = match.groups()
    stem = short.replace("-", "_")
    folder = into / category.replace("-", "_")
    module = ".".join(p for p in (package, folder.name, stem) if p)
    cls = "".join(part.capitalize() for part in re.split(r"[-_]", short))
    ident = f"{category}_{stem}".replace("-", "_")
    paths = Scaffold(folder / f"{stem}.py", tests / f"test_{ident}.py",
                     docs / f"{category}-{short}.md", module)
    existing = [str(p) for p in (paths.family, paths.test, paths.docs) if p.exists()]
    if existing:
        raise ValueError(f"not overwriting {', '.join(existing)}; remove them or pick another name")
    # one import block, sorted as ruff sorts it: a built-in family is first-party beside
    # workgym.checks; any other module comes first, in a block of its own
    mine, ours = f"from {module} import {cls}", "from workgym.checks import check_family"
    imports = f"{ours}\n{mine}" if module.startswith("workgym.") else f"{mine}\n\n{ours}"
    values = {"family": name, "cls": cls, "module": module, "ident": ident, "imports": imports}
    for path, text in ((paths.family, _FAMILY), (paths.test, _TEST), (paths.docs, _DOCS)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**values))
    (folder / "__init__.py").touch()
    return paths
