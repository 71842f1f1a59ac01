import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workgym.apps.search import (
    MAX_DOCUMENTS,
    MAX_SECTION_CHARS,
    Corpus,
    Document,
    SearchApp,
    SearchStore,
    Section,
    build_search,
    cited_documents,
    document_of,
)
from workgym.core import Episode, GradeError
from workgym.serve import connect_in_process

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def doc(id: str, kind: str, title: str, date: str, *texts: str, source: str = "Open Encyclopedia",
        authors: tuple[str, ...] = ()) -> dict:
    return {"id": id, "kind": kind, "title": title, "source": source, "date": date,
            "authors": list(authors),
            "sections": [{"heading": f"Part {i}", "text": t} for i, t in enumerate(texts, 1)]}


DOCS = [
    doc("art-0001", "article", "Kestrel Labs", "2024-05-01",
        "Kestrel Labs is a software company headquartered in Valmora.",
        "It was founded in 1998 by Lena Novak.", "Chief executive: Omar Haddad."),
    doc("news-0002", "news", "Kestrel Labs moves to Tovik", "2025-09-14",
        "Kestrel Labs said it will move its headquarters from Valmora to Tovik.",
        source="The Harbor Ledger", authors=("Vera Costa",)),
    doc("art-0003", "article", "Lena Novak", "2023-01-20",
        "Lena Novak (born 1961 in Tovik) is an engineer.", "Lena Novak founded Kestrel Labs."),
    doc("paper-0004", "paper", "Graph neural networks for traffic forecasting", "2022-11-02",
        "We study traffic forecasting using graph neural networks.",
        source="Journal of Machine Learning", authors=("Ines Moreau", "Lena Novak")),
    doc("news-0005", "news", "Valmora council approves a tram line", "2025-09-14",
        "Valmora, a city of 300,000 people, has approved new public works.",
        source="The Harbor Ledger", authors=("Vera Costa",)),
    doc("art-0006", "article", "Tovik", "2021-06-30", "Tovik is a city in Korova.",
        source="World Almanac"),
]


@pytest.fixture
def ep(start_episode) -> Episode:
    return start_episode(("search",), family="tests/search", now=NOW,
                         stores={"search": build_search(DOCS)})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok and match in result.text, result.text
    assert ep.calls[-1].error in ("tool_error", "invalid_args")
    assert ep.world.digest() == before
    return result.text


def ids(found) -> list[str]:
    return [r["id"] for r in found["results"]]


def test_search_ranks_by_bm25_with_titles_first_and_marks_the_words(ep):
    found = ok(ep, "search.search", query="kestrel labs")
    # the titles that hold the words outrank a text that does; the rest lack them
    assert sorted(ids(found)[:2]) == ["art-0001", "news-0002"] and ids(found)[2] == "art-0003"
    assert found["total"] == 3 and found["offset"] == 0
    first = next(r for r in found["results"] if r["id"] == "art-0001")
    assert first == {"id": "art-0001", "kind": "article", "title": "Kestrel Labs",
                     "source": "Open Encyclopedia", "date": "2024-05-01", "authors": [],
                     "snippet": first["snippet"]}
    assert "[Kestrel] [Labs]" in first["snippet"] and "\n" not in first["snippet"]


def test_authors_are_searched_and_every_word_must_match(ep):
    assert ids(ok(ep, "search.search", query="Novak")) == ["art-0003", "paper-0004", "art-0001"]
    assert ids(ok(ep, "search.search", query="novak traffic")) == ["paper-0004"]
    assert ok(ep, "search.search", query="novak zeppelin")["total"] == 0
    assert ids(ok(ep, "search.search", query="forecast*")) == ["paper-0004"]


def test_a_title_counts_more_than_the_text():
    corpus = build_search([doc("d-1", "news", "Weather report", "2025-01-01", "kestrel sighted"),
                           doc("d-2", "news", "Kestrel sighted", "2025-01-01", "weather report")
                           ]).corpus
    assert [corpus.documents[p].id for p in corpus.search("kestrel")] == ["d-2", "d-1"]


def test_equal_scores_rank_by_id():
    same = [doc(f"d-{n}", "news", "Same headline", "2025-01-01", "identical words here")
            for n in ("c", "a", "b")]
    corpus = Corpus(build_search(same).corpus.documents)
    assert [corpus.documents[p].id for p in corpus.search("identical")] == ["d-a", "d-b", "d-c"]


def test_filters_by_kind_source_and_dates(ep):
    assert sorted(ids(ok(ep, "search.search", query="Valmora", kind="news"))) == [
        "news-0002", "news-0005"]
    assert ids(ok(ep, "search.search", query="Valmora", kind="article")) == ["art-0001"]
    # a source's name in any case and spacing
    harbor = ok(ep, "search.search", source="THE  harbor ledger", query="valmora")
    assert sorted(ids(harbor)) == ["news-0002", "news-0005"]
    assert ids(ok(ep, "search.search", source="World Almanac")) == ["art-0006"]
    dated = ok(ep, "search.search", query="Tovik", date_from="2023-01-20", date_to="2025-09-14")
    assert sorted(ids(dated)) == ["art-0003", "news-0002"]


def test_sorting_by_date_keeps_ids_in_order_on_equal_dates(ep):
    newest = ok(ep, "search.search", query="Valmora", sort="newest")
    assert ids(newest) == ["news-0002", "news-0005", "art-0001"]
    oldest = ok(ep, "search.search", query="Valmora", sort="oldest")
    assert ids(oldest) == ["art-0001", "news-0002", "news-0005"]


def test_a_blank_query_lists_the_filtered_documents_newest_first_with_their_lead(ep):
    listed = ok(ep, "search.search", date_from="2024-01-01")
    assert ids(listed) == ["news-0002", "news-0005", "art-0001"]
    assert listed["results"][0]["snippet"] == ("Kestrel Labs said it will move its "
                                               "headquarters from Valmora to Tovik.")
    assert ids(ok(ep, "search.search", kind="paper")) == ["paper-0004"]
    assert ids(ok(ep, "search.search", sort="oldest", limit=2)) == ["art-0006", "paper-0004"]


def test_paging(ep):
    everything = ids(ok(ep, "search.search", limit=50))
    assert len(everything) == 6
    pages = [ids(ok(ep, "search.search", limit=4, offset=o)) for o in (0, 4, 8)]
    assert pages[0] + pages[1] == everything and pages[2] == []
    assert ok(ep, "search.search", limit=4, offset=4)["total"] == 6


def test_open_reads_one_section_at_a_time(ep):
    first = ok(ep, "search.open", document="art-0001")
    assert first["sections"] == [{"number": 1, "heading": "Part 1", "chars": 60},
                                 {"number": 2, "heading": "Part 2", "chars": 37},
                                 {"number": 3, "heading": "Part 3", "chars": 29}]
    assert first["section"] == 1 and first["next_section"] == 2
    assert first["text"] == "Kestrel Labs is a software company headquartered in Valmora."
    last = ok(ep, "search.open", document=" ART-0001 ", section=3)
    assert last["text"] == "Chief executive: Omar Haddad." and last["next_section"] is None
    assert ok(ep, "search.open", document="paper-0004")["authors"] == ["Ines Moreau", "Lena Novak"]


def test_list_sources(ep):
    listed = ok(ep, "search.list_sources")
    assert [(r["kind"], r["source"], r["documents"]) for r in listed["results"]] == [
        ("article", "Open Encyclopedia", 2), ("article", "World Almanac", 1),
        ("news", "The Harbor Ledger", 2), ("paper", "Journal of Machine Learning", 1)]
    news = ok(ep, "search.list_sources", kind="news")
    assert news["results"] == [{"source": "The Harbor Ledger", "kind": "news", "documents": 2,
                                "first_date": "2025-09-14", "last_date": "2025-09-14"}]
    assert ok(ep, "search.list_sources", limit=1, offset=3)["results"][0]["kind"] == "paper"


def test_bad_arguments_name_the_fix(ep):
    err(ep, "search.open", "search finds documents", document="art-9999")
    err(ep, "search.open", "has sections 1 to 3", document="art-0001", section=4)
    err(ep, "search.open", "invalid arguments", document="art-0001", section=0)
    err(ep, "search.search", "YYYY-MM-DD", query="labs", date_from="14/09/2025")
    err(ep, "search.search", "YYYY-MM-DD", query="labs", date_to="2025-02-30")
    err(ep, "search.search", "swap them", date_from="2025-01-02", date_to="2025-01-01")
    err(ep, "search.search", "list_sources shows the 4 sources", source="Daily Planet")
    err(ep, "search.search", "no words to search for", query="*** !!")
    err(ep, "search.search", "use fewer", query=" ".join(["w"] * 40))
    err(ep, "search.search", "invalid arguments", query="x" * 501)
    err(ep, "search.search", "invalid arguments", query="labs", kind="blog")
    err(ep, "search.search", "invalid arguments", query="labs", limit=51)
    err(ep, "search.search", "invalid arguments", query="labs", sort="best")
    err(ep, "search.search", "invalid arguments", query="labs", offset=-1)
    # FTS5 syntax in a query is searched as words, never run
    assert ok(ep, "search.search", query='labs" OR "tovik')["total"] == 0
    # (run as FTS5, NEAR would find three documents; as words, "near" is in none)
    assert ok(ep, "search.search", query="NEAR(kestrel labs)")["total"] == 0


def test_reads_never_change_the_world_and_same_corpus_gives_same_digest(start_episode):
    episodes = [start_episode(("search",), family="tests/search", now=NOW,
                              stores={"search": build_search(DOCS)}) for _ in range(2)]
    before = episodes[0].world.digest()
    assert episodes[1].world.digest() == before
    ok(episodes[0], "search.search", query="kestrel")
    ok(episodes[0], "search.open", document="news-0002")
    ok(episodes[0], "search.list_sources")
    assert episodes[0].world.digest() == before
    changed = [dict(d) for d in DOCS]
    changed[1] = {**changed[1], "date": "2025-09-15"}
    other = start_episode(("search",), family="tests/search", now=NOW,
                          stores={"search": build_search(changed)})
    assert other.world.digest() != before


def test_the_store_dumps_a_content_hash_and_copies_share_the_corpus():
    store = build_search(DOCS)
    dumped = store.model_dump(mode="json")
    assert dumped == {"corpus": {"documents": 6, "sha256": store.corpus.digest}}
    assert len(store.corpus.digest) == 64
    copied = store.model_copy(deep=True)
    assert copied.corpus is store.corpus and copy.deepcopy(store.corpus) is store.corpus
    # the hash covers every field of every document, whatever order they came in
    assert build_search(reversed(DOCS)).corpus.digest == store.corpus.digest
    retitled = [dict(d) for d in DOCS]
    retitled[0] = {**retitled[0], "authors": ["Someone"]}
    assert build_search(retitled).corpus.digest != store.corpus.digest
    assert SearchStore().model_dump(mode="json")["corpus"]["documents"] == 0


def test_an_empty_search_engine_answers(start_episode):
    episode = start_episode(("search",), family="tests/search", now=NOW)
    assert ok(episode, "search.search", query="anything") == {"total": 0, "offset": 0,
                                                              "results": []}
    assert ok(episode, "search.list_sources")["total"] == 0
    err(episode, "search.open", "no document", document="art-0001")


@pytest.mark.parametrize(("change", "match"), [
    ({"id": "Art 1"}, "inner hyphens"),
    ({"id": "-art"}, "inner hyphens"),
    ({"id": "a" * 41}, "inner hyphens"),
    ({"kind": "blog"}, "not one of article, news, paper"),
    ({"date": "2025-9-14"}, "YYYY-MM-DD"),
    ({"title": ""}, "title needs"),
    ({"title": "a\nb"}, "title needs"),
    ({"source": "x" * 121}, "source needs"),
    ({"authors": ["x"] * 21}, "authors"),
    ({"sections": []}, "1 to 30 sections"),
    ({"sections": [{"heading": "h", "text": "x" * (MAX_SECTION_CHARS + 1)}]}, "split it"),
    ({"sections": [{"heading": "", "text": "x"}]}, "heading needs"),
    ({"colour": "red"}, "unknown fields"),
])
def test_build_search_refuses_documents_the_tools_could_not_show(change, match):
    bad = {**DOCS[0], **change}
    with pytest.raises(ValueError, match=match):
        build_search([bad, DOCS[1]])


def test_build_search_refuses_repeated_ids_and_too_many_documents():
    with pytest.raises(ValueError, match="spell a source one way"):
        build_search([DOCS[1], {**DOCS[4], "source": "the harbor  ledger"}])
    with pytest.raises(ValueError, match="used twice"):
        build_search([DOCS[0], {**DOCS[1], "id": "art-0001"}])
    with pytest.raises(ValueError, match="lacks a field"):
        build_search([{k: v for k, v in DOCS[0].items() if k != "date"}])
    one = Document("d", "news", "t", "s", "2025-01-01", (Section("h", "x"),))
    many = [Document(f"d-{i}", one.kind, one.title, one.source, one.date, one.sections)
            for i in range(MAX_DOCUMENTS + 1)]
    with pytest.raises(ValueError, match="at most"):
        Corpus(many)


def test_graders_read_citations_and_documents():
    store = build_search(DOCS)
    text = ("Kestrel Labs moved [news-0002]; founder: see ART-0001. Also art-0001 and "
            "(paper-0004), not art-0099 or xart-0003.")
    assert cited_documents(store, text) == ["news-0002", "art-0001", "paper-0004"]
    assert cited_documents(store, "art-0003--news-0005") == []  # one word, not two ids
    assert cited_documents(store, "") == []
    with pytest.raises(GradeError, match="longer than"):
        cited_documents(store, "x" * 200_001)
    assert document_of(store, "art-0003").title == "Lena Novak"
    with pytest.raises(GradeError, match="no document"):
        document_of(store, "art-9")


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("search.search", {"query": "kestrel", "kind": "news"}),
             ("search.search", {"query": "Valmora", "sort": "newest", "limit": 2, "offset": 1}),
             ("search.open", {"document": "art-0001", "section": 2}),
             ("search.open", {"document": "art-0001", "section": 9}),
             ("search.list_sources", {}),
             ("search.search", {"query": "labs", "date_from": "yesterday"})]
    served, direct = (start_episode(("search",), family="tests/search", now=NOW,
                                    stores={"search": build_search(DOCS)}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_every_tool_reads_only_and_runs_beside_other_calls():
    specs = SearchApp.tool_specs()
    assert sorted(specs) == ["list_sources", "open", "search"]
    assert all(s.read_only and s.concurrent and not s.destructive for s in specs.values())


_TEXT = st.one_of(st.text(max_size=30), st.sampled_from(
    ['"', "*", "a*", "NEAR(", "x OR y", "-", "^", "\x00", "\ud800", "é", "Kestrel*", "( )",
     "2025-09-14", "art-0001", "ART-0001", "0000-00-00", "9999-12-31", " " * 3]))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(query=_TEXT, kind=st.one_of(st.none(), st.sampled_from(["article", "news", "x"])),
       source=st.one_of(st.none(), _TEXT), start=st.one_of(st.none(), _TEXT),
       end=st.one_of(st.none(), _TEXT), document=_TEXT,
       section=st.integers(min_value=-2, max_value=40))
def test_hostile_arguments_never_break_a_populated_search_engine(ep, query, kind, source, start,
                                                                  end, document, section):
    # one episode for every example: the tools only read, and the digest proves it
    before = ep.world.digest()
    args = {"query": query, "kind": kind, "source": source, "date_from": start,
            "date_to": end}
    for name, call in (("search.search", {k: v for k, v in args.items() if v is not None}),
                       ("search.open", {"document": document, "section": section})):
        result = ep.call(name, call)
        assert ep.calls[-1].error in (None, "tool_error", "invalid_args"), result.text
        assert result.ok == (ep.calls[-1].error is None)
    assert ep.world.digest() == before
