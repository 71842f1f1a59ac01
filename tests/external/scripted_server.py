"""The scripted chat-completions server of tests/scripted_openai.py, answering by a ``brain``.

A brain is a function from the request body to the assistant message (``content`` and/or
``tool_calls``); a brain that raises answers 500, visibly. Requests are recorded for
assertions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import scripted_openai
from scripted_openai import Reply, completion

Brain = Callable[[dict[str, Any]], dict[str, Any]]


def text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def calls(*items: tuple[str, dict[str, Any]], prefix: str = "call") -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"{prefix}_{i}", "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(items)]}


class ScriptedServer(scripted_openai.ScriptedServer):
    """``with ScriptedServer(brain) as server: server.url``."""

    def __init__(self, brain: Brain) -> None:
        def script(body: dict[str, Any]) -> Reply:
            try:
                message = brain(body)
            except Exception as exc:  # noqa: BLE001 - a brain failure answers 500, visibly
                return 500, {"error": {"message": f"brain failed: {exc!r}"}}
            status, reply = completion(model=body.get("model", "scripted"),
                                       prompt_tokens=10, completion_tokens=5)
            reply["choices"][0].update(
                message=message, finish_reason="tool_calls" if message.get("tool_calls") else "stop")
            return status, reply

        super().__init__(script)


NULL_CONTENT = "'None' has no attribute 'content'"
MISSING_CONTENT = "'dict object' has no attribute 'content'"


def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
    """The prompt a chatml function-calling template writes: the tools go into the system
    message (one is opened for them when the conversation has none)."""
    if tools and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": ""}, *messages]
    parts = []
    for message in messages:
        text = str(message["content"])
        if message["role"] == "system" and tools:
            text += "\nYou have access to the following functions:\n" + "\n".join(
                f"functions.{t['function']['name']}:\n{json.dumps(t['function'].get('parameters'))}"
                for t in tools)
        for call in message.get("tool_calls") or []:
            text += f"\nfunctions.{call['function']['name']}:\n{call['function']['arguments']}"
        parts.append(f"<|im_start|>{message['role']}\n{text}<|im_end|>")
    return "\n".join(parts)


class StrictServer(scripted_openai.ScriptedServer):
    """A server as strict as llama-cpp-python's ``chatml-function-calling`` format.

    - A message whose ``content`` is missing or ``null`` fails the request with HTTP 500
      (the template's error).
    - The tools reach the model only with a ``tool_choice`` other than ``none``, and,
      with ``tools_need_system``, only when the conversation has a system message (the
      template writes them there). A model the tools did not reach answers in prose.
    - ``prompt_tokens`` counts the prompt actually rendered (4 characters a token).

    ``server.seen`` holds the requests as the model saw them (``tools`` as they reached it).
    """

    def __init__(self, brain: Brain, *, tools_need_system: bool = False) -> None:
        self.seen: list[dict[str, Any]] = []

        def script(body: dict[str, Any]) -> Reply:
            messages = body.get("messages") or []
            for i, message in enumerate(messages):
                if "content" not in message:
                    return 500, {"error": {"message": f"message {i}: {MISSING_CONTENT}"}}
                if message["content"] is None:
                    return 500, {"error": {"message": f"message {i}: {NULL_CONTENT}"}}
            offered = body.get("tools") or []
            reached = offered if body.get("tool_choice") not in (None, "none") else []
            if tools_need_system and not any(m["role"] == "system" for m in messages):
                reached = []
            seen = {**body, "tools": reached}
            self.seen.append(seen)
            if offered and not reached:
                message = text("I cannot look that up for you.")
            else:
                try:
                    message = brain(seen)
                except Exception as exc:  # noqa: BLE001 - a brain failure answers 500, visibly
                    return 500, {"error": {"message": f"brain failed: {exc!r}"}}
            tokens = -(-len(render(messages, reached)) // 4)
            status, reply = completion(model=body.get("model", "scripted"),
                                       prompt_tokens=tokens, completion_tokens=5)
            reply["choices"][0].update(
                message=message, finish_reason="tool_calls" if message.get("tool_calls") else "stop")
            return status, reply

        super().__init__(script)
