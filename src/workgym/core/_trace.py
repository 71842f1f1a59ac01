"""Trace: the record of one rollout, one JSON line in a run's traces.jsonl."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from workgym.core._episode import CallRecord
from workgym.core._grading import Grade
from workgym.core._spec import TaskSpec

StopReason = Literal["answer", "max_turns", "max_tokens", "error", "done"]


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class TraceStats(BaseModel):
    """Behaviour counters of one rollout."""

    turns: int = 0
    """Assistant turns."""
    tool_calls: int = 0
    parallel_turns: int = 0
    """Turns with two or more tool calls."""
    invalid_json: int = 0
    """Tool calls whose arguments were not valid JSON."""
    invalid_args: int = 0
    """Tool calls rejected by the tool's schema."""
    unknown_tools: int = 0
    """Calls of tools that do not exist (hallucinated)."""
    tool_errors: int = 0
    truncated_outputs: int = 0
    compactions: int = 0
    closure: bool | None = None
    """The task's required artifacts exist at the end (None when the task names none)."""


class Trace(BaseModel):
    """One rollout of one policy on one task."""

    task_id: str
    spec: TaskSpec
    sample: int = 0
    """Index of this sample among the k samples of the task."""
    policy: str
    model: str | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    stats: TraceStats = Field(default_factory=TraceStats)
    stop_reason: StopReason = "answer"
    truncated: bool = False
    error: str | None = None
    """Set when the rollout failed for reasons outside the model (endpoint down, or an
    invalid grade: a grader bug): not a 0. Such a trace is counted, never scored."""
    grade: Grade | None = None
    started_at: str | None = None
    duration_s: float = 0.0
    suite: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _invalid_grade_is_an_error(self) -> Trace:
        # A grade with an unscored criterion has no score: the rollout is an error, so
        # every consumer (metrics, exports, progress) leaves it out and counts it.
        if self.grade is not None and not self.grade.valid and self.error is None:
            self.error = "invalid grade (grader error): " + "; ".join(self.grade.errors)
        return self

    @property
    def score(self) -> float | None:
        """The dense score; None when not graded or the grade is invalid."""
        if self.grade is None or not self.grade.valid:
            return None
        return self.grade.score
