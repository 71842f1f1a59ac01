"""The criteria library: the checks families keep needing, small and composable.

- items: precision-aware credit per required item (:func:`item_credit`), nothing wrong
  (:func:`no_wrong_items`), exactly these (:func:`exact_items`), order (:func:`in_order`);
- readers of what the agent wrote, failing closed and bounded: :func:`text_lines`,
  :func:`csv_rows`, :func:`xlsx_rows`, :func:`docx_paragraphs`, :func:`sent_mails`;
- well-formed files: :func:`well_formed_lines`, :func:`well_formed_csv`,
  :func:`well_formed_xlsx`, :func:`well_formed_docx`;
- guards: :func:`unchanged` (paths, folders, stores, records), :func:`nothing_else_changed`;
- mail: :func:`mail_sent`, :func:`mail_values`, :func:`only_recipients`, :func:`sent_after`.

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
    text_lines,
    well_formed_csv,
    well_formed_docx,
    well_formed_lines,
    well_formed_xlsx,
    xlsx_rows,
)
from workgym.criteria._guards import nothing_else_changed, unchanged
from workgym.criteria._items import exact_items, in_order, item_credit, no_wrong_items, tally
from workgym.criteria._mail import (
    SENDS,
    CallFilter,
    Mail,
    address,
    calls_to,
    mail_sent,
    mail_values,
    only_recipients,
    sent_after,
    sent_mails,
)
from workgym.criteria._memo import Found, per_grade

__all__ = [
    "MAX_LINE_CHARS", "SENDS", "CallFilter", "Found", "Mail", "address", "calls_to",
    "collapse", "csv_rows", "docx_paragraphs", "exact_items", "in_order", "item_credit",
    "mail_sent", "mail_values", "no_wrong_items", "nothing_else_changed", "only_recipients",
    "per_grade", "sent_after", "sent_mails", "tally", "text_lines", "unchanged",
    "well_formed_csv", "well_formed_docx", "well_formed_lines", "well_formed_xlsx",
    "xlsx_rows",
]
