"""The report and the trace viewer as a user sees them: driven in headless Chromium.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package
(it drives that browser; no browser download). Screenshots go to each test's tmp folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from eval_synthetic import make_trace, write_run
from test_eval_process import call, with_calls

from workgym.eval import RunIndex, ViewerServer, build_report, export_viewer, write_report
from workgym.eval._view import COLUMNS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
COL = {name: i for i, name in enumerate(COLUMNS)}

# Slow: a browser per module and a report per test take seconds; CI installs chromium in
# its slow section for them.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="needs Debian's chromium: apt-get install chromium")]
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs the playwright package: pip install playwright")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"the page raised: {errors}"


def count_text(pg: Any) -> str:
    return pg.locator("#count").inner_text()


def test_viewer_filters_and_opens_a_failed_trace(flawed_run, page, tmp_path):
    index = RunIndex.load(flawed_run)
    failing = index.query({"outcome": "failed"})["rows"]
    criterion = failing[0]["failed"][0]
    expected = index.query({"criterion": criterion})["total"]
    with ViewerServer([index]) as server:
        page.goto(server.url)
        page.wait_for_selector(".row")
        assert count_text(page).startswith(f"{len(index)} of {len(index)} traces")
        page.screenshot(path=tmp_path / "list.png")

        page.select_option("#f-criterion", criterion)
        assert count_text(page).startswith(f"{expected} of {len(index)} traces")
        rows = page.locator(".row")
        assert rows.count() == expected
        assert all("failed" in (rows.nth(i).get_attribute("class") or "")
                   for i in range(rows.count()))
        # the filter is in the link (its fragment, encoded as a query string)
        assert parse_qs(urlsplit(page.url).fragment).get("criterion") == [criterion]

        page.select_option("#f-outcome", "passed")
        assert count_text(page).startswith(f"0 of {len(index)}")
        assert "no trace matches" in page.locator("#list").inner_text()
        page.select_option("#f-outcome", "")

        opened = int(rows.first.get_attribute("data-i"))
        rows.first.click()
        page.wait_for_selector(".trace-col")
        trace = index.trace(opened)
        assert f"task={trace.task_id}" in page.url
        col = page.locator(".trace-col")
        assert trace.spec.family in col.locator("h2").inner_text()
        prompt = next(m["content"] for m in trace.messages if m["role"] == "user")
        assert col.locator("pre.prompt").inner_text().strip() == prompt.strip()
        first = next(c for c in trace.grade.criteria if c.passed is False)
        assert first.name in col.locator("table.grade tr.first").inner_text()
        assert first.evidence[:40] in col.locator("table.grade").inner_text()
        names = col.locator(".call .name").all_inner_texts()
        assert names == [c.name for c in trace.calls]
        assert col.locator(".turn").count() == trace.stats.turns
        bad = [c for c in trace.calls if not c.ok]
        assert col.locator(".call.bad").count() == len(bad)
        assert "no unfinished claim" in col.locator("table.pcrit").inner_text()
        page.screenshot(path=tmp_path / "trace.png", full_page=True)

        page.locator("#back").click()
        page.wait_for_selector(".row")
        assert count_text(page).startswith(f"{expected} of")  # the filters came back


def test_static_viewer_shows_two_runs_side_by_side(flawed_run, page, tmp_path):
    new = RunIndex.load(flawed_run)
    passing = [t for t in (new.trace(i) for i in range(len(new))) if t.grade and t.grade.passed]
    failing = next(i for i, r in enumerate(new.rows) if r[COL["outcome"]] == "failed")
    task = new.rows[failing][COL["task_id"]]
    # the baseline: the failing task passed there
    fixed = passing[0].model_copy(update={"task_id": task, "spec": new.trace(failing).spec})
    base = RunIndex.load(write_run(tmp_path / "base", [fixed]))
    index_html = export_viewer([new, base], tmp_path / "viewer")
    page.goto(f"{index_html.as_uri()}#run=0&task={task}&sample=0&with=1")
    page.wait_for_selector(".trace-col >> nth=1")
    cols = page.locator(".trace-col")
    assert cols.count() == 2
    assert cols.nth(0).get_attribute("data-run") == "flawed"
    assert cols.nth(1).get_attribute("data-run") == "base"
    assert "failed" in cols.nth(0).locator(".badge").first.inner_text()
    assert "passed" in cols.nth(1).locator(".badge").first.inner_text()
    page.screenshot(path=tmp_path / "side_by_side.png", full_page=True)
    # a task the other run lacks says so
    other = next(r[COL["task_id"]] for r in new.rows if r[COL["task_id"]] != task)
    page.goto(f"{index_html.as_uri()}#run=0&task={other}&sample=0&with=1")
    page.wait_for_selector("text=is not in this run")


def test_report_reads_top_down_in_chromium(flawed_run, page, tmp_path):
    # a run where nothing called a tool and some traces failed outside the model
    idle = [with_calls(make_trace("office/a", s, 0, (False,)), [], answer="Done.")
            for s in range(4)]
    idle.append(make_trace("office/a", 9, 0, error="ConnectError: [Errno 111] refused\nmore"))
    run = write_run(tmp_path / "idle", idle, {"policy": "openai", "k": 2})
    _, html_path = write_report(build_report(run))
    page.goto(html_path.as_uri())
    warnings = page.locator("#warnings")
    assert "no trace made a tool call" in warnings.inner_text()
    assert "incomplete run: 5 tasks have fewer than k=2 samples" in warnings.inner_text()
    errors = page.locator("#errors")
    assert "1 of 5 traces are errors" in errors.inner_text()
    assert "ConnectError" in errors.inner_text()
    metrics_y = page.locator("h2", has_text="Metrics").bounding_box()["y"]
    assert warnings.bounding_box()["y"] < errors.bounding_box()["y"] < metrics_y
    assert "(incomplete)" in page.title()
    assert page.locator("h2", has_text="pass^k").count() == 0  # k = 1: no pass^1 table
    assert "every category scores 0" in page.content() or page.locator("img").count() == 0
    page.screenshot(path=tmp_path / "idle_report.png", full_page=True)

    _, html_path = write_report(build_report(flawed_run))
    page.goto(html_path.as_uri())
    images = page.locator("img")
    assert images.count() >= 1
    for i in range(images.count()):  # every chart drew
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    criteria = page.locator("h3", has_text="Criteria, failing most first")
    assert criteria.count() == 1
    assert page.locator("h2", has_text="Tools called").count() == 1
    assert page.locator("h2", has_text="Time per trace").count() == 1
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    # a failure class links into the viewer, filtered
    page.locator("table a", has_text="no tool calls").first.click()
    page.wait_for_selector(".row")
    shown = page.locator(".row")
    assert shown.count() >= 1
    assert all("no tool calls" in shown.nth(i).inner_text() for i in range(shown.count()))


def test_ten_thousand_traces_load_without_stalling(page, tmp_path):
    traces = []
    for i in range(10_000):
        family = ("office/alpha", "finance/beta", "calendar/gamma")[i % 3]
        t = make_trace(family, i, 0, (i % 4 != 0, i % 7 != 0))
        traces.append(with_calls(t, [call("files.read", {"path": f"f{i % 50}"})]))
    index = RunIndex.load(write_run(tmp_path / "big", traces))
    failed = index.query({"outcome": "failed"})["total"]
    with ViewerServer([index]) as server:
        page.goto(server.url)
        page.wait_for_selector(".row")
        assert count_text(page).startswith("10000 of 10000 traces")
        rendered = page.locator(".row").count()
        assert 10 < rendered < 100  # only the rows in view are in the page
        page.select_option("#f-outcome", "failed")
        assert count_text(page).startswith(f"{failed} of 10000 traces")
        last = max(i for i, r in enumerate(index.rows) if r[COL["outcome"]] == "failed")
        page.locator("#list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_selector(f'.row[data-i="{last}"]')
        page.screenshot(path=tmp_path / "big_list.png")
