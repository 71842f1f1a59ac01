"""Variants as typed values, and prompt phrasings that keep every requirement."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from minimal_family import Knobs, NoteTotal
from pydantic import ValidationError

from workgym.core import (
    FRAMES,
    Criterion,
    Instructions,
    Level,
    Levels,
    Requirement,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    Variant,
    WorldTemplate,
    canonical_variant,
    frame_of,
    make,
    paraphrase,
    parse_variant,
    run_plan,
)
from workgym.core._variant import prohibitions

# -- the variant string -----------------------------------------------------------------------


def test_a_variant_parses_in_any_order_into_one_canonical_form() -> None:
    v = parse_variant("phrasing=2, dialect=mcp-public")
    assert (v.family, v.dialect, v.phrasing) == ("default", "mcp-public", 2)
    assert str(v) == "dialect=mcp-public,phrasing=2"
    assert canonical_variant("dialect=mcp-public,phrasing=2") == str(v)
    assert canonical_variant("markdown,phrasing=1,dialect=proc-7") == \
        "markdown,dialect=proc-7,phrasing=1"
    # the defaults drop out; all of them is "default"
    for text in ("default", "dialect=native", "phrasing=0", "default,dialect=native,phrasing=0"):
        assert canonical_variant(text) == "default"
    assert parse_variant("markdown") == Variant(family="markdown")
    assert Variant(dialect="proc-3").replace(phrasing=4).canonical() == "dialect=proc-3,phrasing=4"


@pytest.mark.parametrize(("text", "reason"), [
    ("dialect=soap", "unknown dialect 'soap'"),
    ("dialect=proc-01", "unknown dialect"),
    ("dialect=proc-9999999", "unknown dialect"),
    ("phrasing=-1", "phrasing is a whole number"),
    ("phrasing=two", "phrasing is a whole number"),
    ("phrasing=1,phrasing=2", "sets phrasing twice"),
    ("markdown,plain", "sets family twice"),
    ("tone=formal", "unknown key 'tone'"),
    ("dialect=native,,phrasing=1", "empty part"),
    ("Markdown", "lowercase name"),
])
def test_a_bad_variant_is_refused_with_the_accepted_forms(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_variant(text)


def test_a_spec_keeps_the_canonical_variant_so_one_task_has_one_id() -> None:
    a = TaskSpec(family="office/x", version=1, seed=3, variant="phrasing=1,dialect=proc-2")
    b = TaskSpec(family="office/x", version=1, seed=3, variant="dialect=proc-2,phrasing=1")
    assert a.variant == b.variant == "dialect=proc-2,phrasing=1" and a.id == b.id
    assert TaskSpec.from_json(a.to_json()) == a
    plain = TaskSpec(family="office/x", version=1, seed=3)
    assert plain.id == TaskSpec(family="office/x", version=1, seed=3, variant="dialect=native").id
    assert len({plain.id, a.id, a.model_copy(update={"variant": "phrasing=1"}).id}) == 3
    with pytest.raises(ValidationError, match="unknown dialect"):
        TaskSpec(family="office/x", version=1, seed=3, variant="dialect=nope")


def test_a_family_takes_dialect_and_phrasing_but_refuses_an_undeclared_variant() -> None:
    family = NoteTotal()
    base = family.task(family.spec(4, "easy"))
    shifted = family.task(family.spec(4, "easy", variant="dialect=mcp-public,phrasing=3"))
    assert shifted.spec.variant == "dialect=mcp-public,phrasing=3"
    assert shifted.id != base.id
    # the plain task's world, criteria and reference; only the prompt is reworded
    assert shifted.template is base.template and shifted.criteria is base.criteria
    assert shifted.reference == base.reference and shifted.prompt != base.prompt
    with pytest.raises(ValueError, match="has no variant 'markdown'.*dialect= and phrasing="):
        family.task(family.spec(4, "easy", variant="markdown,phrasing=1"))


def test_a_family_variant_still_reaches_the_family_beside_dialect_and_phrasing() -> None:
    seen: list[str] = []

    class Recording(NoteTotal):
        variants = ("default", "loud")

        def generate(self, spec: TaskSpec) -> Task:
            seen.append(spec.variant)
            task = super().generate(spec)
            return replace(task, prompt=task.prompt.upper()) if spec.variant == "loud" else task

    family = Recording()
    task = family.task(family.spec(1, "easy", variant="loud,dialect=proc-4,phrasing=2"))
    assert seen == ["loud"]  # the family sees only its own variant
    assert task.spec.variant == "loud,dialect=proc-4,phrasing=2"
    assert "ADD UP THE AMOUNTS" in task.prompt and task.prompt != task.prompt.upper()


# -- phrasings --------------------------------------------------------------------------------

PROMPT = ("You are Ana Costa. Reconcile the receipts in receipts/ with the sheet "
          "expenses.xlsx and write the summary to summary.txt. Do not change the receipts.\n\n"
          "1. Correct the rows that disagree.\n2. Mail the summary to Bo.\n"
          "   Total: <sum>\n\nDo not mail anyone else. Never delete a receipt.")


def sentences(text: str) -> list[str]:
    return sorted(s.strip() for s in re.split(r"(?<=[.!:])\s+|\n", text) if s.strip())


def test_phrasing_zero_is_the_prompt_and_each_other_phrasing_keeps_every_sentence() -> None:
    assert paraphrase(PROMPT, 0) == PROMPT
    texts = {paraphrase(PROMPT, n, key=("k",)) for n in range(1, 13)}
    assert len(texts) > len(FRAMES) // 2  # frames and placements vary
    for n in range(1, 13):
        text = paraphrase(PROMPT, n, key=("k",))
        frame = FRAMES[frame_of(n)]  # type: ignore[index]
        extra = sentences(frame.format(body=""))
        # every sentence of the prompt, verbatim; nothing but the frame's words added
        assert sorted(s for s in sentences(text) if s not in extra) == sentences(PROMPT)
        # numbered steps and their indented format lines stay in order
        assert "1. Correct the rows that disagree.\n2. Mail the summary to Bo.\n   Total: <sum>" \
            in text
    assert paraphrase(PROMPT, 2, key=("a",)) == paraphrase(PROMPT, 2, key=("a",))


def test_prohibitions_are_the_whole_lines_and_closing_sentences_that_forbid() -> None:
    rest, found = prohibitions(PROMPT)
    assert found == ["Do not change the receipts.",
                     "Do not mail anyone else. Never delete a receipt."]
    assert "Do not" not in rest and "Reconcile the receipts" in rest
    # a list item or an indented format line is not moved
    listed = "Write it.\n- Do not sort the lines.\n  Do not edit: x."
    assert prohibitions(listed) == (listed, [])


def test_frames_are_at_least_three_and_phrasing_numbers_cycle_through_them() -> None:
    assert len(FRAMES) >= 3 and len(set(FRAMES)) == len(FRAMES)
    assert frame_of(0) is None
    assert [frame_of(n) for n in range(1, len(FRAMES) + 2)] == [*range(len(FRAMES)), 0]
    with pytest.raises(ValueError, match="phrasing must be 0 or more"):
        paraphrase(PROMPT, -1)


PARTS = Instructions(
    lead="You are Ana Costa, office manager. Tidy the supplier list in suppliers.xlsx.",
    requirements=(
        Requirement("Sort the rows by supplier name.",
                    ("Order the rows alphabetically by supplier name.",
                     "Put the rows in order of supplier name, A to Z.")),
        Requirement("Remove rows whose IBAN is empty.",
                    ("Delete every row without an IBAN.",)),
        "Do not change the header row.",
    ),
    close="Reply with the number of rows left.")


def test_declared_instructions_are_reworded_and_reordered_keeping_each_requirement() -> None:
    prompt = PARTS.text()
    assert prompt.startswith(PARTS.lead) and prompt.endswith(PARTS.close)
    assert "- Sort the rows by supplier name.\n- Remove rows" in prompt
    orders = set()
    for n in range(1, 25):
        text = paraphrase(prompt, n, instructions=PARTS, key=(n,))
        assert PARTS.lead in text and PARTS.close in text
        assert text.index(PARTS.lead) < text.index(PARTS.close)
        positions = []
        for r in PARTS.items():
            found = [text.find(w) for w in (r.text, *r.alternatives) if w in text]
            assert len(found) == 1, (n, r.text, text)  # exactly one wording of each
            positions.append(found[0])
        assert positions != sorted(positions)  # never the declared order
        orders.add(tuple(sorted(range(3), key=lambda i: positions[i])))
    assert len(orders) > 1
    with pytest.raises(ValueError, match="instructions.text"):
        paraphrase("something else", 1, instructions=PARTS)


def test_instructions_need_a_lead_and_a_requirement() -> None:
    with pytest.raises(ValueError, match="lead"):
        Instructions(lead=" ", requirements=("x",))
    with pytest.raises(ValueError, match="at least one requirement"):
        Instructions(lead="You are Bo.", requirements=())
    with pytest.raises(ValueError, match="must not be empty"):
        Requirement("Sort it.", ("",))


class DeclaredTotal(TaskFamily[Knobs]):
    """A family that declares its prompt in parts (as a family may)."""

    name = "examples/declared-total"
    version = 1
    apps = ("files",)
    levels = Levels(easy=Level(Knobs(items=2), calls=2), medium=Level(Knobs(items=3), calls=2),
                    hard=Level(Knobs(items=4), calls=2))

    def generate(self, spec: TaskSpec) -> Task:
        parts = Instructions(
            lead="Add up the amounts in notes.txt.",
            requirements=(Requirement("Write the total to total.txt.",
                                      ("Put the total in total.txt.",)),
                          "Write nothing else in total.txt.",
                          "Do not change notes.txt."))
        amounts = list(range(1, self.knobs(spec).items + 1))

        def total(ctx: object) -> tuple[bool, str]:
            text = ctx.read_text("total.txt").strip()  # type: ignore[attr-defined]
            return text == str(sum(amounts)), text

        return Task(spec=spec, prompt=parts.text(), instructions=parts, apps=self.apps,
                    template=WorldTemplate(now=datetime(2026, 1, 5, tzinfo=UTC), files={
                        "notes.txt": "".join(f"{a}\n" for a in amounts).encode()}),
                    criteria=(Criterion("total", total),),
                    reference=(ToolCall("files.read", {"path": "notes.txt"}),
                               ToolCall("files.write", {"path": "total.txt",
                                                        "content": f"{sum(amounts)}\n"})))


def test_a_task_built_with_instructions_gets_shuffled_phrasings_and_still_solves() -> None:
    family = DeclaredTotal()
    base = family.task(family.spec(0, "easy"))
    assert base.instructions is not None and base.prompt == base.instructions.text()
    prompts = set()
    for n in (1, 2, 3):
        task = family.task(family.spec(0, "easy", variant=f"phrasing={n}"))
        assert task.instructions is None  # the reworded prompt is no longer parts.text()
        prompts.add(task.prompt)
        assert task.prompt.count("total.txt") >= 2
        with run_plan(task) as episode:
            assert episode.grade().score == 1.0
    assert len(prompts) == 3 and base.prompt not in prompts
    with pytest.raises(ValueError, match="prompt=instructions.text"):
        replace(base, prompt="Add up the amounts.")


def test_every_registered_family_has_three_phrasings_with_its_criteria() -> None:
    from workgym.core import family_ids, get_family

    for family_id in family_ids():
        family = get_family(family_id)
        base = family.task(family.spec(0, "easy"))
        names = [c.name for c in base.criteria]
        prompts = {base.prompt}
        for n in (1, 2, 3):
            task = family.task(family.spec(0, "easy", variant=f"phrasing={n}"))
            assert [c.name for c in task.criteria] == names, family_id
            prompts.add(task.prompt)
        assert len(prompts) == 4, family_id


def test_make_passes_the_variant_through() -> None:
    task = make("examples/note-total-v1", seed=2, variant="phrasing=4")
    assert task.spec.variant == "phrasing=4"
    assert task.prompt != make("examples/note-total-v1", seed=2).prompt
