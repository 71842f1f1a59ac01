"""Replay a reference plan over MCP, through the official client, beside a direct episode."""

from __future__ import annotations

from workgym.core import Task


def replay_differences(task: Task) -> list[str]:
    """Run ``task``'s reference over an in-memory MCP session (the official ``mcp``
    client against ``workgym.serve``'s server) and directly, step by step.

    Returns:
        Every difference: a step whose result (text or error flag) differs, or a final
        world digest or grade that differs. Empty when the replay is identical.
    """
    import anyio
    from mcp.types import TextContent

    from workgym.serve import connect_in_process

    differences: list[str] = []

    async def replay() -> None:
        with task.start() as served, task.start() as direct:
            listing = direct.tools("mcp")
            async with connect_in_process(served) as client:
                listed = {t.name: t.input_schema for t in (await client.list_tools()).tools}
                if listed != {entry["name"]: entry["inputSchema"] for entry in listing}:
                    differences.append("the tools listed over MCP differ from Episode.tools('mcp')")
                for n, step in enumerate(task.reference, 1):
                    # a model calls tools by the names (and arguments) the server lists
                    try:
                        name, args = direct.to_wire(step.name, dict(step.args))
                    except ValueError:
                        name, args = step.name, dict(step.args)
                    result = await client.call_tool(name, dict(args))
                    texts = [c.text for c in result.content if isinstance(c, TextContent)]
                    got = (not result.is_error, texts[0] if len(texts) == 1 else texts)
                    want = direct.call(name, dict(args))
                    if got != (want.ok, want.text):
                        differences.append(f"step {n} {step.name}: over MCP {got!r:.200}, "
                                           f"directly {(want.ok, want.text)!r:.200}")
            for episode in (served, direct):
                episode.finish(task.reference_answer)
            if served.world.digest() != direct.world.digest():
                differences.append("the world digest after the replay differs")
            if served.grade().criteria != direct.grade().criteria:
                differences.append("the grade after the replay differs")

    anyio.run(replay)
    return differences
