"""One BFCL sample in its own process: generate with BFCL's pipeline, score with its checkers.

Run as ``python -m workgym.external._bfcl_worker JOB.json``. BFCL keeps the state of its
multi-turn and memory backends in module globals keyed by model name and test id, so a
second generation of the same test case in one process would continue from the first
one's state. One process per sample, each with its own BFCL project root (results,
scores, memory snapshots), keeps the k samples independent.

The endpoint is registered as a function-calling model served through BFCL's own
OpenAI chat-completions handler, pointed at the user's base URL, whose requests go
through ``shape_request`` (``tool_choice``, ``max_tokens``, string contents) like every
other external adapter's. BFCL's model registry
module imports the SDK of every vendor it supports (anthropic, cohere, mistral, google,
qwen-agent, writer, boto3); none of them is needed here, so this process installs a
registry that holds only the endpoint before BFCL is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workgym.external._common import RequestShape, shape_request

REGISTRY_NAME = "workgym-endpoint-FC"
"""The endpoint's name in BFCL's registry and result folders. No ``_`` or ``/``: BFCL's
evaluation maps folder names back to registry names by replacing ``_`` with ``/``."""


class BfclJob(BaseModel):
    """What one worker process does (written as JSON next to its results)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_root: str
    """BFCL project root of this sample: results, scores and memory snapshots go here."""
    base_url: str
    model: str
    temperature: float
    timeout_s: float
    retries: int
    request: RequestShape = Field(default_factory=RequestShape)
    """How every request is shaped (``tool_choice``, ``max_tokens``, messages)."""
    categories: list[str]
    limit: int | None = None
    """First N test cases per category (memory prerequisites are added as needed)."""
    threads: int = 1
    sample: int = 0
    traces_path: str
    """Where the worker writes this sample's traces (JSONL)."""
    package: str = ""


@dataclass
class _ModelConfig:
    """The fields BFCL reads from an entry of its model registry."""

    model_name: str
    display_name: str
    url: str
    org: str
    license: str
    model_handler: Any
    input_price: float | None = None
    output_price: float | None = None
    is_fc_model: bool = True
    underscore_to_dot: bool = True
    """The endpoint receives BFCL's dotted function names with ``_`` (OpenAI's rule), so
    the checker maps them back."""


def _install_registry(job: BfclJob) -> None:
    from bfcl_eval.model_handler.api_inference.openai_completion import (
        OpenAICompletionsHandler,
    )

    api_key = os.environ.get("WORKGYM_BFCL_API_KEY") or "EMPTY"

    class EndpointHandler(OpenAICompletionsHandler):  # type: ignore[misc]
        """BFCL's chat-completions handler with the client aimed at the job's endpoint
        and its requests shaped for it."""

        def _build_client_kwargs(self) -> dict[str, Any]:
            return {"base_url": job.base_url, "api_key": api_key,
                    "timeout": job.timeout_s, "max_retries": job.retries}

        def _query_FC(self, inference_data: dict[str, Any]) -> Any:
            # BFCL's own request (its OpenAI handler's), then the endpoint's shape: the
            # history holds the server's response objects, tool-call turns with null content
            message: list[Any] = inference_data["message"]
            tools = inference_data["tools"]
            inference_data["inference_input_log"] = {"message": repr(message), "tools": tools}
            request: dict[str, Any] = {"messages": message, "model": self.model_name,
                                       "temperature": self.temperature, "store": False}
            if tools:
                request["tools"] = tools
            return self.generate_with_backoff(**shape_request(request, job.request))

    module = types.ModuleType("bfcl_eval.constants.model_config")
    module.ModelConfig = _ModelConfig  # type: ignore[attr-defined]
    module.MODEL_CONFIG_MAPPING = {  # type: ignore[attr-defined]
        REGISTRY_NAME: _ModelConfig(
            model_name=job.model, display_name=f"{job.model} (FC, workgym endpoint)",
            url=job.base_url, org="", license="", model_handler=EndpointHandler,
        )
    }
    sys.modules["bfcl_eval.constants.model_config"] = module


def _entries(categories: list[str], limit: int | None) -> dict[str, list[str]]:
    """The ids to generate per category: the first ``limit`` cases, and the memory
    prerequisite conversations those cases depend on."""
    from bfcl_eval.utils import load_dataset_entry, sort_key

    ids: dict[str, list[str]] = {}
    for category in categories:
        entries = load_dataset_entry(category)
        tests = sorted((e for e in entries if "prereq" not in e["id"]), key=sort_key)
        if limit is not None:
            tests = tests[:limit]
        wanted = {e["id"] for e in tests}
        for entry in tests:
            wanted.update(entry.get("depends_on", []))
        ids[category] = [e["id"] for e in entries if e["id"] in wanted]
    return ids


def _drop_endpoint_errors(result_root: Path) -> None:
    """Forget results whose generation failed at the endpoint, so a rerun retries them."""
    from workgym.external._common import endpoint_error

    for path in result_root.rglob("BFCL_*_result.json"):
        kept, dropped = [], 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            if _inference_error(entry) is not None and endpoint_error(entry.get("traceback", "")):
                dropped += 1
                continue
            kept.append(line)
        if dropped:
            path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def _inference_error(entry: dict[str, Any]) -> str | None:
    result = entry.get("result")
    if isinstance(result, str) and result.startswith("Error during inference"):
        return result
    return None


def _generate(job: BfclJob, ids: dict[str, list[str]]) -> None:
    from bfcl_eval import _llm_response_generation as generation
    from bfcl_eval.constants.eval_config import RESULT_PATH, TEST_IDS_TO_GENERATE_PATH

    _drop_endpoint_errors(RESULT_PATH)
    TEST_IDS_TO_GENERATE_PATH.write_text(json.dumps(ids), encoding="utf-8")
    args = argparse.Namespace(
        model=[REGISTRY_NAME], test_category=job.categories, temperature=job.temperature,
        include_input_log=False, exclude_state_log=False, num_threads=job.threads,
        num_gpus=1, backend="vllm", gpu_memory_utilization=0.9, result_dir=None,
        run_ids=True, allow_overwrite=False, skip_server_setup=True, local_model_path=None,
        lora_modules=None, enable_lora=False, max_lora_rank=None,
    )
    generation.main(args)


def _score(job: BfclJob, category: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """BFCL's own checkers over one category: the results and the failures by id."""
    from bfcl_eval.constants.eval_config import RESULT_PATH, SCORE_PATH
    from bfcl_eval.eval_checker import eval_runner
    from bfcl_eval.utils import (
        get_directory_structure_by_category,
        get_file_name_by_category,
        load_file,
    )

    folder = get_directory_structure_by_category(category)
    result_file = RESULT_PATH / REGISTRY_NAME / folder / get_file_name_by_category(
        category, is_result_file=True)
    if not result_file.exists():
        return [], {}
    results = load_file(result_file, sort_by_id=True)
    handler = eval_runner.get_handler(REGISTRY_NAME)
    eval_runner.evaluate_task(category, RESULT_PATH, SCORE_PATH, results, REGISTRY_NAME,
                              handler, {}, allow_missing=True)
    score_file = SCORE_PATH / REGISTRY_NAME / folder / get_file_name_by_category(
        category, is_score_file=True)
    failures = {e["id"]: e for e in load_file(score_file)[1:] if "id" in e}
    return results, failures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m workgym.external._bfcl_worker JOB.json", file=sys.stderr)
        return 2
    job = BfclJob.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    root = Path(job.project_root)
    root.mkdir(parents=True, exist_ok=True)
    # BFCL reads its project root from the environment when its config module is imported.
    os.environ["BFCL_PROJECT_ROOT"] = str(root)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _install_registry(job)

    from bfcl_eval.utils import load_dataset_entry

    from workgym.external._bfcl import entry_trace

    ids = _entries(job.categories, job.limit)
    _generate(job, ids)
    traces = []
    for category in job.categories:
        cases = {e["id"]: e for e in load_dataset_entry(category, include_prereq=False)}
        results, failures = _score(job, category)
        for entry in results:
            case = cases.get(entry["id"])
            if case is None or not re.match(rf"{re.escape(category)}_\d", entry["id"]):
                continue
            traces.append(entry_trace(category, case, entry, failures.get(entry["id"]),
                                      sample=job.sample, model=job.model, package=job.package))
    path = Path(job.traces_path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(t.model_dump_json() + "\n" for t in traces), encoding="utf-8")
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
