"""``workgym bench soak``: its report's figures stay flat over a short soak, and it fails
when a figure grows or a trace goes missing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workgym.bench._soak import RunCount, Snapshot, SoakConfig, _report
from workgym.cli import app, load_commands


def _snapshot(**change: float) -> Snapshot:
    fields = {"rss_mib": 200.0, "fds": 10, "threads": 3, "children": 0,
              "worker_rss_mib": 0.0, "worker_fds": 0, "temp_folders": 0,
              "python_blocks": 1_000_000}
    return Snapshot(**(fields | change))  # type: ignore[arg-type]


def _count(**change: int) -> RunCount:
    fields = {"jobs": 10, "answers": 10, "written": 10, "unique": 10, "errors": 0}
    return RunCount(**(fields | change), wall_s=1.0,
                    worker_peaks={"worker_rss_mib": 300.0, "worker_fds": 50})


def _judge(after: Snapshot, counts: list[RunCount]) -> dict:
    before = _snapshot()
    return _report(SoakConfig(), counts, before, before, after, {}, 20000, 1.0, 3)


def test_flat_figures_pass():
    report = _judge(_snapshot(rss_mib=250.0, fds=18, python_blocks=1_010_000),
                    [_count(), _count()])
    assert report["ok"] and not report["failures"]
    assert report["figures"]["rss_mib"]["growth"] == 50.0
    assert report["traces"] == {"runs": 2, "jobs": 20, "finished": 20, "written": 20,
                                "lost": 0, "duplicated": 0, "errors": 0}


@pytest.mark.parametrize(("after", "counts", "failure"), [
    (_snapshot(rss_mib=265.0), [_count()], "RSS of this process (MiB) grew by 65.0"),
    (_snapshot(fds=19), [_count()], "open descriptors of this process grew by 9.0"),
    (_snapshot(children=1), [_count()], "child processes (the mock aside) grew by 1.0"),
    (_snapshot(temp_folders=2), [_count()], "workgym temp folders grew by 2.0"),
    (_snapshot(python_blocks=1_010_001), [_count()],
     "Python memory blocks of this process grew by 10001.0"),
    (_snapshot(), [_count(written=9, unique=9)], "1 traces lost"),
    (_snapshot(), [_count(answers=11, written=11)], "1 traces written twice"),
    (_snapshot(), [_count(errors=1)], "1 episodes that ended in an error"),
], ids=["rss", "fds", "children", "temp-folders", "python-blocks", "lost", "duplicated", "errors"])
def test_growth_or_a_lost_trace_fails(after, counts, failure):
    report = _judge(after, counts)
    assert not report["ok"]
    assert any(f.startswith(failure) for f in report["failures"]), report["failures"]


def test_an_rss_that_levels_off_passes_and_one_still_climbing_fails():
    before = _snapshot()
    counts = [_count(), _count(), _count(), _count()]
    settled = _report(SoakConfig(), counts, before, before, _snapshot(rss_mib=300.0), {},
                      20000, 1.0, 3, middle=_snapshot(rss_mib=290.0))
    assert settled["ok"], settled["failures"]
    rss = settled["figures"]["rss_mib"]
    assert (rss["growth"], rss["second_half"], rss["judged"]) == (100.0, 10.0, "second_half")
    climbing = _report(SoakConfig(), counts, before, before, _snapshot(rss_mib=300.0), {},
                       20000, 1.0, 3, middle=_snapshot(rss_mib=230.0))
    assert climbing["failures"] == [
        "RSS of this process (MiB) grew by 70.0 over the second half of the runs, more than 64"]
    # the other figures are judged from the warm-up run on, whatever the middle says
    fds = _report(SoakConfig(), counts, before, before, _snapshot(fds=19), {}, 20000, 1.0, 3,
                  middle=_snapshot(fds=19))
    assert fds["failures"] == ["open descriptors of this process grew by 9.0, more than 8"]


@pytest.mark.slow
def test_a_short_soak_stays_flat(tmp_path):
    load_commands()
    out = CliRunner().invoke(app, ["bench", "soak", "--concurrency", "200", "--seconds", "20",
                                   "--output", str(tmp_path / "soak.json"), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report == json.loads((tmp_path / "soak.json").read_text())
    assert report["ok"] and not report["failures"]
    traces = report["traces"]
    assert traces["runs"] >= 2 and traces["jobs"] >= 2 * 400
    assert traces["finished"] == traces["written"] == traces["jobs"]
    assert traces["lost"] == traces["duplicated"] == traces["errors"] == 0
    figures = report["figures"]
    for name in ("children", "temp_folders", "threads"):
        assert figures[name]["after"] == figures[name]["before"], figures[name]
    assert figures["children"]["after"] == 0 and figures["children"]["peak"] >= 2  # workers
    assert figures["temp_folders"]["after"] == 0 and figures["temp_folders"]["peak"] > 0
    assert figures["rss_mib"]["second_half"] <= 64 and figures["fds"]["growth"] <= 8
    assert figures["python_blocks"]["growth"] <= 0.01 * figures["python_blocks"]["before"]
    assert figures["worker_rss_mib"]["before"] > 0
