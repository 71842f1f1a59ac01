"""What an MCP client sees of an episode besides results: the task (instructions, prompt,
resource), tool names and annotations, and the strict-mode schema variant."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from mcp import MCPError
from mcp.types import TextContent

from workgym.core import App, ToolSpec, make, tool
from workgym.serve import PROMPT_NAME, RESOURCE_URI, connect_in_process

FAMILY = "office/library-catalogue-v1"
WIRE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def all_specs() -> list[ToolSpec]:
    return [s for app in App.registry.values() for s in app.tool_specs().values()]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_task_is_the_instructions_a_prompt_and_a_resource(mode: str) -> None:
    with make(FAMILY, seed=5).start() as episode:
        async with connect_in_process(episode, mode=mode) as client:  # type: ignore[arg-type]
            assert client.instructions == episode.task.prompt
            prompts = (await client.list_prompts()).prompts
            assert [p.name for p in prompts] == [PROMPT_NAME]
            got = await client.get_prompt(PROMPT_NAME)
            assert [m.role for m in got.messages] == ["user"]
            content = got.messages[0].content
            assert isinstance(content, TextContent) and content.text == episode.task.prompt
            resources = (await client.list_resources()).resources
            assert [str(r.uri) for r in resources] == [RESOURCE_URI]
            assert resources[0].mime_type == "text/plain"
            read = await client.read_resource(RESOURCE_URI)
            assert read.contents[0].text == episode.task.prompt  # type: ignore[union-attr]
            with pytest.raises(MCPError, match="the one prompt is 'task'"):
                await client.get_prompt("solution")
            with pytest.raises(MCPError, match="the one resource is 'workgym://task'"):
                await client.read_resource("workgym://answers")


def test_every_tool_has_a_wire_name_and_consistent_annotations() -> None:
    specs = all_specs()
    assert specs
    for spec in specs:
        assert WIRE_NAME.match(spec.openai_name), spec.name
        assert spec.mcp()["name"] == spec.openai() ["function"]["name"] == spec.openai_name
        hints = spec.annotations()
        assert hints["openWorldHint"] is False
        if spec.read_only:
            assert not hints["destructiveHint"] and hints["idempotentHint"], spec.name
    by_name = {s.name: s for s in specs}
    assert by_name["files.read"].read_only and by_name["files.read"].concurrent
    assert not by_name["files.write"].read_only and by_name["files.write"].destructive
    assert by_name["mail.send"].destructive is False and by_name["mail.send"].idempotent is False
    # The terminal runs beside other calls (it waits on a subprocess) but writes.
    assert by_name["terminal.run"].concurrent and by_name["terminal.run"].may_block
    assert not by_name["files.read"].may_block


def test_tool_options_default_from_read_only_and_refuse_contradictions() -> None:
    class Probe(App):
        name = "probe"

        @tool(read_only=True)
        def look(self) -> str:
            """Look."""
            return ""

        @tool
        def poke(self) -> str:
            """Poke."""
            return ""

    look, poke = Probe.tool_specs()["look"], Probe.tool_specs()["poke"]
    assert (look.read_only, look.destructive, look.idempotent, look.concurrent) == (
        True, False, True, True)
    assert (poke.read_only, poke.destructive, poke.idempotent, poke.concurrent) == (
        False, True, False, False)
    with pytest.raises(ValueError, match="read_only tool"):
        tool(read_only=True, destructive=True)
    App.registry.pop("probe")


def strict_ok(node: Any) -> None:
    """What strict mode requires of a schema: every object closed, all properties
    required, no map, no default."""
    if isinstance(node, list):
        for item in node:
            strict_ok(item)
        return
    if not isinstance(node, dict):
        return
    assert "default" not in node, node
    if node.get("type") == "object":
        assert node.get("additionalProperties") is False, node
        assert sorted(node.get("required", [])) == sorted(node.get("properties", {})), node
    for value in node.values():
        strict_ok(value)


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_the_strict_variant_is_strict_and_its_arguments_turn_back(spec: ToolSpec) -> None:
    strict_ok(spec.strict_parameters)
    jsonschema.Draft202012Validator.check_schema(spec.strict_parameters)
    # A strict caller sends every property: null for an optional one means its default.
    sent = {key: None for key in spec.strict_parameters["properties"]}
    native = spec.from_strict(sent)
    required = set(spec.parameters.get("required", ()))
    for key in spec.parameters["properties"]:
        if key in required:
            assert native[key] is None  # passed on, for validation to refuse
        elif key in native:
            assert native[key] is None and "null" in str(spec.parameters["properties"][key])


def test_a_map_goes_as_pairs_in_the_strict_variant() -> None:
    spec = App.registry["sheets"].tool_specs()["write_cells"]
    cells = spec.strict_parameters["properties"]["cells"]
    assert cells["type"] == "array" and cells["items"]["required"] == ["key", "value"]
    pairs = [{"key": "A1", "value": "x"}, {"key": "B2", "value": 2.5}]
    args = {"path": "a.xlsx", "sheet": "S", "cells": pairs}
    jsonschema.validate(args, spec.strict_parameters)
    native = spec.from_strict(args)
    assert native == {"path": "a.xlsx", "sheet": "S", "cells": {"A1": "x", "B2": 2.5}}
    jsonschema.validate(native, spec.parameters)
    # Native arguments pass through unchanged, so either form reaches the tool.
    assert spec.from_strict(native) == native


async def test_a_strict_server_gives_the_same_results_as_the_native_one() -> None:
    task = make(FAMILY, seed=5)
    with task.start() as served, task.start() as direct:
        async with connect_in_process(served, strict=True) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            for t in listed.values():
                strict_ok(t.input_schema)
            steps = [
                ("sheets_create_workbook", {"path": "s.xlsx", "sheet": None},
                 {"path": "s.xlsx"}),
                ("sheets_write_cells", {"path": "s.xlsx", "sheet": "Sheet1",
                                        "cells": [{"key": "A1", "value": 7}]},
                 {"path": "s.xlsx", "sheet": "Sheet1", "cells": {"A1": 7}}),
                ("sheets_read_range", {"path": "s.xlsx", "sheet": None, "range": None},
                 {"path": "s.xlsx"}),
                ("files_write", {"path": "n.txt", "content": "a", "overwrite": None},
                 {"path": "n.txt", "content": "a"}),
                ("files_write", {"path": "n.txt", "content": "b", "overwrite": False},
                 {"path": "n.txt", "content": "b", "overwrite": False}),
            ]
            for name, strict_args, native_args in steps:
                result = await client.call_tool(name, strict_args)
                expected = direct.call(name, native_args)
                assert isinstance(result.content[0], TextContent)
                assert (not result.is_error, result.content[0].text) == (
                    expected.ok, expected.text), name
        assert served.world.digest() == direct.world.digest()
