"""The criteria library: the checks families keep needing, small and composable.

- items: precision-aware credit per required item (:func:`item_credit`), nothing wrong
  (:func:`no_wrong_items`), exactly these (:func:`exact_items`), order (:func:`in_order`),
  and the guards :func:`items_kept` and :func:`no_items`;
- readers of what the agent wrote, failing closed and bounded: :func:`text_lines`,
  :func:`csv_rows`, :func:`xlsx_rows`, :func:`docx_paragraphs`, :func:`sent_mails`;
- well-formed files: :func:`well_formed_lines`, :func:`well_formed_csv`,
  :func:`well_formed_xlsx`, :func:`well_formed_docx`;
- guards: :func:`unchanged` (paths, folders, stores, records), :func:`nothing_else_changed`,
  :func:`sheets_unchanged` (the other sheets of a workbook);
  and what the agent added to a store: :func:`new_records`;
- mail: :func:`mail_sent`, :func:`mail_values`, :func:`mail_fields`,
  :func:`only_recipients`, :func:`sent_after`;
- values: :func:`money` (an amount the agent wrote, as two-decimal text).

Each returns a ``Criterion`` whose evidence a person can read. Wrap a reader of your own
with :func:`per_grade` so the criteria of one grade share one reading.

Example:
    >>> lines = text_lines("updates.txt")
    >>> criteria = [*item_credit([(f"line: {x}", x) for x in required], lines,
    ...                          group="required line"),
    ...             no_wrong_items("no wrong lines", required, lines),
    ...             unchanged("reports untouched", folders=["reports"])]
"""

from workgym.criteria._files import (
    MAX_LINE_CHARS,
    collapse,
    csv_rows,
    docx_paragraphs,
    sheets_unchanged,
    text_lines,
    well_formed_csv,
    well_formed_docx,
    well_formed_lines,
    well_formed_xlsx,
    xlsx_rows,
)
from workgym.criteria._guards import new_records, nothing_else_changed, unchanged
from workgym.criteria._items import (
    exact_items,
    in_order,
    item_credit,
    items_kept,
    no_items,
    no_wrong_items,
    tally,
)
from workgym.criteria._mail import (
    SENDS,
    CallFilter,
    Mail,
    address,
    calls_to,
    mail_fields,
    mail_sent,
    mail_values,
    only_recipients,
    sent_after,
    sent_mails,
)
from workgym.criteria._memo import Found, per_grade
from workgym.criteria._values import money

__all__ = [
    "MAX_LINE_CHARS", "SENDS", "CallFilter", "Found", "Mail", "address", "calls_to",
    "collapse", "csv_rows", "docx_paragraphs", "exact_items", "in_order", "item_credit",
    "items_kept", "mail_fields", "mail_sent", "mail_values", "money", "new_records", "no_items",
    "no_wrong_items", "nothing_else_changed", "only_recipients", "per_grade", "sent_after",
    "sent_mails", "sheets_unchanged", "tally", "text_lines", "unchanged", "well_formed_csv",
    "well_formed_docx", "well_formed_lines", "well_formed_xlsx", "xlsx_rows",
]
