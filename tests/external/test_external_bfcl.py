"""BFCL end to end: bfcl-eval's pipeline and checkers against a scripted endpoint over HTTP."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval")

from bfcl_brain import BfclBrain
from scripted_server import ScriptedServer

from workgym.eval import build_report, load_run, load_run_config
from workgym.external import (
    BfclConfig,
    EndpointSettings,
    case_spec,
    resolve_categories,
    run_bfcl,
)
from workgym.external._bfcl import case_index

SINGLE = ["simple_python", "simple_javascript", "parallel_multiple", "irrelevance",
          "live_relevance"]
MULTI = ["multi_turn_base"]
OUTCOMES = {0: "right", 1: "wrong", 2: "flaky"}


def _outcome(category: str, index: int) -> str:
    outcome = OUTCOMES[index % 3]
    return "wrong" if outcome == "flaky" and category in MULTI else outcome


def _run(categories: list[str], folder: Path, *, limit: int, k: int,
         brain: BfclBrain | None = None) -> tuple[list, int]:
    if brain is None:
        brain = BfclBrain()
        for category in categories:
            for index in range(limit):
                brain.add(category, index, _outcome(category, index))
    run, skipped = resolve_categories(categories)
    with ScriptedServer(brain) as server:
        config = BfclConfig(
            endpoint=EndpointSettings(base_url=server.url, model="scripted-fc",
                                      temperature=0.0, retries=0, timeout_s=30),
            k=k, categories=run, skipped=skipped, limit=limit, concurrency=4)
        result = run_bfcl(config, folder)
        requests = len(server.requests)
    return result, requests


def test_categories_resolve_groups_and_skip_network_ones() -> None:
    run, skipped = resolve_categories(None)
    for category in ("simple_python", "simple_java", "simple_javascript", "multiple",
                     "parallel", "parallel_multiple", "irrelevance", "live_simple",
                     "live_irrelevance", "multi_turn_base", "multi_turn_long_context",
                     "memory_kv", "memory_rec_sum"):
        assert category in run
    assert set(skipped) == {"web_search_base", "web_search_no_snippet", "memory_vector",
                            "format_sensitivity"}
    assert all("network" in why for name, why in skipped.items() if name != "format_sensitivity")
    simple, _ = resolve_categories(["simple"])
    assert simple == ["simple_python", "simple_java", "simple_javascript"]
    memory, skipped = resolve_categories(["memory"])
    assert memory == ["memory_kv", "memory_rec_sum"] and "memory_vector" in skipped
    with pytest.raises(ValueError, match="unknown BFCL category 'simpel'"):
        resolve_categories(["simpel"])
    with pytest.raises(ValueError, match="no offline BFCL category"):
        resolve_categories(["web_search"])


def test_case_index_is_the_number_bfcl_gives_the_case() -> None:
    assert case_index("live_simple", "live_simple_3-2-1") == 3
    assert case_index("memory_kv", "memory_kv_152-notetaker-22") == 152
    assert case_index("simple_python", "simple_python_17") == 17
    with pytest.raises(ValueError):
        case_index("simple_python", "simple_java_3")


def test_bfcl_end_to_end_scores_right_answers_and_fails_wrong_ones(tmp_path: Path) -> None:
    folder = tmp_path / "bfcl"
    result, requests = _run(SINGLE + MULTI, folder, limit=3, k=2)
    assert requests > 0
    traces = load_run(folder)
    assert len(traces) == len(SINGLE + MULTI) * 3 * 2 and result.errors == 0
    passes: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for trace in traces:
        category = trace.spec.family.split("/", 1)[1]
        assert trace.spec == case_spec("bfcl", category, trace.spec.seed)
        assert trace.spec.version == 1 and trace.sample in (0, 1)
        assert trace.meta["case_id"].startswith(f"{category}_{trace.spec.seed}")
        assert trace.grade is not None and len(trace.grade.criteria) == 1
        passes[(category, trace.spec.seed)].append(trace.grade.passed)
    for (category, index), outcome in passes.items():
        expected = _outcome(category, index)
        wanted = {"right": [True, True], "wrong": [False, False], "flaky": [False, True]}[expected]
        assert sorted(outcome) == wanted, (category, index, expected)
    # the checkers' own verdicts are the evidence
    wrong = next(t for t in traces if t.spec.family == "bfcl/simple_python" and t.spec.seed == 1)
    assert wrong.grade is not None and wrong.grade.criteria[0].name == "ast_checker"
    assert "value_error" in wrong.grade.criteria[0].evidence
    multi = next(t for t in traces if t.spec.family == "bfcl/multi_turn_base" and t.spec.seed == 0)
    assert multi.grade is not None and multi.grade.criteria[0].name == "multi_turn_checker"
    assert multi.stats.tool_calls > 0 and any(c.output for c in multi.calls)
    # pass@1 and pass@2 per category: (1 + 0 + 0.5) / 3 and (1 + 0 + 1) / 3
    rows = {r["category"]: r for r in result.rows}
    assert rows["bfcl/simple_python"]["pass@1"] == pytest.approx(0.5)
    assert rows["bfcl/simple_python"]["pass@2"] == pytest.approx(2 / 3)
    assert rows["bfcl/multi_turn_base"]["pass@1"] == pytest.approx(1 / 3)
    config = load_run_config(folder)
    assert config["benchmark"] == "bfcl" and config["package"].startswith("bfcl-eval==")
    assert build_report(folder).summary.by_family["bfcl/irrelevance"].pass_at_k[1].value == \
        pytest.approx(0.5)


def test_bfcl_resumes_without_new_requests_and_retries_endpoint_failures(tmp_path: Path) -> None:
    folder = tmp_path / "bfcl"
    brain = BfclBrain()
    for index in range(2):
        brain.add("simple_python", index, "right")
    failing = {"on": True}
    first_case = brain.plans[0].users[0]

    def flaky_endpoint(request: dict) -> dict:
        if failing["on"] and request["messages"][-1]["content"] == first_case:
            raise RuntimeError("endpoint down")  # the server answers 500
        return brain(request)

    result, _ = _run(["simple_python"], folder, limit=2, k=1, brain=flaky_endpoint)  # type: ignore[arg-type]
    assert result.errors == 1  # an error trace, not a 0
    errored = [t for t in load_run(folder) if t.error is not None]
    assert len(errored) == 1 and errored[0].grade is None
    failing["on"] = False
    result, requests = _run(["simple_python"], folder, limit=2, k=1, brain=flaky_endpoint)  # type: ignore[arg-type]
    assert requests == 1 and result.errors == 0  # only the failed case ran again
    assert all(t.grade is not None and t.grade.passed for t in load_run(folder))
    _, requests = _run(["simple_python"], folder, limit=2, k=1, brain=flaky_endpoint)  # type: ignore[arg-type]
    assert requests == 0


@pytest.mark.slow
def test_bfcl_every_offline_category(tmp_path: Path) -> None:
    categories, _ = resolve_categories(None)
    brain = BfclBrain()
    for category in categories:
        for index in range(2):
            brain.add(category, index, "right" if index == 0 else "wrong")
    result, _ = _run(["all"], tmp_path / "bfcl", limit=2, k=1, brain=brain)
    rows = {r["category"]: r for r in result.rows}
    for category in categories:
        assert rows[f"bfcl/{category}"]["pass@1"] == pytest.approx(0.5), category
    assert json.loads((tmp_path / "bfcl" / "config.json").read_text())["skipped"]
