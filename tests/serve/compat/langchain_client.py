"""Drive a workgym MCP server with langchain-mcp-adapters, as its users do.

Run in the framework's own virtual environment (it pins its own mcp); prints one JSON
report on stdout. Usage: ``python langchain_client.py CONFIG_JSON`` where the config
holds ``transport`` ("http" or "stdio"), and ``url`` and ``token`` or ``command`` and
``args``, and ``path``, the file to write.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools


def connection(config: dict[str, Any]) -> dict[str, Any]:
    if config["transport"] == "http":
        return {"transport": "streamable_http", "url": config["url"],
                "headers": {"Authorization": f"Bearer {config['token']}"}}
    return {"transport": "stdio", "command": config["command"], "args": config["args"],
            "env": config.get("env")}


async def call(tools: list[Any], name: str, args: dict[str, Any], n: int) -> dict[str, Any]:
    tool = next(t for t in tools if t.name == name)
    message = await tool.ainvoke({"type": "tool_call", "id": f"call_{n}", "name": name,
                                  "args": args})
    content = message.content
    text = content if isinstance(content, str) else "".join(
        block.get("text", "") if isinstance(block, dict) else str(block) for block in content)
    return {"status": message.status, "text": text}


async def main(config: dict[str, Any]) -> dict[str, Any]:
    client = MultiServerMCPClient({"workgym": connection(config)})
    report: dict[str, Any] = {}
    info = await client.get_server_info(server_name="workgym")
    report["instructions"] = info["workgym"].instructions
    prompt = await client.get_prompt("workgym", "task")
    report["prompt"] = prompt[0].content
    resources = await client.get_resources("workgym")
    report["resource"] = resources[0].as_string()
    path, text = config["path"], "written by langchain-mcp-adapters"
    if config["transport"] == "http":
        # The adapters' default: every tool call opens (and ends) its own MCP session.
        tools = await client.get_tools()
        report["mode"] = "a session per call"
        report["tools"] = sorted(t.name for t in tools)
        report["good"] = await call(tools, "files_write", {"path": path, "content": text}, 1)
        report["read_back"] = await call(tools, "files_read", {"path": path}, 2)
        report["bad"] = await call(tools, "files_read", {"path": 5}, 3)
        report["missing"] = await call(tools, "files_read", {}, 4)
    else:
        # Over stdio a session per call is a new server process (a new episode), so
        # state needs one held session.
        async with client.session("workgym") as session:
            tools = await load_mcp_tools(session)
            report["mode"] = "one held session"
            report["tools"] = sorted(t.name for t in tools)
            report["good"] = await call(tools, "files_write", {"path": path, "content": text}, 1)
            report["read_back"] = await call(tools, "files_read", {"path": path}, 2)
            report["bad"] = await call(tools, "files_read", {"path": 5}, 3)
            report["missing"] = await call(tools, "files_read", {}, 4)
    report["written"] = text
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
