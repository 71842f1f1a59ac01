"""finance/expense-reconciliation: reconcile an expense sheet with receipts, mail a summary.

Description:
    An employee's expense sheet for one month (``expenses/expenses-YYYY-MM.xlsx``, sheet
    ``Expenses``) disagrees with their receipts (txt or csv files under ``receipts/``, and
    mail attachments): rows with a wrong amount, date or category, receipts without a row,
    duplicated rows. The agent corrects the sheet and mails a summary (total, rows
    corrected, added, removed) to the approver named in the finance team's mail.

Apps:
    mail, sheets, files.

Criteria:
    - ``row <no> corrected`` / ``row <no> added`` / ``duplicate <no> removed``: one row
      for the receipt, matching it; precision-aware (each extra, repeated or wrong row
      cancels one item's credit).
    - ``sheet matches the receipts`` (weight 2): the rows are exactly the receipts.
    - ``summary mailed to the approver`` (all four lines), ``summary total``, ``summary
      counts`` (each line once, right value); ``summary sent after the sheet edits``.
    - guards: right rows kept, no row for another person's or month's receipt, receipts
      and mails untouched, other sheets untouched, mail only to the approver.

Difficulty:
    Knobs set the receipts, the wrong, missing and duplicated rows, the share mailed and
    in csv, date styles, tax lines, two-field errors, a receipt arriving both ways, and an
    approver named without address. Reference calls: easy 17, medium 25, hard 33.
    ``richness`` adds everyday mails and notes, other people's and last month's receipts,
    extra columns, an approved last-month sheet and last month's approver.

Version history:
    v1: first version. Grading later made strict without changing any world: an amount
        cell the sheet cannot hold (1e308, 5,000 digits) makes its row wrong instead of
        leaving criteria unscored; an empty mail is no summary; a summary line written
        twice fails; only edits of this sheet count as "the sheet edits".
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.mail import Attachment
from workgym.content import commerce as cm
from workgym.content.filler import filler_mails, filler_notes
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person
from workgym.content.prose import letter
from workgym.core import (
    Criterion,
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

SHEET = "Expenses"
SHEET_WRITES = ("sheets.write_cells", "sheets.append_rows", "sheets.delete_rows")
SUMMARY = ("Total", "Corrected", "Added", "Removed")


class Knobs(BaseModel, frozen=True):
    receipts: int
    """Receipts of the month paid by the employee."""
    wrong: int
    """Rows whose amount, date or category disagrees with the receipt."""
    missing: int
    """Receipts with no row."""
    duplicates: int
    """Right rows that appear twice."""
    mailed: float
    """Share of receipts that arrive as mail attachments (the rest are files)."""
    csv_share: float
    """Share of receipts in csv form (the rest are text printouts)."""
    date_styles: int
    """How many date styles receipts use (1: ISO only)."""
    tax: bool
    """Receipts print net and tax lines above the total."""
    two_field_errors: bool
    """A wrong row may disagree in two fields."""
    echoed: int
    """Receipts that arrive both as a file and by mail (one row all the same)."""
    approver_by_name: bool
    """The finance mail names the approver without an address."""
    distractors: int
    """Distractor items at richness 1."""


def _cell(value: Any) -> Any:
    """A value as a tool call writes it (dates as ISO strings)."""
    return value.isoformat() if isinstance(value, date) else value


@register_family
class ExpenseReconciliation(TaskFamily[Knobs]):
    """Correct an expense sheet against receipts from mail and files; mail the approver."""

    name = "finance/expense-reconciliation"
    version = 1
    apps = ("mail", "sheets", "files")
    levels = Levels(
        easy=Level(Knobs(receipts=5, wrong=1, missing=1, duplicates=0, mailed=0.4,
                         csv_share=0.0, date_styles=1, tax=False, two_field_errors=False,
                         echoed=0, approver_by_name=False, distractors=4), calls=17),
        medium=Level(Knobs(receipts=8, wrong=2, missing=2, duplicates=1, mailed=0.5,
                           csv_share=0.3, date_styles=2, tax=True, two_field_errors=False,
                           echoed=0, approver_by_name=False, distractors=7), calls=25),
        hard=Level(Knobs(receipts=12, wrong=4, missing=3, duplicates=2, mailed=0.5,
                         csv_share=0.4, date_styles=3, tax=True, two_field_errors=True, echoed=1,
                         approver_by_name=True, distractors=10), calls=33),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # not richness-dependent: the answer stays the same
        s = cm.expense_setting(rng)
        taken: set[str] = set()
        days = sorted(rng.sample(range(1, s.last_day + 1), k.receipts))
        receipts = [self._receipt(rng, k, s, s.period.replace(day=d), s.me, taken) for d in days]
        roles = rng.sample(range(k.receipts), k.receipts)
        missing = sorted(roles[:k.missing])
        wrong = roles[k.missing:k.missing + k.wrong]
        doubled = roles[k.missing + k.wrong:k.missing + k.wrong + k.duplicates]
        rows = [(i, cm.corrupt_row(rng, r, k.two_field_errors) if i in wrong
                 else cm.receipt_row(r)) for i, r in enumerate(receipts) if i not in missing]
        for i in doubled:
            at = next(pos for pos, (j, _) in enumerate(rows) if j == i)
            rows.insert(rng.randint(at + 1, len(rows)), (i, dict(rows[at][1])))

        # Receipts come by mail from the vendor or lie in receipts/ (a few both ways).
        mailed = set(rng.sample(range(k.receipts), round(k.receipts * k.mailed)))
        echoed = set(rng.sample(sorted(mailed), k.echoed))
        files: dict[str, bytes] = {}
        box = Mailbox(s.me)
        to_save: list[str] = []  # attachments the reference saves and reads
        for i, r in enumerate(receipts):
            name, data = cm.render_receipt(rng, r, k.date_styles, k.csv_share)
            if i in mailed:
                cm.mail_receipt(box, s.at(r.day.day, rng.randint(8, 21), rng.randint(0, 59)),
                                r, name, data)
            if i not in mailed or i in echoed:
                files[f"receipts/{r.vendor.slug}-{r.number[-5:]}{name[-4:]}"] = data
            else:
                to_save.append(name)
        to_read = sorted(files)
        ref = s.approver.name if k.approver_by_name else f"{s.approver.name} ({s.approver.email})"
        box.receive(s.finance, f"{s.period:%B} expense reports", letter(
            s.me.first, f"please reconcile your {s.period:%B %Y} expense sheet with your "
            f"receipts and mail the summary to your approver this month, {ref}. The "
            f"{s.previous:%B} reports are closed.", f"{s.finance.first}\nFinance team"),
            s.now.replace(hour=rng.randint(10, 17)) - timedelta(days=rng.randint(1, 2)))
        note = filler_mails(rng, 1, s.me.first, s.approver.first)[0]
        box.receive(s.approver, note.subject, note.body, s.at(rng.randint(1, s.last_day), 10))

        rich = rng_for(spec, "distractors")
        out_of_scope, columns, approved = self._distractors(
            rich, round(spec.richness * k.distractors), k, s, taken, files, box)
        files[s.path] = cm.expense_workbook(
            SHEET, [v for _, v in rows], rich, extra_columns=columns, approved=approved,
            approved_sheet=f"{s.previous:%B} (approved)")
        store, _ = box.build()

        total = sum(r.total_cents for r in receipts)
        counts = {"Corrected": str(k.wrong), "Added": str(k.missing),
                  "Removed": str(k.duplicates)}
        no = [r.number for r in receipts]
        items = ([(f"row {no[i]} corrected", no[i]) for i in wrong]
                 + [(f"row {no[i]} added", no[i]) for i in missing]
                 + [(f"duplicate {no[i]} removed", no[i]) for i in doubled])
        expected = {r.number: cm.expense_key(*cm.receipt_row(r).values()) for r in receipts}
        right = [no[i] for i in range(k.receipts) if i not in wrong and i not in missing]
        checks = self._criteria(s, expected, items, right, out_of_scope, files[s.path], total,
                                counts, [p for p in files if p != s.path])

        # The reference: find the approver, read every receipt, fix, delete, add, report.
        ids = {a.filename: m.id for m in store.messages for a in m.attachments}
        finance_id = next(m.id for m in store.messages if s.finance.email in m.sender)
        plan = [ToolCall("mail.search", {"query": "expense reports", "folder": "inbox"}),
                ToolCall("mail.read", {"message_id": finance_id})]
        if k.approver_by_name:
            plan.append(ToolCall("mail.search", {"sender": s.approver.name}))
        plan.append(ToolCall("mail.search", {"query": "receipt", "has_attachment": True,
                                             "limit": 50}))
        for name in to_save:
            saved, message = f"receipts/mail/{name}", {"message_id": ids[name]}
            plan += [ToolCall("mail.read", message),
                     ToolCall("mail.save_attachment", {**message, "filename": name, "path": saved}),
                     ToolCall("files.read", {"path": saved})]
        plan.append(ToolCall("files.list", {"path": "receipts"}))
        plan += [ToolCall("files.read", {"path": p}) for p in to_read]
        plan += self._edits(s.path, receipts, rows, wrong, missing, doubled)
        lines = [f"Total: {s.currency} {cm.money(total)}",
                 *(f"{key}: {value}" for key, value in counts.items())]
        plan.append(ToolCall("mail.send", {
            "to": [s.approver.email], "subject": f"{s.period:%B %Y} expenses: summary",
            "body": f"Hi {s.approver.first},\n\nmy {s.period:%B %Y} expense sheet is reconciled."
                    f"\n\n" + "\n".join(lines) + f"\n\nBest,\n{s.me.first}"},
            items={"body": tuple(lines)}))
        return Task(spec=spec, prompt=self._prompt(s), apps=self.apps, criteria=checks,
                    template=WorldTemplate(now=s.now, files=files, stores={"mail": store}),
                    reference=tuple(plan), artifacts=(s.path,))

    # -- world pieces ---------------------------------------------------------------------

    def _receipt(self, rng: random.Random, k: Knobs, s: cm.ExpenseSetting, day: date, payer: Person,
                 taken: set[str]) -> cm.Receipt:
        vendor = rng.choice(cm.VENDORS)
        return cm.draw_receipt(rng, vendor, day, payer.name, cm.receipt_number(rng, vendor, taken),
                               rng.choice((7, 10, 19, 20)) if k.tax else 0, s.currency)

    def _distractors(self, rng: random.Random, count: int, k: Knobs, s: cm.ExpenseSetting,
                     taken: set[str], files: dict[str, bytes], box: Mailbox,
                     ) -> tuple[set[str], bool, list[cm.Receipt]]:
        """Add ``count`` answer-neutral distractors. Returns the out-of-scope receipt numbers,
        whether the sheet gets extra columns, and last month's (approved) receipts."""
        kinds = ["columns", "approved", "old approver", "tips"] + 3 * [
            "other's receipt", "last month's receipt", "mail", "note"]
        rng.shuffle(kinds)
        out_of_scope: set[str] = set()
        approved: list[cm.Receipt] = []
        for kind in kinds[:count]:
            day = rng.randint(1, 28)
            if kind == "approved":
                approved = [self._receipt(rng, k, s, s.previous.replace(day=d), s.me, taken)
                            for d in sorted(rng.sample(range(1, 29), rng.randint(3, 6)))]
            elif kind == "old approver":
                box.receive(s.old_approver, f"{s.previous:%B} expenses approved",
                            letter(s.me.first, f"I approved your {s.previous:%B %Y} expense "
                                   "report.", s.old_approver.first, closing=None),
                            s.at(day, 11, previous=True))
            elif kind == "tips":
                box.receive(s.finance, "Tips: keeping your receipts",
                            "Keep every receipt until your report is approved. A photo or the "
                            "vendor's e-mail receipt is fine.\n\nFinance team", s.at(day, 9))
            elif kind in ("other's receipt", "last month's receipt"):
                mine = kind != "other's receipt"
                r = self._receipt(rng, k, s, (s.previous if mine else s.period).replace(day=day),
                                  s.me if mine else s.colleague, taken)
                name, data = cm.render_receipt(rng, r, k.date_styles, k.csv_share)
                out_of_scope.add(r.number)
                if not mine:
                    box.receive(s.colleague, f"Receipt from {r.vendor.name}",
                                f"Hi {s.me.first}, I paid this one, so it goes on my own report. "
                                f"Attaching it just so you have it.\n\n{s.colleague.first}",
                                s.at(day, 19), attachments=[Attachment.from_bytes(name, data)])
                elif rng.random() < 0.5:
                    files[f"receipts/{r.vendor.slug}-{r.number[-5:]}{name[-4:]}"] = data
                else:
                    cm.mail_receipt(box, s.at(day, 8, previous=True), r, name, data)
            elif kind == "mail":
                sender = rng.choice((s.colleague, s.old_approver))
                note = filler_mails(rng, 1, s.me.first, sender.first)[0]
                box.receive(sender, note.subject, note.body, s.at(day, 14))
            elif kind == "note":
                files.update((where, text.encode()) for where, text in filler_notes(rng, 1))
        return out_of_scope, "columns" in kinds[:count], approved

    def _prompt(self, s: cm.ExpenseSetting) -> str:
        month = f"{s.period:%B %Y}"
        return (
            f"You act for {s.me.name} ({s.me.email}) and can use their mailbox and files. "
            f"Reconcile the expense sheet {s.path} (sheet \"{SHEET}\") for {month} with the "
            f"receipts: some are files under receipts/, others came by mail as attachments.\n\n"
            f"Every receipt dated in {month} and paid by {s.me.name} must have exactly one row "
            f"with the receipt's date (YYYY-MM-DD), vendor, the category printed on it, its "
            f"total in {s.currency} (tax included) as a number, and its receipt number in the "
            f"Receipt column. Correct rows that disagree with their receipt, add rows for "
            f"receipts that are missing and delete duplicate rows; leave right rows alone. "
            f"Receipts paid by someone else or dated in another month (the {s.previous:%B} "
            f"report is already approved) do not belong in the sheet.\n\n"
            f"Then mail a summary to the approver named in the finance team's mail about this "
            f"month's reports (and to no one else), with these lines in its body:\n"
            f"Total: <sum of the Amount column, with 2 decimals>\nCorrected: <rows corrected>\n"
            f"Added: <rows added>\nRemoved: <duplicate rows removed>")

    def _edits(self, path: str, receipts: list[cm.Receipt], rows: list[tuple[int, dict[str, Any]]],
               wrong: list[int], missing: list[int], doubled: list[int]) -> list[ToolCall]:
        """Read; fix wrong cells; delete duplicates bottom-up (rows above keep their
        numbers); append the missing rows."""
        where = {"path": path, "sheet": SHEET}
        right = [cm.receipt_row(r) for r in receipts]
        fixes = {f"{'ABCDE'[c]}{n}": _cell(right[i][col])
                 for n, (i, values) in enumerate(rows, 2) if i in wrong
                 for c, col in enumerate(cm.EXPENSE_COLUMNS) if values[col] != right[i][col]}
        last = {i: n for n, (i, _) in enumerate(rows, 2)}
        new = [[_cell(v) for v in cm.receipt_row(receipts[i]).values()] for i in missing]
        return [ToolCall("sheets.read_range", where),
                ToolCall("sheets.write_cells", {**where, "cells": fixes}, items={"cells": ()}),
                *(ToolCall("sheets.delete_rows", {**where, "row": n}, items={"row": ()})
                  for n in sorted((last[i] for i in doubled), reverse=True)),
                ToolCall("sheets.append_rows", {**where, "rows": new}, items={"rows": ()})]

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, s: cm.ExpenseSetting, expected: dict[str, cm.ExpenseKey],
                  items: list[tuple[str, str]], right: list[str], out_of_scope: set[str],
                  book: bytes, total: int, counts: dict[str, str], inputs: list[str],
                  ) -> tuple[Criterion, ...]:
        rows = wc.xlsx_rows(s.path, SHEET, cm.EXPENSE_COLUMNS, row=cm.expense_key)
        approver, kept = s.approver.email, [expected[n] for n in right]
        return (
            *wc.item_credit([(name, expected[number]) for name, number in items], rows,
                            group=lambda name: re.sub(r" \S+-\d+", "", name), allowed=kept),
            wc.exact_items("sheet matches the receipts", expected.values(), rows, weight=2),
            wc.mail_sent("summary mailed to the approver", approver, keys=SUMMARY),
            wc.mail_values("summary total", approver, "Total",
                           lambda v: cm.parse_money(v) == total, expected=cm.money(total)),
            wc.mail_fields("summary counts", approver, counts),
            wc.sent_after("summary sent after the sheet edits", approver,
                          wc.calls_to(SHEET_WRITES, path=s.path), what="edits of the sheet"),
            wc.items_kept("right rows kept", kept, rows),
            wc.no_items("no rows for out-of-scope receipts", rows,
                        lambda row: row[0] in out_of_scope, what="rows for out-of-scope receipts"),
            wc.unchanged("receipts and mails untouched", paths=inputs,
                         records=[("mail", "messages")]),
            wc.sheets_unchanged("other sheets untouched", s.path, book, but=[SHEET]),
            wc.only_recipients("mail only to the approver", [approver, s.me.email]),
        )
