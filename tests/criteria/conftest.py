"""A real episode to grade criteria in: a workspace, a mailbox, and tool calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.mail import MailStore
from workgym.core import Criterion, CriterionResult, Task, TaskSpec, WorldTemplate

Judge = Callable[..., dict[str, CriterionResult]]

ME = "me@example.org"


@pytest.fixture
def judge() -> Judge:
    """Grade ``criteria`` after ``calls`` (name, args) on a world of ``files`` and a mailbox
    of ``messages`` (dicts for ``MailStore.add``); results by criterion name."""

    def run(criteria: Sequence[Criterion], calls: Sequence[tuple[str, dict[str, Any]]] = (),
            files: dict[str, bytes] | None = None,
            messages: Sequence[dict[str, Any]] = ()) -> dict[str, CriterionResult]:
        mail = MailStore(address=ME)
        for message in messages:
            mail.add(**{"sender": "boss@example.org", "to": [ME], "subject": "s", "body": "b",
                        "date": datetime(2026, 1, 5, tzinfo=UTC), **message})
        task = Task(spec=TaskSpec(family="tests/criteria", version=1, seed=0), prompt="",
                    apps=("files", "sheets", "mail"),
                    template=WorldTemplate(now=datetime(2026, 1, 6, tzinfo=UTC),
                                           files=dict(files or {}), stores={"mail": mail}),
                    criteria=tuple(criteria), reference=())
        with task.start() as episode:
            for name, args in calls:
                result = episode.call(name, args)
                assert result.ok, (name, result.text)
            grade = episode.grade()
        assert grade.valid, grade.errors
        return {c.name: c for c in grade.criteria}

    return run
