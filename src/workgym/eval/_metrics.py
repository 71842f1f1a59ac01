"""Metrics over rollouts: unbiased pass@k, pass^k, dense score, confidence intervals.

A *task* is one TaskSpec (one ``task_id``); it has ``n`` graded samples, ``c`` of which
succeeded. Success is an explicit threshold on the grade (see :func:`is_success`).
Per-task values are computed first and then averaged over tasks, so a task with more
samples does not weigh more.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from workgym.core import Grade, TaskSpec, Trace


def _none_is_nan(value: object) -> object:
    # JSON has no NaN: pydantic writes it as null, and reads null back as NaN here.
    return math.nan if value is None else value


Number = Annotated[float, BeforeValidator(_none_is_nan)]
"""A float that may be NaN (undefined); ``null`` in JSON."""

CIMethod = Literal["bootstrap", "normal"]


# -- per-task estimators ------------------------------------------------------------------


def _defined(n: int, c: int, k: int, metric: str) -> bool:
    """Check the counts; False (with a warning) when ``k > n`` leaves ``metric`` undefined."""
    if n < 0 or c < 0 or c > n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k > n:
        # stacklevel 3: the warning points at the caller of pass_at_k / pass_hat_k.
        warnings.warn(f"{metric} is undefined with only {n} samples; returning NaN",
                      RuntimeWarning, stacklevel=3)
        return False
    return True


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task (Chen et al. 2021): ``1 - C(n-c, k) / C(n, k)``.

    The probability that at least one of ``k`` samples drawn without replacement from
    the ``n`` samples succeeded. Computed as a running product, never with large
    binomials.

    Args:
        n: samples of the task.
        c: successful samples.
        k: samples drawn.

    Returns:
        The estimate in [0, 1]; NaN (with a warning) when ``k > n``.

    Raises:
        ValueError: ``c`` outside ``[0, n]`` or ``k < 1``.
    """
    if not _defined(n, c, k, f"pass@{k}"):
        return math.nan
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    miss = 1.0
    for i in range(n - c + 1, n + 1):
        miss *= 1.0 - k / i
    return 1.0 - miss


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k of one task (tau-bench): ``C(c, k) / C(n, k)``.

    The probability that all ``k`` samples drawn without replacement succeeded: a
    measure of reliability, where pass@k measures coverage.

    Args:
        n: samples of the task.
        c: successful samples.
        k: samples drawn.

    Returns:
        The estimate in [0, 1]; NaN (with a warning) when ``k > n``.

    Raises:
        ValueError: ``c`` outside ``[0, n]`` or ``k < 1``.
    """
    if not _defined(n, c, k, f"pass^{k}"):
        return math.nan
    if c < k:
        return 0.0
    # C(c, k) / C(n, k) = prod_{i=0}^{k-1} (c - i) / (n - i)
    value = 1.0
    for i in range(k):
        value *= (c - i) / (n - i)
    return value


def is_success(grade: Grade, threshold: float = 1.0) -> bool:
    """Whether one graded sample counts as a success.

    Args:
        grade: the sample's grade.
        threshold: minimum score in (0, 1]. At 1.0 every criterion, guards included,
            must have passed (``Grade.passed``), so a criterion that could not be scored
            never counts as a success.

    Raises:
        ValueError: threshold outside (0, 1].
    """
    check_threshold(threshold)
    if not grade.valid:
        return False
    if threshold >= 1.0:
        return grade.passed
    return grade.score >= threshold


def check_threshold(threshold: float) -> float:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    return threshold


# -- tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskOutcome:
    """The graded samples of one task."""

    task_id: str
    spec: TaskSpec
    scores: tuple[float, ...]
    """Dense score of each sample, in sample order."""
    successes: tuple[bool, ...]
    """Whether each sample met the success threshold."""
    suite: str | None = None

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def c(self) -> int:
        return sum(self.successes)

    @property
    def category(self) -> str:
        return self.spec.category

    @property
    def mean_score(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def pass_rate(self) -> float:
        """Share of samples that succeeded (pass@1)."""
        return self.c / self.n

    @property
    def any_success(self) -> bool:
        """Some sample succeeded: the task gives a training signal under sparse reward."""
        return self.c > 0

    @property
    def any_reward(self) -> bool:
        """Some sample scored above 0: the task gives a training signal under dense reward."""
        return any(s > 0 for s in self.scores)

    def pass_at_k(self, k: int) -> float:
        return pass_at_k(self.n, self.c, k)

    def pass_hat_k(self, k: int) -> float:
        return pass_hat_k(self.n, self.c, k)


def is_error(trace: Trace) -> bool:
    """An infrastructure failure, a trace never graded, or an invalid grade (a criterion
    a grader bug left unscored): counted as an error, excluded from metrics, never
    rescaled over the scored criteria."""
    return trace.error is not None or trace.grade is None or not trace.grade.valid


def task_outcomes(traces: Iterable[Trace], threshold: float = 1.0) -> list[TaskOutcome]:
    """Group graded traces by task; error traces are left out.

    Args:
        traces: traces of one run.
        threshold: success threshold, see :func:`is_success`.

    Returns:
        One outcome per task with at least one graded sample, sorted by task id so
        that results do not depend on the order traces were written in.
    """
    check_threshold(threshold)
    by_task: dict[str, list[Trace]] = {}
    for trace in traces:
        if not is_error(trace):
            by_task.setdefault(trace.task_id, []).append(trace)
    outcomes = []
    for task_id in sorted(by_task):
        samples = sorted(by_task[task_id], key=lambda t: t.sample)
        grades = [t.grade for t in samples if t.grade is not None]
        outcomes.append(TaskOutcome(
            task_id=task_id,
            spec=samples[0].spec,
            scores=tuple(g.score for g in grades),
            successes=tuple(is_success(g, threshold) for g in grades),
            suite=samples[0].suite,
        ))
    return outcomes


def parse_metric(name: str) -> Callable[[TaskOutcome], float]:
    """The per-task function behind a metric name.

    Names: ``pass@K``, ``pass^K``, ``mean_score``, ``any_success`` (sparse any-reward),
    ``any_reward`` (dense any-reward).

    Raises:
        ValueError: an unknown name.
    """
    for prefix, method in (("pass@", TaskOutcome.pass_at_k), ("pass^", TaskOutcome.pass_hat_k)):
        if name.startswith(prefix):
            try:
                k = int(name[len(prefix):])
            except ValueError:
                break
            if k < 1:
                break
            return lambda o, k=k, method=method: method(o, k)  # type: ignore[misc]
    simple: dict[str, Callable[[TaskOutcome], float]] = {
        "mean_score": lambda o: o.mean_score,
        "any_success": lambda o: float(o.any_success),
        "any_reward": lambda o: float(o.any_reward),
    }
    if name in simple:
        return simple[name]
    raise ValueError(f"unknown metric {name!r}; use pass@K, pass^K, mean_score, "
                     "any_success or any_reward")


def metric_min_samples(name: str) -> int:
    """The samples a task needs for the metric to be defined (K for pass@K and pass^K)."""
    if name[:5] in ("pass@", "pass^"):
        return int(name[5:])
    return 1


def task_values(outcomes: Sequence[TaskOutcome], metric: str) -> dict[str, float]:
    """Per-task values of a metric, keyed by task id.

    Tasks with fewer samples than the metric needs (``k > n``) are left out, with one
    warning naming how many.
    """
    fn = parse_metric(metric)
    need = metric_min_samples(metric)
    eligible = [o for o in outcomes if o.n >= need]
    if len(eligible) < len(outcomes):
        warnings.warn(
            f"{metric}: {len(outcomes) - len(eligible)} of {len(outcomes)} tasks have fewer "
            f"than {need} samples and are left out of the average",
            RuntimeWarning, stacklevel=2,
        )
    return {o.task_id: fn(o) for o in eligible}


# -- confidence intervals -----------------------------------------------------------------


class CIConfig(BaseModel):
    """How confidence intervals are computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: CIMethod = "bootstrap"
    """``bootstrap`` (percentile, resampling tasks) or ``normal`` (mean +- z * s / sqrt(n))."""
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    """Coverage of the interval."""
    resamples: int = Field(default=2000, ge=100)
    """Bootstrap resamples."""
    seed: int = Field(default=0, ge=0)
    """Seed of the bootstrap: the same inputs always give the same interval."""


class Estimate(BaseModel):
    """A mean over tasks with its confidence interval. NaN (``null`` in JSON) if undefined."""

    model_config = ConfigDict(frozen=True)

    value: Number
    lo: Number
    hi: Number
    n: int
    """Tasks the mean is over."""


_CHUNK = 4_000_000  # resample matrix entries per chunk: bounds memory on large runs


def bootstrap_means(values: np.ndarray, ci: CIConfig) -> np.ndarray:
    """Means of ``ci.resamples`` resamples (with replacement) of ``values``, seeded."""
    rng = np.random.default_rng(ci.seed)
    n = len(values)
    rows = max(1, _CHUNK // max(n, 1))
    out = np.empty(ci.resamples)
    for start in range(0, ci.resamples, rows):
        stop = min(ci.resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def estimate(values: Sequence[float] | np.ndarray, ci: CIConfig | None = None) -> Estimate:
    """The mean of per-task values with a confidence interval.

    Args:
        values: one value per task.
        ci: how to compute the interval (default: seeded percentile bootstrap, 95%).

    Returns:
        The estimate; NaN for no values, a zero-width interval for one value.
    """
    ci = ci or CIConfig()
    arr = np.asarray(values, dtype=float)
    n = len(arr)
    if n == 0:
        return Estimate(value=math.nan, lo=math.nan, hi=math.nan, n=0)
    mean = float(arr.mean())
    if n == 1 or float(arr.min()) == float(arr.max()):
        return Estimate(value=mean, lo=mean, hi=mean, n=n)
    if ci.method == "normal":
        z = statistics.NormalDist().inv_cdf((1 + ci.level) / 2)
        half = z * float(arr.std(ddof=1)) / math.sqrt(n)
        return Estimate(value=mean, lo=max(mean - half, float(arr.min())),
                        hi=min(mean + half, float(arr.max())), n=n)
    means = bootstrap_means(arr, ci)
    alpha = (1 - ci.level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return Estimate(value=mean, lo=float(lo), hi=float(hi), n=n)


def mean_metric(outcomes: Sequence[TaskOutcome], metric: str,
                ci: CIConfig | None = None) -> Estimate:
    """A metric averaged over tasks, with its confidence interval.

    Args:
        outcomes: tasks, from :func:`task_outcomes`.
        metric: ``pass@K``, ``pass^K``, ``mean_score``, ``any_success`` or ``any_reward``.
        ci: interval settings.
    """
    return estimate(list(task_values(outcomes, metric).values()), ci)
