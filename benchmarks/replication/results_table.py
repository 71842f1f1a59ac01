"""The ``table`` stage of replicate.py: what the finished stages measured, as JSON and
Markdown, beside the wall time of each stage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workgym.agent import load_traces
from workgym.core import Trace
from workgym.eval import CIConfig, paired_delta, task_outcomes
from workgym.external import transfer_markdown, transfer_table


def _graded(folder: Path) -> list[Trace]:
    return [t for t in load_traces(folder) if t.grade is not None] if folder.is_dir() else []


def _behaviour(traces: list[Trace]) -> dict[str, Any]:
    """What the model did: calls per episode, the share of calls that the tools
    accepted, and how episodes ended."""
    calls = [c for t in traces for c in t.calls]
    failed = sum(1 for c in calls if c.error is not None)
    ends: dict[str, int] = {}
    for trace in traces:
        ends[trace.stop_reason or "?"] = ends.get(trace.stop_reason or "?", 0) + 1
    return {"episodes": len(traces),
            "calls_per_episode": round(len(calls) / max(1, len(traces)), 2),
            "calls_without_error": round(1 - failed / len(calls), 3) if calls else None,
            "criteria_passed": sum(sum(1 for c in t.grade.criteria if c.passed)
                                   for t in traces if t.grade is not None),
            "ends": dict(sorted(ends.items()))}


def _signal(traces: list[Trace]) -> dict[str, Any] | None:
    """The share of tasks where k samples give any learning signal: some sample that
    passes (binary reward) or some sample with a score above 0 (dense reward)."""
    outcomes = task_outcomes(traces)
    if not outcomes:
        return None
    binary = sum(1 for o in outcomes if any(o.successes))
    dense = sum(1 for o in outcomes if any(s > 0 for s in o.scores))
    scores = [s for o in outcomes for s in o.scores]
    return {"tasks": len(outcomes), "k": min(o.n for o in outcomes),
            "binary_share": round(binary / len(outcomes), 3),
            "dense_share": round(dense / len(outcomes), 3),
            "mean_dense_reward": round(sum(scores) / len(scores), 4)}


def write_results(out: Path, here: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Write ``results.json`` and ``results.md`` into ``here`` from the stages in ``out``."""
    stages = {p.stem: json.loads(p.read_text()) for p in sorted((out / "stages").glob("*.json"))}
    base, sft = _graded(out / "base" / "holdout"), _graded(out / "sft" / "holdout")
    ci = CIConfig()
    result: dict[str, Any] = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "stages", "redo")},
        "wall_s": {name: record["wall_s"] for name, record in stages.items()},
        "export": stages.get("export", {}).get("result"),
        "sft": stages.get("sft", {}).get("result"),
        "behaviour": {"base": _behaviour(base), "sft": _behaviour(sft)},
        "signal": {side: found for side, folder in (("base", out / "base-signal"),
                                                    ("sft", out / "sft-signal"))
                   if (found := _signal(_graded(folder))) is not None},
    }
    if base and sft:
        score = paired_delta({t.task_id: t.score for t in base}, {t.task_id: t.score for t in sft},
                             "mean_score", ci)
        result["mean_score"] = score.model_dump(mode="json")
        table = transfer_table([out / "base"], [out / "sft"], ci=ci)
        result["transfer"] = table.model_dump(mode="json")
        # The runs name explicit tasks, so their suite field is RunConfig's default label.
        markdown = transfer_markdown(table).replace(
            "| workgym smoke |", f"| workgym holdout ({len(base)} base, {len(sft)} SFT tasks) |")
    else:
        markdown = "(no holdout run on both sides yet)\n"
    (here / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = ["# Replication results", "", ("Written by `python benchmarks/replication/"
             "replicate.py` (stage `table`); the reading is in README.md."), "",
             "## Wall time per stage", "", "| stage | wall s |", "| --- | --- |"]
    lines += [f"| {name} | {secs} |" for name, secs in result["wall_s"].items()]
    lines += ["", "## Transfer table (pass@1 and pass@k, threshold 1.0)", "", markdown.strip(), ""]
    if "mean_score" in result:
        d = result["mean_score"]
        lines += ["## Mean dense score on the holdout (paired over tasks, 95% bootstrap)", "",
                  (f"base {d['a']:.4f}, SFT {d['b']:.4f}, change {d['delta']:+.4f} "
                  f"[{d['lo']:+.4f}, {d['hi']:+.4f}] over {d['tasks']} tasks"), ""]
    lines += ["## Behaviour on the holdout", "", "```json",
              json.dumps(result["behaviour"], indent=2), "```", ""]
    if result["signal"]:
        lines += ["## Signal share on train tasks", "",
                  ("The share of tasks where some of the k samples (temperature 0.7) passes "
                   "(binary reward) or scores above 0 (dense reward)."), "",
                  "| model | tasks | k | binary share | dense share | mean dense reward |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {side} | {s['tasks']} | {s['k']} | {s['binary_share']:.1%} | "
                  f"{s['dense_share']:.1%} | {s['mean_dense_reward']:.4f} |"
                  for side, s in result["signal"].items()]
        lines.append("")
    (here / "results.md").write_text("\n".join(lines), encoding="utf-8")
    return {k: result[k] for k in ("wall_s", "behaviour") if k in result} | (
        {"mean_score": result["mean_score"]} if "mean_score" in result else {})
