"""personal/group-expenses: the contract, then the family's own wrong-answer tests."""

from workgym.checks import check_family
from workgym.families.personal.group_expenses import GroupExpenses


def test_personal_group_expenses_meets_the_contract() -> None:
    report = check_family(GroupExpenses(), seeds=10, raise_on_failure=False)
    assert report.ok, "\n".join(report.failures)
