"""Screenshots of a run's report and trace viewer in headless Chromium (for docs/img).

    python tests/eval/screenshots.py OUT_DIR LABEL=RUN [LABEL=RUN ...] [--pair NEW=BASE]

For each run: ``report-LABEL.png`` (the top of report.html), ``viewer-LABEL-list.png``
and ``viewer-LABEL-trace.png`` (its first failed trace, else its first trace). With
``--pair``: ``viewer-side-by-side.png``, a task that passed in BASE and fails in NEW.
Needs Debian's chromium and the playwright package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from workgym.eval import RunIndex, build_report, export_viewer, write_report
from workgym.eval._view import COLUMNS

COL = {name: i for i, name in enumerate(COLUMNS)}
WIDTH = 1280


def _shot(page: Page, path: Path, height: int) -> None:
    full = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=path, clip={"x": 0, "y": 0, "width": WIDTH, "height": min(full, height)},
                    full_page=True)
    print(path)


def run_shots(page: Page, out: Path, label: str, run: Path) -> None:
    _, html_path = write_report(build_report(run))
    page.goto(html_path.as_uri())
    _shot(page, out / f"report-{label}.png", 2000)
    index = RunIndex.load(run)
    viewer = run / "viewer" / "index.html"
    page.goto(viewer.as_uri())
    page.wait_for_selector(".row")
    _shot(page, out / f"viewer-{label}-list.png", 700)
    failed = [i for i, r in enumerate(index.rows) if r[COL["outcome"]] == "failed"]
    row = index.rows[failed[0] if failed else 0]
    page.goto(f"{viewer.as_uri()}#task={row[COL['task_id']]}&sample={row[COL['sample']]}")
    page.wait_for_selector(".trace-col")
    _shot(page, out / f"viewer-{label}-trace.png", 1800)


def pair_shot(page: Page, out: Path, new: Path, base: Path) -> None:
    a, b = RunIndex.load(new), RunIndex.load(base)
    task = next(r[COL["task_id"]] for r in a.rows if r[COL["outcome"]] == "failed"
                and (j := b.find(r[COL["task_id"]], r[COL["sample"]])) is not None
                and b.rows[j][COL["outcome"]] == "passed")
    page_path = export_viewer([a, b], out.parent / ".side-by-side", only_tasks={task})
    page.goto(f"{page_path.as_uri()}#task={task}&sample=0&with=1")
    page.wait_for_selector(".trace-col >> nth=1")
    _shot(page, out / "viewer-side-by-side.png", 1400)


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    pairs = [a.split("=", 1) for a in argv[argv.index("--pair") + 1:]] if "--pair" in argv else []
    runs = [a.split("=", 1) for a in argv[1:argv.index("--pair") if pairs else None]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        for label, run in runs:
            run_shots(page, out, label, Path(run))
        for new, base in pairs:
            pair_shot(page, out, Path(new), Path(base))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
