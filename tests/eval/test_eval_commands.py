"""The report, compare and view commands: baselines, regressions for CI, the viewer."""

import json
import os
import signal
import subprocess
import sys
import time

import httpx
from eval_synthetic import make_trace, write_run
from typer.testing import CliRunner

from workgym.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def two_runs(tmp_path):
    """A baseline that solves three tasks and a new run that lost one of them."""
    base = [make_trace("office/alpha", s, 0, (True,)) for s in range(3)]
    new = [make_trace("office/alpha", s, 0, (s != 1,)) for s in range(3)]
    return (write_run(tmp_path / "runs" / "base", base),
            write_run(tmp_path / "runs" / "new", new))


def test_report_marks_a_baseline_and_compare_finds_it(tmp_path):
    base, new = two_runs(tmp_path)
    result = runner.invoke(app, ["report", str(base), "--mark-baseline"])
    assert result.exit_code == 0, result.output
    mark = json.loads((base / "baseline.json").read_text())
    assert mark["run"] == "base" and len(mark["traces_sha256"]) == 64
    assert (base / "viewer" / "index.html").is_file()

    result = runner.invoke(app, ["compare", str(new)])
    assert result.exit_code == 0, result.output
    assert f"baseline: {base}" in result.stderr
    out = result.stdout
    # regressions come first, with a link to their traces beside the baseline's
    assert out.index("regressed") < out.index("B - A over common tasks")
    task = make_trace("office/alpha", 1, 0).task_id
    assert f"regressions/index.html#run=0&task={task}&sample=0&with=1" in out
    assert (new / "regressions" / "index.html").is_file()

    result = runner.invoke(app, ["compare", str(new), "--fail-on-regression"])
    assert result.exit_code == 1 and "1 regressions" in result.stderr
    assert runner.invoke(app, ["compare", str(new), str(new),
                               "--fail-on-regression"]).exit_code == 0


def test_compare_json_lists_criteria_moves_and_a_changed_baseline(tmp_path):
    base, new = two_runs(tmp_path)
    runner.invoke(app, ["report", str(base), "--mark-baseline", "--no-viewer"])
    assert not (base / "viewer").exists()
    with (base / "traces.jsonl").open("a") as handle:  # the baseline resumed after marking
        handle.write(make_trace("office/alpha", 7, 0, (True,)).model_dump_json() + "\n")
    result = runner.invoke(app, ["compare", str(new), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["seed"] for r in data["regressed"]] == [1]
    move = data["criteria"][0]
    assert (move["group"], move["failure_rate_a"], move["delta"]) == ("c0", 0.0,
                                                                       1 / 3)
    assert any("changed since it was marked" in w for w in data["warnings"])


def test_compare_needs_one_baseline(tmp_path):
    base, new = two_runs(tmp_path)
    result = runner.invoke(app, ["compare", str(new)])
    assert result.exit_code == 2 and "no baseline marked" in result.stderr
    other = write_run(tmp_path / "runs" / "other", [make_trace("office/alpha", 0, 0)])
    for run in (base, other):
        runner.invoke(app, ["report", str(run), "--mark-baseline", "--no-viewer"])
    result = runner.invoke(app, ["compare", str(new)])
    assert result.exit_code == 2 and "several baselines" in result.stderr
    result = runner.invoke(app, ["compare", str(new), "--baseline", str(base), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["a"] == "base"
    result = runner.invoke(app, ["compare", str(base), str(new), "--baseline", str(base)])
    assert result.exit_code == 2


def test_report_marks_an_interrupted_run_incomplete(tmp_path):
    config = {"policy": "reference", "suite": "smoke", "k": 1,
              "tasks": [make_trace("office/alpha", s, 0).spec.model_dump() for s in range(3)]}
    run = write_run(tmp_path / "cut", [make_trace("office/alpha", 0, 0, (True,))], config)
    result = runner.invoke(app, ["report", str(run), "--json", "--no-viewer"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["completeness"]["missing"] == 2 and data["completeness"]["complete"] is False
    assert any(w.startswith("incomplete run: 1 of 3 traces") for w in data["warnings"])
    result = runner.invoke(app, ["report", str(run), "--no-viewer"])
    assert "INCOMPLETE" in result.stdout and "warning: incomplete run" in result.stdout


def test_view_export_and_serve(tmp_path):
    base, new = two_runs(tmp_path)
    result = runner.invoke(app, ["view", str(new), str(base), "--export", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v" / "index.html").is_file()
    assert (tmp_path / "v" / "data" / "r1" / "c0.js").is_file()
    assert runner.invoke(app, ["view", str(tmp_path / "missing")]).exit_code == 2

    # Ctrl-C reaches the child as from a terminal, whatever this process inherited: a
    # shell starts background jobs with SIGINT ignored, and exec keeps it ignored.
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from workgym.cli import main; main()")
    command = [sys.executable, "-c", code]
    proc = subprocess.Popen([*command, "view", str(new), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.poll() else url
        deadline = time.monotonic() + 10
        while True:
            try:
                runs = httpx.get(url + "api/runs").json()["runs"]
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert runs[0]["name"] == "new" and runs[0]["counts"]["failed"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
