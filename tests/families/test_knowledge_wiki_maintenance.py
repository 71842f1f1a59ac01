"""knowledge/wiki-maintenance: the contract, then the family's own wrong-answer tests."""

import re

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.chat import ChatStore
from workgym.apps.docs import read_docx
from workgym.apps.search import SearchStore
from workgym.apps.wiki import WikiStore
from workgym.core import Task, ToolCall
from workgym.families.knowledge.wiki_maintenance import REGISTRY, WikiMaintenance

FAMILY = "knowledge/wiki-maintenance-v1"


def _wiki(task: Task) -> WikiStore:
    store = task.template.stores["wiki"]
    assert isinstance(store, WikiStore)
    return store


def _edits(task: Task) -> list[ToolCall]:
    return [c for c in task.reference if c.name == "wiki.edit"]


def _redirects(task: Task) -> dict[str, str]:
    """Duplicate title -> canonical title, as the reference merges them."""
    return {str(c.args["page"]): str(c.args["body"])[len("#REDIRECT [["):-3]
            for c in _edits(task) if str(c.args["body"]).startswith("#REDIRECT")}


def _post(text: str) -> ToolCall:
    return ToolCall("chat.post", {"channel": "#knowledge-base", "text": text})


def _naive_values(task: Task) -> dict[tuple[str, str], str]:
    """(service, fact label) -> the newest-looking value any source mentions: a planned
    owner over the registry's, the highest version named, the latest rate limit named."""
    values: dict[tuple[str, str], str] = {}
    blocks = read_docx(task.template.files[REGISTRY]).blocks
    for row in next(b.rows for b in blocks if b.kind == "table")[1:]:
        values[row[0], "Owner"] = row[1]
    for block in blocks:
        planned = re.match(r"Planned for \S+: (\S+) moves from .+ to (.+)\.$", block.text)
        if planned:
            values[planned[1], "Owner"] = planned[2]
    search = task.template.stores["search"]
    assert isinstance(search, SearchStore)
    versions: dict[str, tuple[int, ...]] = {}
    for doc in sorted(search.corpus.documents, key=lambda d: d.date):
        named = re.match(r"(\S+) (\d+)\.(\d+)", doc.title)
        if named and (int(named[2]), int(named[3])) > versions.get(named[1], (0, 0)):
            versions[named[1]] = (int(named[2]), int(named[3]))
            values[named[1], "Version"] = f"{named[2]}.{named[3]}"
        limit = re.search(r"(\S+) rate limit (?:now )?(\d+) per minute", doc.title)
        if limit:
            values[limit[1], "Rate limit"] = f"{limit[2]} requests per minute"
    return values


def _rewrite_every_page(task: Task) -> list[ToolCall]:
    values, plan = _naive_values(task), []
    for page in _wiki(task).pages:
        service = re.search(r"^- Service: (\S+)$", page.body, re.MULTILINE)
        if service is None:
            continue
        lines = []
        for line in page.body.split("\n"):
            label = line[2:].split(":")[0] if line.startswith("- ") else ""
            value = values.get((service[1], label))
            lines.append(f"- {label}: {value}" if value and label != "Service" else line)
        if "\n".join(lines) != page.body:
            plan.append(ToolCall("wiki.edit", {"page": page.title, "body": "\n".join(lines),
                                               "summary": "refresh facts"}))
    return plan


@pytest.mark.slow
def test_knowledge_wiki_maintenance_meets_the_contract() -> None:
    assert_meets_contract(WikiMaintenance())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness), calls_ok=False)
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_rewriting_every_fact_to_the_newest_value_named_scores_zero() -> None:
    for seed in range(4):
        task = make_task(FAMILY, seed, "hard")
        plan = [*_rewrite_every_page(task), _post("Corrected everything.")]
        grade = grade_plan(task, plan, calls_ok=False)
        assert grade.score == 0.0, [c.name for c in grade.criteria if c.passed]


def test_merging_a_near_duplicate_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 3, "hard")
    wiki = _wiki(task)
    merged = set(_redirects(task)) | set(_redirects(task).values())
    # a runbook or a sibling service's page: same words in the title, another topic
    other = next(p for p in wiki.pages if p.title not in merged and "- Service:" in p.body)
    target = next(p for p in wiki.pages if p.title in merged)
    plan = [*task.reference, ToolCall("wiki.edit", {
        "page": other.title, "body": f"#REDIRECT [[{target.title}]]\n", "summary": "merge"})]
    grade = grade_plan(task, plan, calls_ok=False)
    assert grade.score == 0.0
    assert "pages that are not duplicates keep their text" in failed_criteria(grade)


def test_merging_every_page_of_a_service_scores_zero() -> None:
    task = make_task(FAMILY, 5, "hard")
    wiki = _wiki(task)
    by_service: dict[str, list[str]] = {}
    for page in wiki.pages:
        found = re.search(r"^- Service: (\S+)$", page.body, re.MULTILINE)
        if found:
            by_service.setdefault(found[1], []).append(page.title)
    plan = [ToolCall("wiki.edit", {"page": title, "body": f"#REDIRECT [[{titles[0]}]]\n",
                                   "summary": "merge"})
            for titles in by_service.values() for title in titles[1:]]
    assert grade_plan(task, plan, calls_ok=False).score == 0.0


def test_blanking_a_page_that_is_no_duplicate_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 1, "medium")
    plan = [*task.reference, ToolCall("wiki.edit", {"page": "Service index", "body": "\n",
                                                    "summary": "clean up"})]
    grade = grade_plan(task, plan, calls_ok=False)
    assert grade.score == 0.0
    assert "pages that are not duplicates keep their text" in failed_criteria(grade)


def test_merging_the_wrong_way_round_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 2, "medium")
    plan = [ToolCall("wiki.edit", {"page": canon, "body": f"#REDIRECT [[{dup}]]\n",
                                   "summary": "merge"})
            for dup, canon in _redirects(task).items()]
    grade = grade_plan(task, plan, calls_ok=False)
    assert grade.score == 0.0
    assert "pages that are not duplicates keep their text" in failed_criteria(grade)


def test_a_summary_listing_every_candidate_scores_zero() -> None:
    task = make_task(FAMILY, 0, "hard")
    wiki = _wiki(task)
    values = _naive_values(task)
    titles = [p.title for p in wiki.pages]
    lines = [f"Merged: {a} -> {b}" for a in titles for b in titles if a != b]
    for page in wiki.pages:
        service = re.search(r"^- Service: (\S+)$", page.body, re.MULTILINE)
        for label in ("Owner", "Version", "Rate limit"):
            if service and (service[1], label) in values:
                lines.append(f"Corrected: {page.title} | {label} | {values[service[1], label]}")
    summary = [c for c in task.reference if c.name == "chat.post"]
    for text in ("\n".join(lines), "\n".join(lines[:200]) + "\n" + summary[0].args["text"]):
        grade = grade_plan(task, [_post(text[:4000])], calls_ok=False)
        assert grade.score == 0.0, [c.name for c in grade.criteria if c.passed]
    # with the wiki work done right, the summary lines still earn nothing
    plan = [c for c in task.reference if c.name != "chat.post"]
    grade = grade_plan(task, [*plan, _post("\n".join(lines)[:4000])], calls_ok=False)
    assert not any(c.passed for c in grade.criteria if c.name.startswith("summary: "))


def test_the_service_left_out_in_the_thread_must_stay_as_it_is() -> None:
    task = make_task(FAMILY, 1, "hard")
    chat = task.template.stores["chat"]
    assert isinstance(chat, ChatStore)
    said = next(m.text for m in chat.messages if "pages out of this round" in m.text)
    left_out = said.split("leave the ", 1)[1].split(" ", 1)[0]
    wiki = _wiki(task)
    pages = [p for p in wiki.pages if f"- Service: {left_out}\n" in p.body]
    assert not any(p.title in _redirects(task) for p in pages)
    # its duplicate pair: two pages with the same opening paragraph
    a, b = next((p, q) for p in pages for q in pages
                if p.id < q.id and p.body.split("\n")[2] == q.body.split("\n")[2])
    plan = [*task.reference, ToolCall("wiki.edit", {
        "page": b.title, "body": f"#REDIRECT [[{a.title}]]\n", "summary": "merge"})]
    grade = grade_plan(task, plan, calls_ok=False)
    assert not grade.passed and grade.score < 1.0


def test_distractors_leave_the_answer_and_its_page_ids_alone() -> None:
    plain, rich = make_task(FAMILY, 6, "hard", 0.0), make_task(FAMILY, 6, "hard", 1.0)
    assert [(c.name, c.args) for c in plain.reference if c.items] == [
        (c.name, c.args) for c in rich.reference if c.items]
    ids = {p.id: p.title for p in _wiki(plain).pages}
    assert all({p.id: p.title for p in _wiki(rich).pages}.get(i) == t for i, t in ids.items())
    assert len(_wiki(rich).pages) > len(_wiki(plain).pages)


def test_a_redirect_without_the_duplicates_sections_is_no_merge() -> None:
    task = make_task(FAMILY, 4, "medium")
    plan = [c for c in task.reference
            if not (c.name == "wiki.edit" and "merge" in str(c.args["summary"])
                    and not str(c.args["body"]).startswith("#REDIRECT"))]
    grade = grade_plan(task, plan, calls_ok=False)
    merges = [c for c in grade.criteria if c.name.startswith("merged ")]
    assert merges and not any(c.passed for c in merges)


def test_a_summary_of_work_not_done_earns_nothing() -> None:
    task = make_task(FAMILY, 2, "medium")
    post = next(c for c in task.reference if c.name == "chat.post")
    grade = grade_plan(task, [post], calls_ok=False)
    assert grade.score == 0.0, [c.name for c in grade.criteria if c.passed]
    # the merges done, the corrections not: the merge lines count, unless the claims of
    # corrections cancel them
    merges = [c for c in task.reference if c.name == "wiki.edit"
              and str(c.args["body"]).startswith("#REDIRECT")]
    carried = [c for c in task.reference if c.name == "wiki.edit" and "merge" in
               str(c.args["summary"]) and not str(c.args["body"]).startswith("#REDIRECT")]
    merged_only = "\n".join(x for x in str(post.args["text"]).split("\n")
                            if x.startswith("Merged:"))
    for text, earns in ((merged_only, True), (str(post.args["text"]), False)):
        grade = grade_plan(task, [*carried, *merges, _post(text)], calls_ok=False)
        lines = [c for c in grade.criteria if c.name.startswith("summary: Merged")]
        assert lines and all(c.passed is earns for c in lines)
