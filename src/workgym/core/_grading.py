"""Criteria and grades: per-criterion, deterministic, failing closed.

The rule for exceptions inside a check (DESIGN.md, "Fail closed"):

- ``GradeError`` fails the criterion, with its message as evidence. Raise it for
  anything the agent caused.
- Everything the agent wrote reaches a check through ``GradeContext``'s bounded readers
  (``read_bytes``, ``read_text``, ``read_workbook``), the number parser ``ctx.number``,
  or a block marked ``with ctx.agent_content("..."):``. Inside them, the exceptions that
  bad content causes (``ValueError``, ``TypeError``, ``OverflowError``,
  ``RecursionError``, ``UnicodeError``, ``OSError``, ``KeyError``, ``IndexError``,
  ``zipfile.BadZipFile``) become a ``GradeError``: a wrong type, an overflow, a missing
  or wrong-kind path, an oversized or unparseable file all fail the criterion.
- Any other exception, and any exception raised outside those readers, is a grader bug:
  the criterion is unscored (``passed is None``) and the whole grade is invalid
  (``Grade.valid`` false, ``Grade.errors`` saying why). An invalid grade has no score
  and no reward (both raise ``InvalidGradeError``); its trace is an error, counted and
  left out of the metrics. An agent can therefore never take a criterion out of the
  denominator: what it can cause fails, and what it cannot cause voids the grade.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from workgym.core._bounded import (
    DEFAULT_SHEET_LIMITS,
    SheetLimits,
    WorkbookValues,
    line_values,
    parse_decimal,
    unzip_bounded,
    workbook_values,
)
from workgym.core._world import MAX_FILE_BYTES, World, WorldSnapshot

if TYPE_CHECKING:
    from workgym.core._episode import CallRecord

CriterionKind = Literal["state", "trajectory", "answer"]
RewardScheme = Literal["binary", "dense", "gamma"]
REWARD_SCHEMES: tuple[RewardScheme, ...] = ("binary", "dense", "gamma")

MAX_TEXT_CHARS = 200_000
"""Longest agent-written text (a mail body, an answer) a check reads; longer fails."""

AGENT_CAUSED: tuple[type[BaseException], ...] = (
    ValueError, TypeError, OverflowError, RecursionError, UnicodeError, OSError, KeyError,
    IndexError, zipfile.BadZipFile, EOFError,
)
"""Exceptions that bad agent-written content causes in parsing code; inside
``GradeContext.agent_content`` (and the readers) they fail the criterion."""


class GradeError(Exception):
    """Raised inside a check to fail the criterion with a reason (fail closed)."""


class InvalidGradeError(Exception):
    """The grade has a criterion that could not be scored (a grader bug), so it has no
    score and no reward; the trace is an error. ``Grade.errors`` says what failed."""


@contextlib.contextmanager
def agent_content(what: str) -> Iterator[None]:
    """Mark a block that parses agent-written content: the exceptions bad content causes
    (``AGENT_CAUSED``) fail the criterion with ``what`` and the reason as evidence.

    Example:
        >>> with agent_content("the summary mail"):
        ...     cents = int(text.split(":")[1]) * 100
    """
    try:
        yield
    except GradeError:
        raise
    except AGENT_CAUSED as exc:
        raise GradeError(f"{what}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class GradeContext:
    """What a criterion may look at: the final world, the call log, the answer, the start.

    Read agent-written files through ``read_bytes``, ``read_text`` and ``read_workbook``:
    they refuse links, special files and oversize content, and fail the criterion
    (``GradeError``) on anything the agent can cause.
    """

    world: World
    calls: Sequence[CallRecord]
    answer: str | None
    initial: WorldSnapshot

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """A workspace file's bytes, without following links and never blocking.

        Raises:
            GradeError: missing (or below something that is not a folder), a link, a
                folder, FIFO or other special file, or larger than ``limit``.
        """
        path = self.world.workspace
        mode = os.lstat(path).st_mode
        for part in rel.split("/"):
            path = path / part
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                raise GradeError(f"{rel} does not exist") from None
            except OSError as exc:  # e.g. a file where a folder should be (ENOTDIR)
                raise GradeError(f"{rel} cannot be reached: {exc.strerror}") from None
            if stat.S_ISLNK(mode):
                raise GradeError(f"{rel} is (or goes through) a symbolic link")
        if stat.S_ISDIR(mode):
            raise GradeError(f"{rel} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise GradeError(f"{rel} is not a regular file")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise GradeError(f"{rel} cannot be opened: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise GradeError(f"{rel} is not a regular file")
            if info.st_size > limit:
                raise GradeError(f"{rel} is larger than {limit} bytes")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise GradeError(f"{rel} is larger than {limit} bytes")
        return data

    def read_text(self, rel: str, limit: int = MAX_FILE_BYTES) -> str:
        """A workspace file as UTF-8 text (see ``read_bytes``).

        Raises:
            GradeError: as ``read_bytes``, or the bytes are not UTF-8.
        """
        try:
            return self.read_bytes(rel, limit).decode("utf-8")
        except UnicodeDecodeError:
            raise GradeError(f"{rel} is not UTF-8 text") from None

    def read_zip(self, rel: str, limit: int = MAX_FILE_BYTES) -> dict[str, bytes]:
        """The members of a zip-based workspace file (.docx, .xlsx), unpacked within
        bounds (declared and actual sizes checked: zip bombs fail).

        Raises:
            GradeError: as ``read_bytes``, or not an archive, or one too large unpacked.
        """
        data = self.read_bytes(rel, limit)
        with agent_content(rel):
            return unzip_bounded(data)

    def read_workbook(self, rel: str, limits: SheetLimits = DEFAULT_SHEET_LIMITS,
                      ) -> WorkbookValues:
        """The values of an .xlsx workbook, parsed within ``limits``: bounded unzip,
        bounded cell count and positions, sparse (far cells cost nothing to walk).

        The result is shared between readers of the same bytes: do not change it.

        Raises:
            GradeError: as ``read_bytes``, or not a workbook, or one past ``limits``.
        """
        data = self.read_bytes(rel, MAX_FILE_BYTES)
        try:
            return workbook_values(data, limits)
        except ValueError as exc:
            raise GradeError(f"{rel}: {exc}") from None

    @staticmethod
    def number(value: object, what: str = "value", *, max_digits: int = 18) -> Decimal:
        """A finite number from a cell value or text (see ``parse_decimal``), exactly.

        Raises:
            GradeError: not a plain finite number of at most ``max_digits`` digits.
        """
        try:
            return parse_decimal(value, max_digits=max_digits)
        except ValueError as exc:
            raise GradeError(f"{what}: {exc}") from None

    @staticmethod
    def text(value: object, what: str = "text", limit: int = MAX_TEXT_CHARS) -> str:
        """Agent-written text (a mail body, an answer) checked to be a string of at most
        ``limit`` characters.

        Raises:
            GradeError: not a string, or longer than ``limit``.
        """
        if not isinstance(value, str):
            raise GradeError(f"{what} is a {type(value).__name__}, not text")
        if len(value) > limit:
            raise GradeError(f"{what} is longer than {limit} characters")
        return value

    @classmethod
    def line_values(cls, text: str, key: str, what: str = "text") -> list[str]:
        """The values of the ``Key: value`` lines of ``text``, in linear time (see
        ``workgym.core._bounded.line_values``).

        Raises:
            GradeError: ``text`` is not a string or is longer than ``MAX_TEXT_CHARS``.
        """
        return line_values(cls.text(text, what), key)

    agent_content = staticmethod(agent_content)

    def file_unchanged(self, rel: str) -> bool:
        return self.world.file_hash(rel) == self.initial.files.get(rel)

    def successful_calls(self, name: str) -> list[CallRecord]:
        return [c for c in self.calls if c.ok and c.name == name]


CheckResult = tuple[bool, str]
Check = Callable[[GradeContext], CheckResult]


@dataclass(frozen=True)
class Criterion:
    """One named, weighted, deterministic check.

    Outcome criteria earn credit by weight. A ``guard`` criterion (something that must
    not change) earns nothing on its own: when it fails, the whole score is 0.
    """

    name: str
    check: Check
    kind: CriterionKind = "state"
    weight: float = 1.0
    guard: bool = False
    description: str = ""
    group: str = ""
    """Criteria that check items of one kind (e.g. one per required line) share a group,
    so pass rates can be compared across tasks; defaults to the name."""

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise ValueError(f"criterion {self.name!r}: weight must be positive")

    def evaluate(self, ctx: GradeContext) -> CriterionResult:
        """Run the check. A ``GradeError`` fails it; any other exception leaves it
        unscored, which makes the whole grade invalid (see the module docstring)."""
        try:
            passed, evidence = self.check(ctx)
            value: bool | None = bool(passed)
            evidence = str(evidence)
        except GradeError as exc:
            value, evidence = False, str(exc)
        except Exception as exc:  # noqa: BLE001 - a grader bug: unscored, the grade invalid
            value, evidence = None, f"could not be scored (grader error): {_reason(exc)}"
        return CriterionResult(
            name=self.name,
            group=self.group or self.name,
            kind=self.kind,
            weight=self.weight,
            guard=self.guard,
            passed=value,
            evidence=evidence,
        )


class CriterionResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    group: str = ""
    """Shared by criteria that check items of one kind; see ``Criterion.group``."""
    kind: CriterionKind
    weight: float
    guard: bool
    passed: bool | None
    """None when the criterion could not be scored (a grader error): the grade is then
    invalid, never silently False or left out."""
    evidence: str


class Grade(BaseModel):
    """Per-criterion results of one episode and the rewards derived from them.

    A grade with an unscored criterion is invalid: ``valid`` is false, ``errors`` says
    why, and ``score`` and ``reward()`` raise ``InvalidGradeError`` (its JSON form has
    ``"score": null``). Check ``valid`` before using the score.
    """

    model_config = ConfigDict(frozen=True)

    criteria: list[CriterionResult]
    truncated: bool = False
    """The episode hit its turn or token limit without a final answer."""
    n_calls: int = 0
    reference_calls: int = 0

    @property
    def outcomes(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.guard]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def valid(self) -> bool:
        """Every criterion was scored (none hit a grader error)."""
        return all(c.passed is not None for c in self.criteria)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errors(self) -> list[str]:
        """Why the grade is invalid: ``"criterion: evidence"`` of each unscored one."""
        return [f"{c.name}: {c.evidence}" for c in self.criteria if c.passed is None]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gated(self) -> bool:
        """A guard criterion did not pass (failed, or could not be scored): nothing is
        earned."""
        return any(c.guard and c.passed is not True for c in self.criteria)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unscored(self) -> list[str]:
        return [c.name for c in self.criteria if c.passed is None]

    @property
    def score(self) -> float:
        """Weighted fraction of outcome criteria met; 0 when gated.

        Raises:
            InvalidGradeError: the grade is invalid (see ``errors``).
        """
        self._require_valid()
        total = sum(c.weight for c in self.outcomes)
        if self.gated or total == 0:
            return 0.0
        return sum(c.weight for c in self.outcomes if c.passed) / total

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """Every criterion, guards included, passed (never true for an invalid grade)."""
        return bool(self.criteria) and all(c.passed is True for c in self.criteria)

    def reward(self, scheme: RewardScheme = "dense", gamma: float = 0.98) -> float:
        """The reward under ``scheme``.

        Args:
            scheme: ``binary`` (1 if every criterion passed), ``dense`` (the score), or
                ``gamma`` (binary, decayed by ``gamma`` per call beyond the reference length).
            gamma: decay per extra call for ``gamma``.

        Raises:
            InvalidGradeError: the grade is invalid: it must not be used as a reward.
            ValueError: an unknown scheme.
        """
        if scheme not in REWARD_SCHEMES:
            raise ValueError(f"unknown reward scheme {scheme!r}; use one of "
                             f"{', '.join(REWARD_SCHEMES)}")
        self._require_valid()
        if scheme == "binary":
            return 1.0 if self.passed else 0.0
        if scheme == "dense":
            return self.score
        if not self.passed:
            return 0.0
        extra = max(0, self.n_calls - self.reference_calls)
        return float(gamma**extra)

    def _require_valid(self) -> None:
        if not self.valid:
            raise InvalidGradeError("the grade is invalid (a criterion could not be scored, "
                                    "a grader bug): " + "; ".join(self.errors))

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            data["score"] = self.score if self.valid else None
        return data


def grade(
    criteria: Sequence[Criterion],
    ctx: GradeContext,
    *,
    truncated: bool = False,
    reference_calls: int = 0,
) -> Grade:
    return Grade(
        criteria=[c.evaluate(ctx) for c in criteria],
        truncated=truncated,
        n_calls=len(ctx.calls),
        reference_calls=reference_calls,
    )
