"""The docs say what the code does: the family index and the README's counts follow the
registry. After adding a family, rewrite the index with ``python tests/test_documentation.py``."""

import re
import sys
from pathlib import Path

import workgym

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "docs" / "families" / "README.md"


def _builtin() -> list[str]:
    return [f for f in workgym.family_ids()
            if type(workgym.get_family(f)).__module__.startswith("workgym.families.")]


def _page(family_id: str) -> str:
    """``docs/families/<category>-<name>.md`` of ``<category>/<name>-vN``."""
    category, name = family_id.rsplit("-v", 1)[0].split("/")
    return f"{category}-{name}.md"


def render_index() -> str:
    rows = []
    for family_id in _builtin():
        family = workgym.get_family(family_id)
        summary = (type(family).__doc__ or "").strip().splitlines()[0]
        rows.append(f"| [`{family_id}`]({_page(family_id)}) | {', '.join(family.apps)} | "
                    f"{summary} |")
    categories = {f.split("/")[0] for f in _builtin()}
    return "\n".join([
        "# The task families",
        "",
        (f"{len(rows)} families in {len(categories)} categories; `workgym list` shows the same, "
         "and `workgym show ID` one family's"),
        "levels and an example task. How to write one: [`../families.md`](../families.md).",
        "",
        "| family | apps | what the agent does |",
        "| --- | --- | --- |",
        *rows,
        "",
    ])


def test_every_builtin_family_has_a_page_and_is_in_the_index():
    missing = [f for f in _builtin() if not (INDEX.parent / _page(f)).is_file()]
    assert not missing, f"no docs/families page for {missing}"
    assert INDEX.read_text(encoding="utf-8") == render_index(), (
        "docs/families/README.md is out of date: run python tests/test_documentation.py")


def test_the_readme_counts_the_families_and_categories():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"by (\d+) versioned families in (\d+) categories", text)
    assert found, "README.md no longer says 'by N versioned families in M categories'"
    families = _builtin()
    assert (int(found[1]), int(found[2])) == (
        len(families), len({f.split("/")[0] for f in families}))


if __name__ == "__main__":
    INDEX.write_text(render_index(), encoding="utf-8")
    sys.stdout.write(f"wrote {INDEX.relative_to(ROOT)}\n")
