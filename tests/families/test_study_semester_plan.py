"""study/semester-plan: the contract, then the family's own wrong-answer tests."""

from workgym.checks import check_family
from workgym.families.study.semester_plan import SemesterPlan


def test_study_semester_plan_meets_the_contract() -> None:
    report = check_family(SemesterPlan(), seeds=10, raise_on_failure=False)
    assert report.ok, "\n".join(report.failures)
