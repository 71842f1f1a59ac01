"""p50 latency of every tool of the document apps (docs, slides, pdf).

Each tool is called through ``Episode.call`` (validation, lock, logging: the path a model
takes) on files of a realistic size: a 120-block contract (.docx, two 20-row tables, five
comments), a 200-line Markdown file, a 20-slide deck, a 6-page invoice PDF with tables.
Reads are shown warm (the file's content already parsed, as for every read after the
first) and, for one read per app, cold (the parse caches cleared before each call). Writes
repeat on one world; each parses the file, edits it and saves it.

    python benchmarks/document_apps_latency.py [--repeats 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

import workgym  # noqa: F401  (registers the apps)
from workgym.apps import docs, pdf, slides
from workgym.apps.docs import DocxBlock, DocxComment, build_docx
from workgym.apps.slides import SlideSpec, build_pptx
from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf
from workgym.core import Episode, Task, TaskSpec, WorldTemplate

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLAUSE = ("The supplier shall provide the services described in the schedule with due care "
          "and skill, and shall notify the customer in writing of any expected delay.")


def files() -> dict[str, bytes]:
    blocks: list[DocxBlock] = [DocxBlock.heading("Master Services Agreement", 0)]
    for section in range(1, 11):
        blocks.append(DocxBlock.heading(f"Section {section}", 1))
        blocks.extend(DocxBlock.paragraph(f"{section}.{n} {CLAUSE}") for n in range(1, 11))
        if section in (3, 7):
            blocks.append(DocxBlock.table([["Item", "Fee", "Due"]] + [
                [f"Service {r}", f"EUR {100 + r}.00", f"2026-{1 + r % 12:02d}-01"]
                for r in range(19)]))
    comments = [DocxComment(id=n, author="Vera Jensen", text=f"Check clause {n}",
                            block=3 + 11 * n) for n in range(5)]
    markdown = "\n".join(f"## Topic {n}\n" + "\n".join(f"Line {n}.{k} of the notes."
                                                       for k in range(9)) for n in range(20))
    deck = [SlideSpec(title=f"Slide {n}", body="First point\nSecond point\nThird point",
                      notes=f"Notes for slide {n}") for n in range(18)]
    deck.insert(0, SlideSpec(title="Quarterly review", layout="Title Slide", body="Q1"))
    deck.append(SlideSpec(title="KPIs", layout="Title Only", table=tuple(
        (f"KPI {r}", str(r * 3), str(r * 4)) for r in range(8))))
    invoice: list[Any] = [PdfHeading("Bill to"), "Vera Jensen\nExample Ltd."]
    for part in range(3):
        invoice.append(PdfHeading(f"Delivery {part + 1}", 2))
        invoice.append(PdfTable([["Item", "Qty", "Unit price", "Total"]] + [
            [f"Article {part}-{r}", str(r % 7 + 1), f"EUR {r + 9}.50", f"EUR {(r + 9) * 2}.00"]
            for r in range(40)]))
        invoice.extend(CLAUSE for _ in range(6))
    return {"contract.docx": build_docx(blocks, comments), "notes.md": markdown.encode(),
            "deck.pptx": build_pptx(deck),
            "invoice.pdf": write_pdf("Invoice INV-0042", invoice, author="Northwind")}


def p50(episode: Episode, name: str, args: Callable[[], dict[str, Any]], repeats: int,
        before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeats):
        call_args = args()
        if before is not None:
            before()
        started = time.perf_counter()
        result = episode.call(name, call_args)
        times.append(time.perf_counter() - started)
        if not result.ok:
            raise RuntimeError(f"{name}: {result.text}")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    repeats = parser.parse_args().repeats
    data = files()
    task = Task(spec=TaskSpec(family="bench/documents", version=1, seed=0), prompt="",
                apps=("docs", "slides", "pdf"), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, files=data))
    n = count()

    def same(**kw: Any) -> Callable[[], dict[str, Any]]:
        return lambda: dict(kw)

    def flip(path: str, a: str, b: str) -> Callable[[], dict[str, Any]]:
        """replace_text back and forth, so every call finds what it replaces."""
        return lambda: ({"path": path, "old": a, "new": b} if next(n) % 2 == 0
                        else {"path": path, "old": b, "new": a})

    def clear_docs() -> None:
        docs.parse_docx.cache_clear()

    def clear_slides() -> None:
        slides.parse_pptx.cache_clear()

    def clear_pdf() -> None:
        pdf.parse_pdf.cache_clear()

    c, m, d, i = "contract.docx", "notes.md", "deck.pptx", "invoice.pdf"
    with task.start() as episode:

        def new_box() -> dict[str, Any]:
            added = episode.call("slides.add_text_box", {"path": d, "slide": 3, "text": "x"})
            return {"path": d, "slide": 3, "shape": added.value["shape"]}

        def new_slide() -> dict[str, Any]:
            added = episode.call("slides.add_slide", {"path": d, "layout": "Blank"})
            return {"path": d, "slide": added.value["slide"]}

        Plan = list[tuple[str, Callable[[], dict[str, Any]], Callable[[], None] | None, str]]
        plan: Plan = [
            ("docs.read", same(path=c), clear_docs, "cold"),
            ("docs.read", same(path=c), None, "warm"),
            ("docs.read_table", same(path=c, block=35), None, "warm"),
            ("docs.outline", same(path=c), None, "warm"),
            ("docs.find", same(path=c, text="written"), None, "warm"),
            ("docs.list_comments", same(path=c), None, "warm"),
            ("docs.read", same(path=m), None, "markdown"),
            ("docs.outline", same(path=m), None, "markdown"),
            ("docs.insert_paragraphs", same(path=c, paragraphs=["New clause."], at=5), None,
             ""),
            ("docs.delete_blocks", same(path=c, block=5), None, ""),
            ("docs.replace_paragraph", same(path=c, block=3, text="1.1 Rewritten."), None, ""),
            ("docs.replace_text", flip(c, "due care", "great care"), None, ""),
            ("docs.fill_table", same(path=c, block=35, values=[["Service 0", "EUR 1.00"]],
                                     row=2), None, ""),
            ("docs.insert_table", same(path=c, rows=[["a", "b"], ["c", "d"]]), None, ""),
            ("docs.add_comment", same(path=c, block=14, text="ok", author="Lena Novak"), None,
             ""),
            ("docs.replace_text", flip(m, "notes.", "notes!"), None, "markdown"),
            ("docs.replace_section", same(path=m, heading="Topic 4", content="Replaced."),
             None, "markdown"),
            ("docs.create", lambda: {"path": f"new/{next(n)}.docx", "title": "Memo"}, None, ""),
            ("slides.list_slides", same(path=d), clear_slides, "cold"),
            ("slides.list_slides", same(path=d), None, "warm"),
            ("slides.list_layouts", same(path=d), None, "warm"),
            ("slides.read_slide", same(path=d, slide=20), None, "warm"),
            ("slides.find", same(path=d, text="point"), None, "warm"),
            ("slides.set_title", same(path=d, slide=2, title="Revenue"), None, ""),
            ("slides.set_text", same(path=d, slide=2, shape=3, text="Up\nDown"), None, ""),
            ("slides.set_notes", same(path=d, slide=2, text="Say it"), None, ""),
            ("slides.fill_table", same(path=d, slide=20, shape=3, values=[["x", "1"]]), None,
             ""),
            ("slides.add_text_box", same(path=d, slide=4, text="Source: finance", top=6.0,
                                         height=0.5), None, ""),
            ("slides.add_table", same(path=d, slide=5, rows=[["a", "b"]], top=5.0), None, ""),
            ("slides.move_slide", same(path=d, slide=2, to=5), None, ""),
            ("slides.add_slide", same(path=d, title="Extra", text="point"), None, ""),
            ("slides.delete_shape", new_box, None, ""),
            ("slides.delete_slide", new_slide, None, ""),
            ("slides.create", lambda: {"path": f"new/{next(n)}.pptx", "title": "Deck"}, None,
             ""),
            ("pdf.info", same(path=i), clear_pdf, "cold (file check)"),
            ("pdf.read_pages", same(path=i, start_page=1, end_page=1), clear_pdf,
             "cold, 1 page"),
            ("pdf.read_tables", same(path=i, start_page=1), clear_pdf, "cold, 1 page"),
            ("pdf.info", same(path=i), None, "warm"),
            ("pdf.read_pages", same(path=i), None, "warm, all pages"),
            ("pdf.search", same(path=i, query="due care and skill"), None, "warm"),
            ("pdf.read_tables", same(path=i, start_page=1, end_page=3), None, "warm"),
        ]
        pages = episode.call("pdf.info", {"path": i}).value["pages"]
        print(f"files: contract.docx {len(data[c]):,} B, deck.pptx {len(data[d]):,} B, "
              f"invoice.pdf {len(data[i]):,} B ({pages} pages); {repeats} calls each")
        print(f"{'tool':24} {'case':20} {'p50 ms':>8}")
        for name, args, before, case in plan:
            print(f"{name:24} {case:20} {p50(episode, name, args, repeats, before):8.2f}")

if __name__ == "__main__":
    main()
