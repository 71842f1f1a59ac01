"""``workgym bench`` runs every section and reports in a fixed structure (timings are not
checked here: they belong to benchmarks/)."""

import json

import pytest
from typer.testing import CliRunner

import workgym
from workgym.bench import SECTIONS, TARGETS, BenchConfig, run_bench
from workgym.cli import _load_commands, app

FAMILY = "office/library-catalogue-v1"


@pytest.fixture(scope="module")
def result():
    lines: list[str] = []
    config = BenchConfig.quick(families=(FAMILY,), concurrency=(1, 3), memory_episodes=6,
                               tracemalloc_episodes=2, terminal_runs=2)
    out = run_bench(config, progress=lines.append)
    assert lines  # progress is reported through the callback, nothing is printed
    return out


def _stats(node: dict) -> None:
    assert node["n"] >= 1 and node["min"] <= node["p50"] <= node["p95"]


def test_every_section_is_there(result):
    assert set(SECTIONS) <= set(result)
    assert {"nproc", "cpu_model", "ram_gib", "date", "workspace_fs"} <= set(result["machine"])
    assert json.loads(json.dumps(result)) == result  # JSON-ready


def test_reset_rows_cover_every_level(result):
    rows = result["reset"]
    assert [(r["family"], r["level"]) for r in rows] == [(FAMILY, lv) for lv in
                                                         ("easy", "medium", "hard")]
    for row in rows:
        for key in ("generate_ms", "materialize_ms", "reset_ms", "grade_ms", "reset_cpu_ms"):
            _stats(row[key])
        assert row["solved"] == "2/2" and row["reference_calls"] > 0


def test_calls_compare_every_path_with_the_plain_call(result):
    calls = result["calls"]
    assert [f["family"] for f in calls["families"]] == [FAMILY]
    reads = calls["all"]["reads_us"]
    assert set(reads) == {"plain", "direct", "mcp_in_process", "mcp_in_process_legacy"}
    for stats in reads.values():
        _stats(stats)
    assert set(calls["all"]["reads_overhead_us"]) == set(reads) - {"plain"}
    assert set(calls["all"]["replay_us"]) == {"plain", "direct", "mcp_in_process"}
    assert calls["families"][0]["read_calls"] > 0
    # every app the reference calls gets a latency row, its calls counted once per step
    task = workgym.make(FAMILY, seed=0, difficulty="medium")
    apps = {c.name.split(".", 1)[0] for c in task.reference}
    per_app = calls["apps_direct_us"]
    assert set(per_app) == apps
    assert sum(stats["n"] for stats in per_app.values()) == calls["all"]["replay_us"][
        "direct"]["n"]
    for stats in per_app.values():
        _stats(stats)


def test_side_by_side_gives_the_same_result_on_every_path(result):
    side = result["side_by_side"]
    assert side["tool"] == "files.read" and side["ratio_to_direct"]["direct"] == 1.0
    expected = {"mcp_in_process", "fastmcp_in_memory", "fastmcp_in_memory_no_thread",
                "openenv_websocket"} - set(side["skipped"])
    assert set(side["same_result"]) == expected and all(side["same_result"].values())
    assert set(side["us"]) == {"plain", "direct"} | expected
    # A path left out for a missing package says how to install it.
    assert all("pip install" in why for why in side["skipped"].values())


def test_memory_and_throughput(result):
    memory = result["memory"]
    assert memory["episodes"] == 6 and memory["rss_per_episode_kib"] >= 0
    assert memory["workspace_content_kib"] > 0 and memory["estimated_max_idle_episodes"] > 0
    levels = result["throughput"]["levels"]
    assert [lv["concurrency"] for lv in levels] == [1, 3]
    for lv in levels:
        assert lv["episodes"] >= lv["concurrency"] and lv["calls"] > 0
        assert lv["solved"] == f"{lv['episodes']}/{lv['episodes']}"


def test_terminal_is_measured_or_says_why_not(result):
    terminal = result["terminal"]
    if "skipped" in terminal:
        assert terminal["skipped"]
    else:
        _stats(terminal["ms"]["sandboxed"])
        _stats(terminal["ms"]["unsandboxed"])


def test_targets_are_judged(result):
    names = {t["target"] for t in result["targets"]}
    assert names == set(TARGETS)
    for t in result["targets"]:
        assert t["met"] in (True, False, None)
        assert (t["measured"] is None) == (t["met"] is None)


def test_the_command_prints_json():
    _load_commands()
    out = CliRunner().invoke(app, ["bench", "--quick", "--sections", "memory,terminal",
                                   "--family", FAMILY, "--max-concurrency", "3", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert set(result) >= {"machine", "config", "memory", "terminal", "targets"}
    assert result["memory"]["episodes"] == 3
    assert "reset" not in result


def test_unknown_sections_are_refused():
    _load_commands()
    out = CliRunner().invoke(app, ["bench", "--sections", "reset,nope"])
    assert out.exit_code == 2 and "nope" in out.output


def test_the_rollout_target_is_held_at_the_lean_client_and_256_at_once():
    from workgym.bench import targets

    def judged(levels):
        rows = {t["target"]: t for t in targets({"rollout": {"levels": levels}})}
        return rows["rollout_cpu_ms_per_turn"]

    sdk = {"client": "openai", "concurrency": 256, "cpu_ms_per_turn": 9.0}
    assert judged([sdk])["met"] is None
    lean = {"client": "lean", "concurrency": 256, "cpu_ms_per_turn": 1.3}
    assert judged([sdk, lean, {**lean, "concurrency": 64, "cpu_ms_per_turn": 9.9}]) \
        == {**judged([lean]), "measured": 1.3, "met": True}
    assert judged([{**lean, "cpu_ms_per_turn": 1.6}])["met"] is False
