"""Drive a workgym MCP server with the openai-agents SDK's MCP support, as its users do.

Run in the framework's own virtual environment; prints one JSON report on stdout. Tools
are turned into the SDK's function tools with strict schemas (its default for agents
that ask for them) and called through the SDK's own invocation path, the one an agent
run takes. Usage: ``python agents_client.py CONFIG_JSON`` (see langchain_client.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from agents import Agent, RunContextWrapper
from agents.mcp import MCPServerStdio, MCPServerStreamableHttp, MCPUtil


def server(config: dict[str, Any]) -> Any:
    if config["transport"] == "http":
        return MCPServerStreamableHttp(
            params={"url": config["url"],
                    "headers": {"Authorization": f"Bearer {config['token']}"}},
            name="workgym", cache_tools_list=True)
    return MCPServerStdio(params={"command": config["command"], "args": config["args"],
                                  "env": config.get("env")},
                          name="workgym", cache_tools_list=True)


async def main(config: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    async with server(config) as mcp:
        agent = Agent(name="workgym", instructions="", mcp_servers=[mcp])
        context = RunContextWrapper(context=None)
        listed = await mcp.list_tools(context, agent)
        report["tools"] = sorted(t.name for t in listed)
        tools = {t.name: t for t in listed}
        function_tools = {t.name: MCPUtil.to_function_tool(t, mcp, True, agent) for t in listed}
        report["strict"] = sorted(n for n, t in function_tools.items() if t.strict_json_schema)
        report["not_strict"] = sorted(n for n, t in function_tools.items()
                                      if not t.strict_json_schema)
        session = mcp.session
        # The SDK keeps the initialize result on mcp 1.x; on mcp 2.x the session holds
        # the instructions itself.
        initialized = getattr(mcp, "server_initialize_result", None)
        report["instructions"] = (initialized.instructions if initialized is not None
                                  else getattr(session, "instructions", None))
        prompts = await mcp.list_prompts()
        report["prompts"] = [p.name for p in prompts.prompts]
        prompt = await mcp.get_prompt("task")
        report["prompt"] = prompt.messages[0].content.text
        if session is not None:
            resource = await session.read_resource("workgym://task")
            report["resource"] = resource.contents[0].text

        async def invoke(name: str, args: dict[str, Any]) -> str:
            # The agent runtime's path for a model's tool call: JSON text in, text out.
            out = await MCPUtil.invoke_mcp_tool(mcp, tools[name], context, json.dumps(args))
            return out if isinstance(out, str) else json.dumps(out, default=str)

        path, text = config["path"], "written by openai-agents"
        # Strict-mode arguments as a model bound to the strict schema writes them:
        # every property present, null for "the default".
        strict_args = config.get("strict", False)
        write_args: dict[str, Any] = {"path": path, "content": text}
        if strict_args:
            write_args["overwrite"] = None
        report["good"] = await invoke("files_write", write_args)
        report["read_back"] = await invoke("files_read", {"path": path})
        report["bad"] = await invoke("files_read", {"path": 5})
        if "sheets_write_cells" in tools:
            cells: Any = ([{"key": "A1", "value": "agents"}, {"key": "B1", "value": 2}]
                          if strict_args else {"A1": "agents", "B1": 2})
            await invoke("sheets_create_workbook", {"path": "agents.xlsx", "sheet": "S"})
            report["cells"] = await invoke("sheets_write_cells",
                                           {"path": "agents.xlsx", "sheet": "S", "cells": cells})
            report["cells_read"] = await invoke("sheets_read_range",
                                                {"path": "agents.xlsx", "sheet": "S",
                                                 **({"range": None} if strict_args else {})})
        report["written"] = text
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1]))), default=str))
