"""office/library-catalogue: turn a month of library reports into catalogue updates.

Description:
    A branch library's catalogue lives in ``catalogue.xlsx``. This month's reports arrive
    in mixed formats: delivery notes (txt), damage reports (csv), a donations register
    (xlsx) and shelf-purge lists mailed by the head librarian (in the body or as csv
    attachments). The agent derives the catalogue changes and writes them, one per line
    and in a prescribed order, to ``updates.txt``, without touching the catalogue.

Apps:
    files, sheets, mail.

Criteria:
    - ``updates.txt well-formed``: every line parses, and required lines outnumber wrong
      or repeated ones (a shotgun of every candidate earns nothing here either).
    - ``line: ...`` (one per required line): precision-aware: with P required lines
      present and W wrong or repeated ones, only the first max(0, P - W) present pass.
    - ``no wrong lines``: a required line present, nothing wrong or repeated.
    - ``order``: only required lines, each once, in the prescribed order.
    - guards (no credit; failing one zeroes the score): the catalogue and the reports
      folder are unchanged.

Difficulty:
    Knobs scale the catalogue, the items per report, the distractor items inside reports
    (repairable damage, declined donations, deliveries of titles already catalogued,
    purge proposals from other staff), how many files and mails each report is split
    over, purge lists sent as attachments, and items reported twice (to be listed once).
    ``richness`` adds archived reports, unrelated files and mails, and an extra sheet.
    Reference calls: easy 10, medium 17, hard 25.

Version history:
    v1: first version. Grading later made strict without changing any world: a line
        written twice costs credit, junk lines earn neither "well-formed" nor "order",
        files added under reports/ gate; "well-formed" needs more required lines than
        wrong ones.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

import openpyxl
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.mail import Attachment
from workgym.apps.sheets import workbook_bytes
from workgym.content.books import Book, books, catalogue_ids
from workgym.content.companies import SUPPLIERS
from workgym.content.distractors import scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter, plural
from workgym.core import (
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    register_family,
    rng_for,
)

OUTPUT, CATALOGUE, DONATIONS = "updates.txt", "catalogue.xlsx", "reports/donations.xlsx"
_BRANCHES = ("central", "riverside", "hillcrest")
_SECTIONS = ("fiction", "history", "science", "travel", "children", "poetry")
_LINE = r"ADD \| [^|]+ \| [^|]+ \| [^|]+|DELETE \| [^|]+ \| [^|]+"
_OTHER_MAILS = (("Reading group on Thursday", "We meet at 18:00 in room 2."),
                ("Printer on floor 1", "The printer is fixed again."),
                ("Holiday rota", "Please add your dates to the rota by Friday."),
                ("New library cards", "The new card stock has arrived."),
                ("Author visit", "The author visit moved to next month."))


class Knobs(BaseModel, frozen=True):
    catalogue_size: int
    """Books in the catalogue."""
    items: int
    """Qualifying items per report (adds from deliveries and donations, deletes from
    damage reports and purges)."""
    distractors: int
    """Non-qualifying items per report."""
    delivery_notes: int
    damage_files: int
    purge_mails: int
    attachments: bool
    """Some purge lists come as csv attachments."""
    duplicates: bool
    """Some items are reported twice (listed once)."""
    page_rows: int
    """Rows the reference reads from the catalogue per call."""


def _add(book: Book) -> str:
    return f"ADD | {book.title} | {book.author} | {book.year}"


def _normalize(line: str) -> str:
    return " | ".join(part.strip() for part in line.strip().split("|"))


def _order_key(line: str) -> tuple[int, str]:
    kind, key = line.split(" | ")[:2]
    return (0 if kind == "ADD" else 1, key)


def _split(items: list, parts: int, rng: random.Random) -> list[list]:  # type: ignore[type-arg]
    buckets: list[list] = [[] for _ in range(max(1, parts))]  # type: ignore[type-arg]
    for i, item in enumerate(items):
        buckets[i % len(buckets)].append(item)
    rng.shuffle(buckets)
    return buckets


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


@register_family
class LibraryCatalogue(TaskFamily[Knobs]):
    """Derive a library's catalogue updates from a month of mixed-format reports."""

    name = "office/library-catalogue"
    version = 1
    apps = ("files", "sheets", "mail")
    levels = Levels(
        easy=Level(Knobs(catalogue_size=20, items=1, distractors=1, delivery_notes=1,
                         damage_files=1, purge_mails=1, attachments=False, duplicates=False,
                         page_rows=50), calls=10),
        medium=Level(Knobs(catalogue_size=45, items=2, distractors=2, delivery_notes=2,
                           damage_files=2, purge_mails=2, attachments=True, duplicates=True,
                           page_rows=40), calls=17),
        hard=Level(Knobs(catalogue_size=90, items=4, distractors=3, delivery_notes=4,
                         damage_files=3, purge_mails=4, attachments=True, duplicates=True,
                         page_rows=40), calls=25),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng, rich = rng_for(spec, "world"), rng_for(spec, "richness")
        now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(days=rng.randrange(0, 300))
        head, me, *others = people(rng, 4, domain="citylibrary.org")
        pool = books(rng, k.catalogue_size + 2 * k.items + 2 * k.distractors)
        catalogue, fresh = pool[: k.catalogue_size], pool[k.catalogue_size:]
        ids = catalogue_ids(rng, k.catalogue_size)
        sections = {book_id: rng.choice(_SECTIONS) for book_id in ids}
        by_id = dict(zip(ids, catalogue, strict=True))
        picks = rng.sample(ids, 2 * k.items + 3 * k.distractors)
        n, d = k.items, k.distractors
        damaged, purged, repairable = picks[:n], picks[n:2 * n], picks[2 * n:2 * n + d]
        proposed, recopied = picks[2 * n + d:2 * n + 2 * d], picks[2 * n + 2 * d:]
        delivered, donated, declined = fresh[:n], fresh[n:2 * n], fresh[2 * n:2 * n + d]

        def delete(book_id: str) -> str:
            return f"DELETE | {book_id} | {by_id[book_id].title}"

        required = sorted({_add(b) for b in delivered + donated}
                          | {delete(i) for i in damaged + purged}, key=_order_key)
        files = {CATALOGUE: self._catalogue(ids, by_id, sections, rich, spec.richness)}
        # Deliveries: new titles (a donated one again, when items repeat) plus further
        # copies of titles already catalogued.
        lines = [(b, rng.randint(1, 3)) for b in delivered + (donated[:1] if k.duplicates else [])]
        lines += [(by_id[i], rng.randint(1, 2)) for i in recopied]
        rng.shuffle(lines)
        reads = []
        for m, chunk in enumerate(_split(lines, k.delivery_notes, rng)):
            path = f"reports/deliveries/delivery-{m + 1:02d}.txt"
            body = [f"Delivery note from {SUPPLIERS[m % len(SUPPLIERS)]}",
                    f"Received: {(now - timedelta(days=3 + m)).date()}", ""]
            body += [f"- {b.title} by {b.author} ({b.year}), {plural(c, 'copy', 'copies')}"
                     for b, c in chunk]
            files[path] = ("\n".join(body) + "\n").encode()
            reads.append(path)
        # Damage: destroyed or lost books go (a purged one too, when items repeat);
        # repairable ones stay.
        again = purged[:1] if k.duplicates else []
        damage = [(i, rng.choice(["destroyed", "lost"])) for i in damaged + again]
        damage += [(i, "repairable") for i in repairable]
        rng.shuffle(damage)
        for m, chunk in enumerate(_split(damage, k.damage_files, rng)):
            path = f"reports/damage/damage-{_BRANCHES[m % len(_BRANCHES)]}.csv"
            files[path] = _csv([["catalogue_id", "title", "condition", "reported_by"]] + [
                [i, by_id[i].title, c, rng.choice(others).name] for i, c in chunk])
            reads.append(path)
        files[DONATIONS], donation_sheets = self._donations(donated, declined, catalogue, rng)

        box = Mailbox(me.email)
        purge_reads = self._purge_mails(box, k, rng, now, head, me, others, purged, proposed, by_id)
        for m, (subject, text) in enumerate(_OTHER_MAILS[:scaled(spec.richness, 5)]):
            box.receive(rich.choice(others).email, subject, text,
                        now - timedelta(hours=rich.randint(1, 200)), key=f"other-{m}")
        if spec.richness > 0:
            for m in range(round(spec.richness * 3)):
                old = books(rich, 2, exclude={b.title for b in pool})
                files[f"reports/archive/2025-{10 + m:02d}-delivery.txt"] = "".join(
                    f"- {b.title} by {b.author} ({b.year}), 1 copy\n" for b in old).encode()
            files["notes/opening-hours.txt"] = b"Mon-Fri 9:00-19:00\nSat 10:00-16:00\n"
        mail, mail_ids = box.build()
        purge_reads = [(mail_ids[key], name) for key, name in purge_reads]

        reference = self._reference(k, reads, donation_sheets, purge_reads, required)
        lines_found = wc.text_lines(OUTPUT, _normalize)
        criteria = (
            wc.well_formed_lines(f"{OUTPUT} well-formed", OUTPUT, _LINE, expected=required,
                                 normalize=_normalize),
            *wc.item_credit([(f"line: {x}", x) for x in required], lines_found,
                            group="required line"),
            wc.no_wrong_items("no wrong lines", required, lines_found),
            wc.in_order("order", required, lines_found),
            wc.unchanged("catalogue untouched", paths=[CATALOGUE]),
            wc.unchanged("reports untouched", folders=["reports"]),
        )
        return Task(spec=spec, prompt=self._prompt(me, head), apps=self.apps,
                    template=WorldTemplate(now=now, files=files, stores={"mail": mail}),
                    criteria=criteria, reference=reference, artifacts=(OUTPUT,))

    # -- world pieces -----------------------------------------------------------------------

    def _catalogue(self, ids: list[str], by_id: dict[str, Book], sections: dict[str, str],
                   rich: random.Random, richness: float) -> bytes:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Catalogue"
        ws.append(["ID", "Title", "Author", "Year", "Section", "Copies"])
        for book_id in ids:
            book = by_id[book_id]
            ws.append([book_id, book.title, book.author, book.year, sections[book_id],
                       rich.randint(1, 4)])
        if richness >= 0.5:
            loans = wb.create_sheet("Loans")
            loans.append(["ID", "Borrower card", "Due"])
            for book_id in rich.sample(ids, min(8, len(ids))):
                loans.append([book_id, f"C{rich.randint(10000, 99999)}",
                              f"2026-{rich.randint(1, 12):02d}-{rich.randint(1, 28):02d}"])
        return workbook_bytes(wb)

    def _donations(self, accepted: list[Book], declined: list[Book], catalogue: list[Book],
                   rng: random.Random) -> tuple[bytes, list[str]]:
        rows = [(b, "accepted") for b in accepted] + [(b, "declined") for b in declined]
        rows.append((rng.choice(catalogue), "accepted"))  # already catalogued: extra copy
        rng.shuffle(rows)
        wb = openpyxl.Workbook()
        sheets = [wb.active]
        sheets[0].title = "Donations"
        if len(rows) > 4:
            sheets.append(wb.create_sheet("Late donations"))
        for ws in sheets:
            ws.append(["Title", "Author", "Year", "Donor", "Status"])
        for m, (book, status) in enumerate(rows):
            ws = sheets[0] if m < (len(rows) + 1) // 2 or len(sheets) == 1 else sheets[1]
            donor = f"{rng.choice(['Mr', 'Ms', 'Dr'])} {book.author.split()[-1]}"
            ws.append([book.title, book.author, book.year, donor, status])
        return workbook_bytes(wb), [ws.title for ws in sheets]

    def _purge_mails(self, box: Mailbox, k: Knobs, rng: random.Random, now: datetime,
                     head: Person, me: Person, others: list[Person], purged: list[str],
                     proposed: list[str], by_id: dict[str, Book]) -> list[tuple[str, str | None]]:
        """File the approved purge lists (and a colleague's proposal); returns the keys of
        the approved ones with their attachment's name (if any)."""
        reads: list[tuple[str, str | None]] = []
        for m, chunk in enumerate(_split(purged, k.purge_mails, rng)):
            section = _SECTIONS[m % len(_SECTIONS)]
            date = now - timedelta(days=1 + m, hours=rng.randint(0, 8))
            name, files = None, []
            if k.attachments and m % 2 == 1:
                name = f"purge-{section}.csv"
                files = [Attachment.from_bytes(name, _csv(
                    [["catalogue_id", "title"]] + [[i, by_id[i].title] for i in chunk]))]
                body = letter(me.first, f"The approved purge list for {section} is attached.",
                              head.first, closing=None)
            else:
                listing = "\n".join(f"{i}  {by_id[i].title}" for i in chunk)
                body = letter(me.first, f"Please withdraw these books ({section}):\n{listing}",
                              head.first)
            box.receive(head.email, f"Shelf purge: {section}", body, date, attachments=files,
                        key=f"purge-{m}")
            reads.append((f"purge-{m}", name))
        if proposed:
            listing = "\n".join(f"{i}  {by_id[i].title}" for i in proposed)
            box.receive(others[0].email, "Shelf purge: my suggestions",
                        f"Hi {me.first}, I think these could go too, if {head.first} agrees:\n"
                        f"{listing}\n{others[0].first}",
                        now - timedelta(hours=rng.randint(2, 40)), key="proposal")
        return reads

    def _prompt(self, me: Person, head: Person) -> str:
        return (
            f"You are {me.name}, cataloguer at the city library. Process this month's reports "
            f"into catalogue updates.\n\n"
            f"Sources: delivery notes in reports/deliveries/, damage reports in reports/damage/, "
            f"the donations register {DONATIONS} (every sheet), and shelf-purge lists mailed to "
            f"you by the head librarian, {head.name} ({head.email}), in the mail body or as csv "
            f"attachments. Anything under reports/archive/ was processed already; purge "
            f"proposals from anyone else are not approved.\n\n"
            f"Rules: a delivered or accepted-donation title that is not in {CATALOGUE} is added "
            f"(titles already catalogued are extra copies: no update). A book reported "
            f"destroyed or lost is deleted (repairable ones stay). Every book on an approved "
            f"purge list is deleted. An item reported more than once is listed once.\n\n"
            f"Write {OUTPUT} with one update per line, exactly:\n"
            f"  ADD | <title> | <author> | <year>\n"
            f"  DELETE | <catalogue id> | <title>\n"
            f"All ADD lines first, sorted by title; then all DELETE lines, sorted by catalogue "
            f"id. Do not modify {CATALOGUE} or the reports.")

    def _reference(self, k: Knobs, report_paths: list[str], donation_sheets: list[str],
                   purge_reads: list[tuple[str, str | None]], required: list[str],
                   ) -> tuple[ToolCall, ...]:
        calls = [ToolCall("files.list", {"path": ".", "recursive": True}),
                 ToolCall("sheets.list_sheets", {"path": CATALOGUE})]
        for start in range(1, k.catalogue_size + 2, k.page_rows):
            end = min(start + k.page_rows - 1, k.catalogue_size + 1)
            calls.append(ToolCall("sheets.read_range", {"path": CATALOGUE, "sheet": "Catalogue",
                                                        "range": f"A{start}:F{end}"}))
        calls += [ToolCall("files.read", {"path": p}) for p in report_paths]
        calls.append(ToolCall("sheets.list_sheets", {"path": DONATIONS}))
        calls += [ToolCall("sheets.read_range", {"path": DONATIONS, "sheet": name})
                  for name in donation_sheets]
        calls.append(ToolCall("mail.search", {"query": "purge"}))
        for message_id, attachment in purge_reads:
            calls.append(ToolCall("mail.read", {"message_id": message_id}))
            if attachment:
                saved = f"tmp/{attachment}"
                calls += [ToolCall("mail.save_attachment", {"message_id": message_id,
                                                            "filename": attachment, "path": saved}),
                          ToolCall("files.read", {"path": saved})]
        content = "\n".join(required) + "\n"
        calls.append(ToolCall("files.write", {"path": OUTPUT, "content": content},
                              items={"content": ()}))
        return tuple(calls)
