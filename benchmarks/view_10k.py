"""How fast the trace viewer opens a run of 10,000 traces, in headless Chromium.

    python benchmarks/view_10k.py [--traces 10000] [--rounds 3]

Measures: writing the run (synthetic traces of a few calls each), indexing it
(``RunIndex.load``), the static export, the page's first rendered rows after navigation
(served and static), a filter's answer, one trace opened, and scrolling to the end.
Needs Debian's chromium and the playwright package.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "eval"))

from eval_synthetic import make_trace, write_run
from playwright.sync_api import Page, sync_playwright
from test_eval_process import call, with_calls

from workgym.eval import RunIndex, ViewerServer, export_viewer


def make_run(folder: Path, n: int) -> Path:
    traces = []
    for i in range(n):
        family = ("office/alpha", "finance/beta", "calendar/gamma")[i % 3]
        t = make_trace(family, i, 0, (i % 4 != 0, i % 7 != 0))
        calls = [call("files.read", {"path": f"f{i % 50}"}), call("files.list"),
                 call("mail.send", {"to": "x"}, ok=i % 5 != 0, error=None if i % 5 else
                      "tool_error", output="ok" if i % 5 else "error: no mail with id 'm9'")]
        traces.append(with_calls(t, calls))
    return write_run(folder, traces)


def page_times(page: Page, url: str, failed: int, last: int) -> dict[str, float]:
    out = {}
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".row")
    out["first rows"] = time.perf_counter() - start
    start = time.perf_counter()
    page.select_option("#f-outcome", "failed")
    page.wait_for_function(f"document.querySelector('#count').textContent.startsWith('{failed} ')")
    out["filter"] = time.perf_counter() - start
    start = time.perf_counter()
    page.locator(".row").first.click()
    page.wait_for_selector(".trace-col")
    out["open a trace"] = time.perf_counter() - start
    page.go_back()
    page.wait_for_selector(".row")
    start = time.perf_counter()
    page.locator("#list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_selector(f'.row[data-i="{last}"]')
    out["scroll to the end"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        rows.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        start = time.perf_counter()
        run = make_run(Path(tmp) / "big", args.traces)
        print(f"wrote {args.traces} traces in {time.perf_counter() - start:.1f} s "
              f"({(run / 'traces.jsonl').stat().st_size / 1e6:.1f} MB)")
        for _ in range(args.rounds):
            start = time.perf_counter()
            index = RunIndex.load(run)
            add("index the run", time.perf_counter() - start)
            failed = [r["i"] for r in index.query({"outcome": "failed"}, limit=len(index))["rows"]]
            start = time.perf_counter()
            page_path = export_viewer([index], Path(tmp) / "viewer")
            add("static export", time.perf_counter() - start)
            with ViewerServer([index]) as server:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                for name, seconds in page_times(page, server.url, len(failed), failed[-1]).items():
                    add(f"served: {name}", seconds)
                page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for name, seconds in page_times(page, page_path.as_uri(), len(failed),
                                            failed[-1]).items():
                add(f"static: {name}", seconds)
            page.close()
        browser.close()
    print(f"{'':28} {'median':>9} {'min':>9}")
    for name, values in rows.items():
        print(f"{name:28} {statistics.median(values):8.3f}s {min(values):8.3f}s")


if __name__ == "__main__":
    main()
