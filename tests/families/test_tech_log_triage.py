"""tech/log-triage: the contract, the generator's own story, and triage that looks right but
is not."""

import csv
import io
import re
from dataclasses import replace
from datetime import datetime

import pytest
from family_checks import assert_meets_contract, criteria_results, grade_plan, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.terminal import sandbox_unavailable
from workgym.core import Task, ToolCall
from workgym.families.tech.log_triage import PRIORITY, LogTriage

FAMILY = "tech/log-triage-v1"
pytestmark = pytest.mark.skipif(sandbox_unavailable() is not None,
                                reason=f"no sandbox here: {sandbox_unavailable()}")


def _create(task: Task) -> ToolCall:
    return next(s for s in task.reference if s.name == "tickets.create")


def _fields(task: Task) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in _create(task).args["description"].split("\n"))


def _swap(task: Task, *, description: dict[str, str] | None = None, **args: str
          ) -> list[ToolCall]:
    """The reference with the ticket's arguments (or description lines) changed."""
    create = _create(task)
    new = {**create.args, **args}
    if description:
        fields = {**_fields(task), **description}
        new["description"] = "\n".join(f"{k}: {v}" for k, v in fields.items())
    return [replace(s, args=new) if s is create else s for s in task.reference]


def _logs(task: Task, service: str) -> list[str]:
    day = next(s.args["command"] for s in task.reference if s.name == "terminal.run"
               ).split("/*/")[1]
    return task.template.files[f"logs/{service}/{day}"].decode().splitlines()


@pytest.mark.slow
def test_meets_the_contract() -> None:
    assert_meets_contract(LogTriage())


def test_the_answer_follows_from_the_files_alone() -> None:
    """Recompute root, first failure, severity and assignee from the workspace."""
    for seed in range(6):
        task = make_task(FAMILY, seed, ("easy", "medium", "hard")[seed % 3])
        files = task.template.files
        services = {r["service"]: r for r in csv.DictReader(io.StringIO(
            files["inventory/services.csv"].decode()))}
        alert = next(m.text for m in task.template.stores["chat"].messages
                     if m.text.startswith("[FIRING]"))
        service = re.search(r"on (\S+):", alert).group(1)
        while True:  # follow upstream= to the service that fails by itself
            named = {re.search(r"upstream=([a-z-]+)", line).group(1)
                     for line in _logs(task, service) if " ERROR " in line and "upstream=" in line}
            if not named:
                break
            (service,) = named
        fields = _fields(task)
        assert fields["Service"] == service
        mine = [line for line in _logs(task, service) if fields["Signature"] + " (" in line]
        first, last = (datetime.fromisoformat(mine[i].split()[0])
                       for i in (0, -1))
        assert mine[0].split()[0] == fields["First failure"]
        tier, long = int(services[service]["tier"]), (last - first).total_seconds() >= 900
        want = {1: "SEV1" if long else "SEV2", 2: "SEV2" if long else "SEV3", 3: "SEV3"}[tier]
        assert fields["Severity"] == want
        assert _create(task).args["priority"] == PRIORITY[want]
        monday = first.date().toordinal() - first.weekday()
        roster = [r for r in csv.DictReader(io.StringIO(files["inventory/oncall.csv"].decode()))
                  if r["team"] == services[service]["team"]
                  and datetime.fromisoformat(r["week_of"]).toordinal() == monday]
        assert [r["engineer"] for r in roster] == [_create(task).args["assignee"]]


def test_the_root_does_not_stand_out_by_its_error_count() -> None:
    picked = 0
    for seed in range(12):
        task = make_task(FAMILY, seed, "hard")
        counts = {}
        for path in task.template.files:
            if path.startswith("logs/") and path.count("/") == 2:
                name = path.split("/")[1]
                counts[name] = counts.get(name, 0) + sum(
                    " ERROR " in line for line in _logs(task, name))
        picked += max(counts, key=counts.__getitem__) == _fields(task)["Service"]
    assert picked <= 2


def test_the_first_error_of_the_root_is_not_always_the_first_failure() -> None:
    noisy = 0
    for seed in range(8):
        task = make_task(FAMILY, seed, "medium")
        errors = [line for line in _logs(task, _fields(task)["Service"]) if " ERROR " in line]
        noisy += errors[0].split()[0] != _fields(task)["First failure"]
    assert noisy >= 3


def test_filing_two_tickets_fails_every_field() -> None:
    task = make_task(FAMILY, 1)
    other = replace(_create(task), args={**_create(task).args, "title": "maybe this one"})
    plan = list(task.reference)
    plan.insert(plan.index(_create(task)), other)
    grade = grade_plan(task, plan)
    fields = [c for c in grade.criteria if c.name.startswith("ticket ")]
    assert fields and not any(c.passed for c in fields)
    assert all("2 tickets filed" in c.evidence for c in fields)


def test_blaming_the_alerting_service_fails() -> None:
    task = make_task(FAMILY, 2, "medium")
    alert = next(m.text for m in task.template.stores["chat"].messages
                 if m.text.startswith("[FIRING]"))
    blamed = re.search(r"on (\S+):", alert).group(1)
    grade = grade_plan(task, _swap(task, description={"Service": blamed}))
    assert not criteria_results(grade)[f"ticket for {_fields(task)['Service']}"]
    assert grade.score < 1


@pytest.mark.parametrize("field, value", [
    ("Signature", "{sig} (details)"), ("First failure", "{first}0"),
    ("First failure", "{first_error}"), ("Severity", "SEV0"),
])
def test_near_misses_in_the_description_fail(field: str, value: str) -> None:
    task = make_task(FAMILY, 3, "hard")
    fields = _fields(task)
    errors = [line for line in _logs(task, fields["Service"]) if " ERROR " in line]
    wrong = value.format(sig=fields["Signature"], first=fields["First failure"],
                         first_error=errors[0].split()[0])
    if wrong == fields[field]:
        pytest.skip("the root's first error is its first failure in this task")
    grade = grade_plan(task, _swap(task, description={field: wrong}))
    names = {"Signature": "ticket signature", "First failure": "ticket first failure",
             "Severity": "ticket severity"}
    assert not criteria_results(grade)[names[field]] and grade.score < 1


def test_the_post_goes_to_the_owning_team_and_names_the_ticket() -> None:
    task = make_task(FAMILY, 4)
    plan = list(task.reference)
    post = plan[-1]
    elsewhere = grade_plan(task, [*plan[:-1], replace(post, args={**post.args,
                                                              "channel": "#incidents"})])
    assert not criteria_results(elsewhere)["nothing posted elsewhere"] and elsewhere.score == 0.0
    text = re.sub(r"Ticket: OPS-(\d+)", lambda m: f"Ticket: OPS-{int(m.group(1)) - 1}",
                  post.args["text"])
    wrong = grade_plan(task, [*plan[:-1], replace(post, args={**post.args, "text": text})])
    by = criteria_results(wrong)
    assert not any(ok for name, ok in by.items() if name.startswith("post"))
    assert by[f"ticket for {_fields(task)['Service']}"]


def test_richness_keeps_the_answer_and_the_ticket_id() -> None:
    plain, rich = make_task(FAMILY, 5, "hard", 0.0), make_task(FAMILY, 5, "hard", 1.0)
    assert _create(plain).args == _create(rich).args
    assert plain.reference[-1].args == rich.reference[-1].args
    assert len(rich.template.files) > len(plain.template.files)
    assert len(rich.template.stores["chat"].messages) > len(plain.template.stores["chat"].messages)
