import base64
import json
import math
import re

import pytest

from workgym.core import TraceStats
from workgym.eval import (
    MetricsConfig,
    Report,
    RunError,
    build_report,
    load_run,
    summarize,
    write_report,
)


def test_report_json_matches_hand_computed_values(run_a):
    json_path, html_path = write_report(build_report(run_a))
    assert json_path == run_a / "report.json" and html_path.exists()
    data = json.loads(json_path.read_text())
    s = data["summary"]
    assert s["ks"] == [1, 2, 4, 5]  # powers of 2 up to 5 samples per task, and 5
    o = s["overall"]
    assert (o["tasks"], o["samples"], o["errors"]) == (4, 20, 3)
    # per task pass@1: .4, 0, 1, 0
    assert o["pass_at_k"]["1"]["value"] == pytest.approx(0.35)
    # T1 (n=5, c=2): pass@2 = 1 - C(3,2)/C(5,2) = 0.7; T3 = 1
    assert o["pass_at_k"]["2"]["value"] == pytest.approx((0.7 + 1) / 4)
    assert o["pass_at_k"]["4"]["value"] == pytest.approx(0.5)
    # T1 pass^2 = C(2,2)/C(5,2) = 0.1
    assert o["pass_hat_k"]["2"]["value"] == pytest.approx((0.1 + 1) / 4)
    assert o["pass_hat_k"]["5"]["value"] == pytest.approx(0.25)
    # mean scores per task: .5, .1, 1, 0
    assert o["mean_score"]["value"] == pytest.approx(0.4)
    assert o["any_success"]["value"] == pytest.approx(0.5)
    assert o["any_reward"]["value"] == pytest.approx(0.75)
    lo, hi = o["mean_score"]["lo"], o["mean_score"]["hi"]
    assert 0 <= lo < 0.4 < hi <= 1

    office, finance = s["by_category"]["office"], s["by_category"]["finance"]
    assert office["pass_at_k"]["1"]["value"] == pytest.approx(0.2)
    assert office["mean_score"]["value"] == pytest.approx(0.3)
    assert office["errors"] == 2 and finance["errors"] == 1
    assert finance["pass_at_k"]["1"]["value"] == pytest.approx(0.5)
    assert list(s["by_difficulty"]) == ["easy", "medium", "hard"]
    assert s["by_difficulty"]["easy"]["pass_at_k"]["2"]["value"] == pytest.approx(0.7)
    assert s["by_family"]["office/alpha"]["tasks"] == 2
    assert s["error_messages"] == {"endpoint down": 2, "timeout": 1}

    b = o["behaviour"]
    assert b["traces"] == 20  # error traces are not in the behaviour either
    assert b["mean_turns"] == 4 and b["mean_tool_calls"] == 5
    assert b["parallel_call_rate"] == pytest.approx(0.25)
    assert b["invalid_call_rate"] == pytest.approx(5 / 100)
    assert b["unknown_tool_rate"] == pytest.approx(5 / 100)
    assert b["closure_known"] == 15 and b["closure_rate"] == pytest.approx(7 / 15)
    assert b["truncation_rate"] == pytest.approx(0.25)
    assert b["stop_reasons"] == {"answer": 15, "max_turns": 5}
    assert (b["prompt_tokens"], b["completion_tokens"]) == (2000, 400)
    assert b["tool_error_rate"] == 0.0

    # the JSON reads back into the model
    again = Report.model_validate_json(json_path.read_text())
    assert again.summary.overall.pass_at_k[2].value == pytest.approx(0.425)
    assert again.config == {"policy": "scripted", "model": "m-a"}


def test_errors_are_excluded_not_zero(run_a, trace_factory, run_writer, tmp_path):
    traces = load_run(run_a)
    # many more error traces on the solved task T3 change no metric
    more = [trace_factory("finance/beta", 0, 10 + i, difficulty="hard", error="down")
            for i in range(10)]
    base = summarize(traces)
    with_errors = summarize(traces + more)
    assert with_errors.errors == base.errors + 10
    assert with_errors.overall.pass_at_k == base.overall.pass_at_k
    assert with_errors.overall.mean_score == base.overall.mean_score


def test_threshold_changes_success(run_a):
    s = summarize(load_run(run_a), MetricsConfig(threshold=0.5))
    # at 0.5 the half-scores pass: T1 3/5, T2 1/5, T3 5/5, T4 0/5
    assert s.overall.pass_at_k[1].value == pytest.approx((0.6 + 0.2 + 1 + 0) / 4)
    assert s.overall.mean_score.value == pytest.approx(0.4)  # dense score is unchanged
    with pytest.raises(ValueError):
        MetricsConfig(threshold=0)


def test_html_is_self_contained_with_plots(run_a):
    _, html_path = write_report(build_report(run_a))
    page = html_path.read_text()
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "office/alpha" in page and "finance" in page and "endpoint down" in page
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) == 3  # pass@k curves, per-category bars, per-difficulty bars
    for chunk in images:
        png = base64.b64decode(chunk.split('"', 1)[0])
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_html_escapes_names(trace_factory, run_writer, tmp_path):
    run = run_writer(tmp_path / "r", [trace_factory("x<b>/y", 0, 0)])
    page = write_report(build_report(run))[1].read_text()
    assert "x&lt;b&gt;" in page and "x<b>" not in page


def test_external_benchmark_families_group_generically(trace_factory):
    traces = [trace_factory("bfcl/simple_python", s, 0, (s % 2 == 0,), suite="bfcl")
              for s in range(4)]
    traces += [trace_factory("tau2/airline", s, 0, (True,), suite="tau2") for s in range(2)]
    s = summarize(traces)
    assert set(s.by_category) == {"bfcl", "tau2"}
    assert s.by_category["bfcl"].pass_at_k[1].value == pytest.approx(0.5)
    assert set(s.by_family) == {"bfcl/simple_python", "tau2/airline"}
    assert set(s.by_suite) == {"bfcl", "tau2"} and s.ks == [1]


def test_run_with_only_errors_has_undefined_metrics(trace_factory, run_writer, tmp_path):
    run = run_writer(tmp_path / "r", [trace_factory("office/a", 0, 0, error="down")])
    page = write_report(build_report(run))[1].read_text()
    assert "No graded traces" in page and not re.search(r"\bnan\b", page.lower())
    s = summarize(load_run(run))
    assert s.overall.tasks == 0 and s.errors == 1
    assert math.isnan(s.overall.pass_at_k[1].value)
    assert math.isnan(s.overall.behaviour.mean_turns)
    assert json.loads(s.model_dump_json())["overall"]["pass_at_k"]["1"]["value"] is None


def test_load_run_errors_and_resumed_lines(tmp_path, trace_factory, run_writer):
    with pytest.raises(RunError, match="does not exist"):
        load_run(tmp_path / "missing")
    (tmp_path / "no_traces").mkdir()
    with pytest.raises(RunError, match="no traces.jsonl"):
        load_run(tmp_path / "no_traces")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "traces.jsonl").write_text("")
    with pytest.raises(RunError, match="empty"):
        load_run(empty)

    first = trace_factory("office/a", 0, 0, error="down")
    retried = trace_factory("office/a", 0, 0, (True,))
    other = trace_factory("office/a", 1, 0, (False,))
    run = run_writer(tmp_path / "resumed", [first, other, retried])
    with (run / "traces.jsonl").open("a") as handle:
        handle.write(other.model_dump_json()[:40])  # interrupted while appending
    traces = load_run(run)
    assert len(traces) == 2
    assert next(t for t in traces if t.spec.seed == 0).error is None  # the retry wins

    (run / "traces.jsonl").write_text("{broken\n" + other.model_dump_json() + "\n")
    with pytest.raises(RunError, match="traces.jsonl:1"):
        load_run(run)


def test_explicit_ks_and_behaviour_nan_rates(trace_factory):
    traces = [trace_factory("office/a", 0, i, (i < 3,), stats=TraceStats()) for i in range(8)]
    s = summarize(traces, MetricsConfig(ks=(8, 1, 2)))
    assert s.ks == [1, 2, 8]
    assert s.overall.pass_at_k[8].value == 1.0 and s.overall.pass_hat_k[8].value == 0.0
    assert math.isnan(s.overall.behaviour.invalid_call_rate)  # no tool calls: undefined
    assert math.isnan(s.overall.behaviour.closure_rate)


def test_warnings_recorded_by_eval_in_summary_json_reach_the_report(run_a) -> None:
    from workgym.eval import build_report

    warning = "the server answered 7 requests that carried tools without a single tool call"
    (run_a / "summary.json").write_text(json.dumps({"traces": 1, "warnings": [warning]}))
    assert any(warning in str(w) for w in build_report(run_a).warnings)
    (run_a / "summary.json").write_text("{not json")
    assert not any(warning in str(w) for w in build_report(run_a).warnings)
