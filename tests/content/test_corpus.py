import random
import statistics
from collections import Counter
from datetime import date, timedelta

import pytest

from workgym.content.corpus import (
    RELATIONS,
    CorpusSize,
    ResearchCorpus,
    generate_corpus,
    pick_question,
)

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def corpus() -> ResearchCorpus:
    return generate_corpus(random.Random(7), TODAY)


@pytest.fixture(scope="module")
def rich() -> ResearchCorpus:
    return generate_corpus(random.Random(7), TODAY, extra=1.0)


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(corpus):
    again = generate_corpus(random.Random(7), TODAY)
    assert again.documents == corpus.documents and again.statements == corpus.statements
    assert again.store().corpus.digest == corpus.store().corpus.digest
    other = generate_corpus(random.Random(8), TODAY)
    assert {e.name for e in other.entities}.isdisjoint({e.name for e in corpus.entities
                                                        if e.kind in ("city", "company")})


def test_the_default_size_gives_about_five_hundred_documents_of_every_kind(corpus):
    kinds = Counter(d.kind for d in corpus.documents)
    assert 450 <= len(corpus.documents) <= 600, kinds
    assert kinds["article"] > 250 and kinds["news"] > 80 and kinds["paper"] == 60
    assert len({d.source for d in corpus.documents if d.kind == "news"}) == 5
    assert len({d.id for d in corpus.documents}) == len(corpus.documents)
    assert [d.id for d in corpus.documents] == sorted(d.id for d in corpus.documents)
    names = [e.name.casefold() for e in corpus.entities]
    assert len(set(names)) == len(names)
    small = generate_corpus(random.Random(7), TODAY, CorpusSize(cities=4, companies=3,
                                                                researchers=2, products=2,
                                                                papers=2, universities=1))
    assert len(small.documents) < 60


def test_every_statement_is_true_on_its_documents_date(corpus):
    by_doc = {d.id: d for d in corpus.documents}
    for s in corpus.statements:
        day = date.fromisoformat(by_doc[s.document].date)
        assert s.as_of == day < TODAY
        held = [f for f in corpus.history(s.subject, s.relation) if f.value == s.value]
        assert any(f.holds_on(day) for f in held), s


def test_every_current_fact_a_question_can_ask_is_stated_somewhere(corpus):
    asked = 0
    for entity in corpus.entities:
        for name, relation in RELATIONS.items():
            if relation.subject != entity.kind or corpus.current(entity.id, name) is None:
                continue
            hop = corpus.hop(entity.id, name)
            assert hop.documents, (entity.name, name)
            asked += 1
    assert asked > 800


def test_changed_facts_leave_outdated_documents_dated_before_the_change(corpus):
    outdated = 0
    by_doc = {d.id: d for d in corpus.documents}
    for entity in corpus.entities:
        for name, relation in RELATIONS.items():
            if relation.subject != entity.kind or not relation.changes:
                continue
            history = corpus.history(entity.id, name)
            if len(history) < 2:
                continue
            hop = corpus.hop(entity.id, name)
            changed = history[-1].since
            assert changed is not None and hop.value == corpus.display(history[-1].value)
            for doc_id in hop.outdated:
                outdated += 1
                assert date.fromisoformat(by_doc[doc_id].date) < changed
                assert doc_id not in hop.documents
            for doc_id in hop.documents:
                assert date.fromisoformat(by_doc[doc_id].date) >= changed
    assert outdated > 20


def test_no_document_predates_its_subject(corpus):
    launched = {e.name: int(corpus.current(e.id, "launched").value)  # type: ignore[union-attr]
                for e in corpus.of_kind("product")}
    for d in corpus.documents:
        if d.kind == "article" and d.title in launched:
            assert int(d.date[:4]) >= launched[d.title]
    founded = {e.name: int(corpus.current(e.id, "founded").value)  # type: ignore[union-attr]
               for e in corpus.of_kind("company")}
    for d in corpus.documents:
        if d.title in founded:
            assert int(d.date[:4]) >= founded[d.title]


def test_extras_leave_the_core_as_it_is(corpus, rich):
    assert len(rich.documents) > 1.8 * len(corpus.documents)
    assert set(corpus.documents) <= set(rich.documents)
    assert set(corpus.statements) <= set(rich.statements)
    core_ids = {e.id for e in corpus.entities}
    assert [e for e in rich.entities if e.id in core_ids] == list(corpus.entities)
    added = set(rich.statements) - set(corpus.statements)
    # an extra document states nothing about the core
    assert added and all(s.subject not in core_ids for s in added)
    for seed in range(5):
        for hops in (2, 3):
            plain = pick_question(corpus, random.Random(seed), hops)
            assert pick_question(rich, random.Random(seed), hops) == plain


def test_extras_look_like_the_core(corpus, rich):
    core_ids = {e.id for e in corpus.entities}
    extras = [e for e in rich.entities if e.id not in core_ids]
    assert {e.kind for e in extras} == {"city", "university", "company", "person", "product",
                                        "paper"}
    core_docs = set(corpus.documents)
    extra_docs = [d for d in rich.documents if d not in core_docs]
    for kind in ("article", "news", "paper"):
        a = statistics.mean(len(d.text) for d in corpus.documents if d.kind == kind)
        b = statistics.mean(len(d.text) for d in extra_docs if d.kind == kind)
        assert 0.8 < a / b < 1.25, kind


@pytest.mark.parametrize("hops", [1, 2, 3, 4])
def test_a_question_chains_its_hops_from_a_named_core_entity(corpus, hops):
    for seed in range(10):
        q = pick_question(corpus, random.Random(seed), hops)
        assert len(q.hops) == hops and q.answer == q.hops[-1].value
        anchor = corpus.entity(q.hops[0].subject_id)
        assert anchor.core and anchor.name in q.text and q.text.endswith("?")
        visited = [q.hops[0].subject_id]
        for before, after in zip(q.hops, q.hops[1:], strict=False):
            assert before.value_id == after.subject_id
            visited.append(after.subject_id)
        if q.hops[-1].value_id is not None:
            visited.append(q.hops[-1].value_id)
        assert len(set(visited)) == len(visited)
        for hop in q.hops:
            fact = corpus.current(hop.subject_id, hop.relation)
            assert fact is not None and corpus.display(fact.value) == hop.value
            assert hop.documents
            assert set(q.documents) >= set(hop.documents)


def test_question_options(corpus):
    q = pick_question(corpus, random.Random(1), 3, min_outdated=1)
    assert any(h.outdated for h in q.hops)
    assert any(RELATIONS[h.relation].changes for h in q.hops if h.outdated)
    for seed in range(10):
        q = pick_question(corpus, random.Random(seed), 2, last=["born", "founded"],
                          start=["product", "company"])
        assert q.hops[-1].relation in ("born", "founded") and q.answer.isdigit()
        assert corpus.entity(q.hops[0].subject_id).kind in ("product", "company")
        assert q.hops[-1].relation not in ("country", "venue")
    with pytest.raises(ValueError, match="between 1 and 5"):
        pick_question(corpus, random.Random(1), 0)
    with pytest.raises(ValueError, match="unknown relations"):
        pick_question(corpus, random.Random(1), 2, last=["mayor"])
    with pytest.raises(ValueError, match="no 5-hop chain"):
        pick_question(corpus, random.Random(1), 5, min_outdated=5, tries=50)


def test_questions_have_no_side_channel_in_ids_lengths_kinds_or_dates():
    """Over many worlds the supporting documents sit anywhere in id order, are as long as
    the other documents of their kind, are never the only ones of their kind, and are dated
    like them."""
    percentiles, lengths, ages = [], [], []
    for seed in range(12):
        world = generate_corpus(random.Random(seed), TODAY)
        order = {d.id: i / len(world.documents) for i, d in enumerate(world.documents)}
        by_kind = Counter(d.kind for d in world.documents)
        mean_len = {k: statistics.mean(len(d.text) for d in world.documents if d.kind == k)
                    for k in by_kind}
        mean_age = {k: statistics.mean((TODAY - date.fromisoformat(d.date)).days
                                       for d in world.documents if d.kind == k)
                    for k in by_kind}
        by_id = {d.id: d for d in world.documents}
        for n in range(3):
            for doc_id in pick_question(world, random.Random(100 + n), 3).documents:
                d = by_id[doc_id]
                assert by_kind[d.kind] >= 50
                percentiles.append(order[doc_id])
                lengths.append(len(d.text) / mean_len[d.kind])
                ages.append((TODAY - date.fromisoformat(d.date)).days / mean_age[d.kind])
    assert len(percentiles) > 100
    assert 0.4 < statistics.mean(percentiles) < 0.6
    assert 0.85 < statistics.mean(lengths) < 1.15
    assert 0.8 < statistics.mean(ages) < 1.2


def test_every_hop_is_found_by_searching_its_subject(corpus):
    store = corpus.store()
    docs = store.corpus.documents
    for seed in range(15):
        for hop in pick_question(corpus, random.Random(seed), 3).hops:
            top = {docs[p].id for p in store.corpus.search(hop.subject)[:10]}
            assert top & set(hop.documents), hop


def test_papers_are_listed_with_their_documents(corpus):
    assert len(corpus.papers) == 60
    by_id = {d.id: d for d in corpus.documents}
    for paper in corpus.papers:
        doc = by_id[paper.document]
        assert doc.kind == "paper" and doc.title == paper.title and doc.source == paper.venue
        assert doc.authors == paper.authors and int(doc.date[:4]) == paper.year
        assert paper.method in doc.text


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="extra must be"):
        generate_corpus(random.Random(1), TODAY, extra=3.0)
    with pytest.raises(ValueError, match="at least as many cities"):
        generate_corpus(random.Random(1), TODAY, CorpusSize(countries=6, cities=4))
    assert max(d.date for d in generate_corpus(random.Random(1), TODAY - timedelta(days=400)
                                                   ).documents) < (TODAY - timedelta(days=400)
                                                                   ).isoformat()


def test_every_store_of_a_corpus_shares_one_index(corpus):
    first, second = corpus.store(), corpus.store()
    assert first is not second and first.corpus is second.corpus
    assert first.corpus.documents == corpus.documents
