"""examples/note-total: add up the amounts in the notes and write the total to a file.

Copy this file (or run ``workgym new-family CATEGORY/NAME``) to start a family of your
own, then check it:

    python examples/minimal_family.py
    workgym check examples/note-total-v1 --import minimal_family   (from examples/)

Description:
    ``notes/amounts.txt`` lists amounts, one ``item N: amount`` line each; at ``hard``
    more notes under ``notes/extra/`` hold more of them. The agent writes their sum to
    ``total.txt``.

Apps:
    files.

Criteria:
    - ``total written``: ``total.txt`` holds the total and nothing else.
    - guard ``note untouched``: nothing under ``notes/`` changed.

Difficulty:
    easy 3 amounts, medium 6 (2 reference calls each); hard 12 plus 24 more notes of 2
    amounts each (27 calls). No richness distractors.

Version history:
    v1: first version.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from workgym.core import (
    Criterion,
    GradeContext,
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
from workgym.criteria import unchanged


class Knobs(BaseModel, frozen=True):
    items: int
    """How many amounts notes/amounts.txt holds."""
    extra_notes: int = 0
    """More notes under notes/extra/, two amounts each."""


@register_family
class NoteTotal(TaskFamily[Knobs]):
    """Add up the amounts in the notes under notes/ and write the total to total.txt."""

    name = "examples/note-total"
    version = 1
    apps = ("files",)
    levels = Levels(
        easy=Level(Knobs(items=3), calls=2),
        medium=Level(Knobs(items=6), calls=2),
        hard=Level(Knobs(items=12, extra_notes=24), calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "amounts")
        amounts = [rng.randint(1, 500) for _ in range(k.items)]
        files = {"notes/amounts.txt": "".join(
            f"item {i}: {a}\n" for i, a in enumerate(amounts, 1)).encode()}
        for n in range(k.extra_notes):
            more = [rng.randint(1, 500) for _ in range(2)]
            amounts += more
            files[f"notes/extra/note-{n + 1:02d}.txt"] = "".join(
                f"item {i}: {a}\n" for i, a in enumerate(more, 1)).encode()
        total = sum(amounts)

        def total_written(ctx: GradeContext) -> tuple[bool, str]:
            text = ctx.read_text("total.txt").strip()
            return text == str(total), f"total.txt holds {text[:40]!r}"

        reads = [ToolCall("files.read", {"path": path}) for path in files]
        if k.extra_notes:
            reads.insert(0, ToolCall("files.list", {"path": "notes", "recursive": True}))
        return Task(
            spec=spec,
            prompt=("Add up the amounts in the notes under notes/ (notes/amounts.txt and any "
                    "other note there) and write the total to total.txt."),
            apps=self.apps,
            template=WorldTemplate(now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), files=files),
            criteria=(
                Criterion("total written", total_written),
                unchanged("note untouched", folders=["notes"]),
            ),
            reference=(
                *reads,
                # items: the argument that carries the answer, for check_family's near misses
                ToolCall("files.write", {"path": "total.txt", "content": f"{total}\n"},
                         items={"content": ()}),
            ),
            artifacts=("total.txt",),
        )


if __name__ == "__main__":
    from workgym import check_family

    report = check_family(NoteTotal(), seeds=20)
    print(f"{report.family_id}: ok, reference calls per level {report.reference_calls}")
    for note in report.notes:
        print(f"  note: {note}")
