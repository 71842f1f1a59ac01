"""Precision-aware item credit, nothing wrong, exactly these, order, and the item guards."""

from workgym.criteria import (
    exact_items,
    in_order,
    item_credit,
    items_kept,
    no_items,
    no_wrong_items,
    tally,
    text_lines,
)

REQUIRED = ["ADD | A", "ADD | B", "DELETE | C"]
LINES = text_lines("out.txt")


def write(lines):
    return [("files.write", {"path": "out.txt", "content": "\n".join(lines) + "\n"})]


def items():
    return item_credit([(f"line: {x}", x) for x in REQUIRED], LINES, group="required line")


def passed(results, prefix="line: "):
    return [name for name, r in results.items() if name.startswith(prefix) and r.passed]


def test_each_wrong_line_cancels_one_item_and_listing_everything_earns_nothing(judge):
    assert len(passed(judge(items(), write(REQUIRED)))) == 3
    one_wrong = judge(items(), write([*REQUIRED, "ADD | junk"]))
    assert passed(one_wrong) == ["line: ADD | A", "line: ADD | B"]
    assert "1 wrong or repeated item(s) cancel its credit" in \
        one_wrong["line: DELETE | C"].evidence
    assert passed(judge(items(), write([*REQUIRED, "x1", "x2", "x3"]))) == []
    missing = judge(items(), write(["ADD | A"]))
    assert passed(missing) == ["line: ADD | A"]
    assert missing["line: ADD | B"].evidence == "missing: 'ADD | B'"
    assert all(r.group == "required line" for r in missing.values())


def test_a_line_written_twice_costs_its_own_credit(judge):
    results = judge(items(), write([*REQUIRED, "ADD | B"]))
    assert passed(results) == ["line: ADD | A", "line: DELETE | C"]
    assert tally(REQUIRED, ["ADD | B", "ADD | B", "ADD | A"]) == (["ADD | A", "ADD | B"],
                                                                  ["ADD | B"])


def test_a_missing_file_fails_every_item_with_the_reason(judge):
    results = judge(items())
    assert all(not r.passed and "out.txt does not exist" in r.evidence for r in results.values())


def test_no_wrong_items_needs_a_required_one_and_nothing_else(judge):
    check = [no_wrong_items("no wrong lines", REQUIRED, LINES)]
    assert judge(check, write(REQUIRED[:1]))["no wrong lines"].passed
    assert not judge(check, write(["ADD | junk"]))["no wrong lines"].passed
    assert not judge(check, write([])).get("no wrong lines").passed
    extra = judge(check, write([*REQUIRED, "ADD | A"]))["no wrong lines"]
    assert not extra.passed and "ADD | A" in extra.evidence


def test_allowed_items_earn_nothing_and_cost_nothing(judge):
    check = item_credit([("row b", "B")], LINES, group="row", allowed=["A"])
    assert judge(check, write(["A", "B"]))["row b"].passed
    assert not judge(check, write(["A", "A", "B"]))["row b"].passed


def test_exact_items_is_a_multiset_match(judge):
    check = [exact_items("exact", REQUIRED, LINES)]
    assert judge(check, write(list(reversed(REQUIRED))))["exact"].passed
    off = judge(check, write([*REQUIRED, "DELETE | C"]))["exact"]
    assert not off.passed and "unexpected: 'DELETE | C'" in off.evidence


def test_order_passes_only_required_lines_each_once_in_order(judge):
    check = [in_order("order", REQUIRED, LINES)]
    assert judge(check, write(REQUIRED))["order"].passed
    assert judge(check, write(["ADD | A", "DELETE | C"]))["order"].passed  # a subsequence
    wrong = judge(check, write(["ADD | B", "ADD | A"]))["order"]
    assert not wrong.passed and "'ADD | A' comes after 'ADD | B'" in wrong.evidence
    # junk lines never pass, however well ordered (the lenient "order" of issue 10)
    assert not judge(check, write(["AAA", "BBB", "CCC"]))["order"].passed
    assert not judge(check, write([*REQUIRED[:2], "ADD | B"]))["order"].passed
    assert not judge(check, write(["ADD | A"]))["order"].passed


def test_items_kept_and_no_items_guard(judge):
    checks = [items_kept("kept", ["ADD | A"], LINES),
              no_items("no junk", LINES, lambda line: "junk" in line, what="junk lines")]
    fine = judge(checks, write(REQUIRED))
    assert fine["kept"].passed and fine["no junk"].passed and fine["kept"].guard
    bad = judge(checks, write(["ADD | B", "ADD | junk"]))
    assert not bad["kept"].passed and "changed or gone: 'ADD | A'" in bad["kept"].evidence
    assert not bad["no junk"].passed and bad["no junk"].evidence == "junk lines: 'ADD | junk'"
