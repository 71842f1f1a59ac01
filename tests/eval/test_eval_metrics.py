import itertools
import math
import warnings
from math import comb

import numpy as np
import pytest

from workgym.core import CriterionResult, Grade
from workgym.eval import (
    CIConfig,
    estimate,
    is_success,
    mean_metric,
    pass_at_k,
    pass_hat_k,
    task_outcomes,
    task_values,
)
from workgym.eval._metrics import TaskOutcome


def brute_force(n: int, c: int, k: int) -> tuple[float, float]:
    """pass@k and pass^k by enumerating every k-subset of n samples (c successes)."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    return (sum(any(s) for s in subsets) / len(subsets),
            sum(all(s) for s in subsets) / len(subsets))


def test_hand_computed_values():
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - comb(3, 2) / comb(5, 2)) == pytest.approx(0.7)
    assert pass_hat_k(5, 2, 2) == pytest.approx(comb(2, 2) / comb(5, 2)) == pytest.approx(0.1)
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_hat_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(10, 3, 4) == pytest.approx(1 - comb(7, 4) / comb(10, 4))
    assert pass_hat_k(10, 6, 3) == pytest.approx(comb(6, 3) / comb(10, 3))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_matches_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            at, hat = brute_force(n, c, k)
            assert pass_at_k(n, c, k) == pytest.approx(at, abs=1e-12), (n, c, k)
            assert pass_hat_k(n, c, k) == pytest.approx(hat, abs=1e-12), (n, c, k)


def test_edge_cases():
    assert pass_at_k(5, 0, 3) == 0.0 and pass_hat_k(5, 0, 3) == 0.0
    assert pass_at_k(5, 5, 3) == 1.0 and pass_hat_k(5, 5, 3) == 1.0
    # k = n: pass@n is "any sample passed", pass^n is "every sample passed"
    assert pass_at_k(5, 1, 5) == 1.0 and pass_hat_k(5, 1, 5) == 0.0
    assert pass_hat_k(5, 5, 5) == 1.0 and pass_at_k(5, 0, 5) == 0.0
    # n - c < k: every k-subset holds a success
    assert pass_at_k(5, 4, 2) == 1.0


def test_k_above_n_is_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match="pass@6"):
        assert math.isnan(pass_at_k(5, 2, 6))
    with pytest.warns(RuntimeWarning, match=r"pass\^6"):
        assert math.isnan(pass_hat_k(5, 2, 6))


def test_bad_counts_raise_value_error():
    for n, c, k in [(5, 6, 1), (5, -1, 1), (5, 2, 0), (-1, 0, 1)]:
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)
        with pytest.raises(ValueError):
            pass_hat_k(n, c, k)


def test_large_n_is_stable():
    # C(1000, 500) overflows a float; the product form must not.
    value = pass_at_k(1000, 10, 500)
    assert 0.999 < value <= 1.0
    assert pass_hat_k(1000, 999, 500) == pytest.approx(0.5, abs=1e-3)


def _grade(*passed: bool | None, guard: bool | None = None) -> Grade:
    crit = [CriterionResult(name=f"c{i}", kind="state", weight=1.0, guard=False, passed=p,
                            evidence="") for i, p in enumerate(passed)]
    if guard is not None:
        crit.append(CriterionResult(name="g", kind="state", weight=1.0, guard=True,
                                    passed=guard, evidence=""))
    return Grade(criteria=crit)


def test_success_threshold():
    assert is_success(_grade(True, True))
    assert not is_success(_grade(True, False))
    assert is_success(_grade(True, False), threshold=0.5)
    assert not is_success(_grade(True, False, False), threshold=0.5)
    # a failed guard gates the score to 0 at any threshold
    assert not is_success(_grade(True, True, guard=False), threshold=0.1)
    # an unscored criterion makes the grade invalid: never a success at any threshold
    g = _grade(True, None)
    assert not g.valid and not is_success(g) and not is_success(g, threshold=0.5)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            is_success(g, bad)


def test_outcomes_exclude_errors_and_sort_samples(trace_factory):
    t = trace_factory
    traces = [t("office/a", 0, 1, (False,)), t("office/a", 0, 0, (True,)),
              t("office/a", 0, 2, error="endpoint down"), t("office/a", 1, 0, (True, False))]
    outcomes = task_outcomes(traces)
    assert sorted(o.n for o in outcomes) == [1, 2]
    first = next(o for o in outcomes if o.spec.seed == 0)
    assert first.successes == (True, False) and first.c == 1 and first.n == 2
    half = next(o for o in outcomes if o.spec.seed == 1)
    assert half.scores == (0.5,) and not half.any_success and half.any_reward
    assert [o.task_id for o in outcomes] == sorted(o.task_id for o in outcomes)
    assert task_outcomes(traces, threshold=0.5)[0].c + task_outcomes(traces, 0.5)[1].c == 2


def test_average_is_per_task_then_over_tasks(trace_factory):
    t = trace_factory
    # task A: 1 of 4 samples pass; task B: 2 of 2 pass. Per task then mean: (0.25 + 1) / 2.
    traces = [t("office/a", 0, i, (i == 0,)) for i in range(4)]
    traces += [t("office/a", 1, i, (True,)) for i in range(2)]
    outcomes = task_outcomes(traces)
    assert mean_metric(outcomes, "pass@1").value == pytest.approx(0.625)
    assert mean_metric(outcomes, "pass@2").value == pytest.approx((0.5 + 1.0) / 2)
    # pass@4: task B has only 2 samples: left out, with a warning
    with pytest.warns(RuntimeWarning, match="1 of 2 tasks"):
        est = mean_metric(outcomes, "pass@4")
    assert est.n == 1 and est.value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown metric"):
        task_values(outcomes, "pass@x")


def _outcome(i: int, successes: tuple[bool, ...]) -> TaskOutcome:
    from workgym.core import TaskSpec

    return TaskOutcome(task_id=f"t{i:03d}", spec=TaskSpec(family="x/y", version=1, seed=i),
                       scores=tuple(float(s) for s in successes), successes=successes)


def test_confidence_intervals_are_seeded_and_sensible():
    values = [0.0, 1.0] * 50
    a, b = estimate(values), estimate(values)
    assert a == b  # same seed, same interval
    assert a.value == 0.5 and a.n == 100
    # the standard error is 0.05: a 95% interval is about +-0.1
    assert a.lo == pytest.approx(0.4, abs=0.02) and a.hi == pytest.approx(0.6, abs=0.02)
    spread = [(i * 37 % 101) / 100 for i in range(100)]  # continuous: quantiles move with the seed
    s0, s1 = estimate(spread), estimate(spread, CIConfig(seed=1))
    assert s0 == estimate(spread) and s0.lo != s1.lo and s0.lo == pytest.approx(s1.lo, abs=0.02)
    normal = estimate(values, CIConfig(method="normal"))
    assert normal.lo == pytest.approx(0.5 - 1.96 * np.std(values, ddof=1) / 10, abs=1e-3)
    narrow = estimate(values, CIConfig(level=0.5))
    assert a.lo < narrow.lo < 0.5 < narrow.hi < a.hi
    single = estimate([0.3])
    assert (single.lo, single.value, single.hi) == (0.3, 0.3, 0.3)
    assert math.isnan(estimate([]).value)


def test_interval_order_does_not_depend_on_trace_order(trace_factory):
    t = trace_factory
    traces = [t("office/a", s, i, ((s + i) % 3 == 0,)) for s in range(20) for i in range(3)]
    forward = mean_metric(task_outcomes(traces), "pass@1")
    backward = mean_metric(task_outcomes(traces[::-1]), "pass@1")
    assert forward == backward


def test_metric_names():
    outs = [_outcome(0, (True, False)), _outcome(1, (False, False))]
    assert task_values(outs, "any_success") == {"t000": 1.0, "t001": 0.0}
    assert task_values(outs, "pass^2") == {"t000": 0.0, "t001": 0.0}
    assert task_values(outs, "mean_score")["t000"] == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        task_values(outs, "pass@2")  # every task has 2 samples: no warning
