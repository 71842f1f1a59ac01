"""An MCP server over one live Episode, its transports, and an in-process client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from workgym.core import Episode, WireTool

if TYPE_CHECKING:
    # The SDK takes most of a second to import: it is imported only when a server or a
    # client is built, so that ``import workgym.serve`` (and the CLI) stay quick.
    from collections.abc import Iterator

    import anyio
    import mcp_types as types
    from mcp import Client
    from mcp.server import Server, ServerRequestContext

logger = logging.getLogger("workgym.serve")
logger.addHandler(logging.NullHandler())  # a library logs nothing unless the caller asks

ConnectMode = Literal["auto", "legacy"]
"""How an in-process client talks to the server: ``auto`` (the SDK default: the modern
protocol, dispatched directly) or ``legacy`` (the initialize handshake over in-memory
JSON-RPC streams, as handshake-era clients do)."""

HTTP_PATH = "/mcp"
"""Where the streamable HTTP endpoint of ``workgym serve --transport http`` lives."""

PROMPT_NAME = "task"
"""The MCP prompt that holds the episode's task."""

RESOURCE_URI = "workgym://task"
"""The MCP resource that holds the episode's task (text)."""


class EpisodeGuard:
    """Admits tool calls to an episode until it is closed.

    Closing waits for the calls in flight (a sandboxed command runs in a worker thread),
    so the grade reads a world that nothing is still changing.
    """

    def __init__(self) -> None:
        self.closed = False
        self._running = 0
        self._drained: anyio.Event | None = None

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold the episode open for one call.

        Raises:
            RuntimeError: the episode is closed (or closing).
        """
        if self.closed:
            raise RuntimeError("the episode is closed")
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            if not self._running and self._drained is not None:
                self._drained.set()

    async def close(self) -> None:
        """Refuse further calls, then wait for those in flight to end."""
        import anyio

        self.closed = True
        while self._running:
            self._drained = anyio.Event()
            await self._drained.wait()


def _tool_index(episode: Episode) -> dict[str, WireTool]:
    index: dict[str, WireTool] = {}
    for tool in episode.wire_tools():
        index[tool.name] = tool
        if episode.dialect == "native":
            index[tool.spec.name] = tool  # files.read, which the native dialect takes too
    return index


def build_server(episode: Episode, *, name: str = "workgym", strict: bool = False,
                 guard: EpisodeGuard | None = None) -> Server[Any]:
    """Build an MCP server that serves one live episode: its task and its tools.

    The task's prompt is announced three ways, for clients that read only one of them:
    as the server's ``instructions`` (in the ``initialize`` result and in
    ``server/discover``), as the prompt ``task`` and as the resource ``workgym://task``.

    ``tools/list`` answers exactly ``episode.tools("mcp")``, in the episode's dialect:
    names that satisfy ``^[a-zA-Z0-9_-]{1,64}$`` (``files_read``, or ``filesystem-read_file``
    under ``dialect=mcp-public``), descriptions, our own JSON Schemas and the tools'
    annotations; the server's description names the variant. ``tools/call`` goes through
    ``episode.call``, so the call is validated, executed and logged exactly as on the
    in-process path (natively either name form is accepted); a failed call comes back as
    a result with ``isError`` set and the error text the model sees.

    The episode is not closed by the server: whoever started it closes it.

    Args:
        episode: a started, not yet closed episode.
        name: the server name announced to clients.
        strict: serve the strict-mode variant of each schema (see
            ``workgym.core.ToolSpec.from_strict``), for clients that turn MCP tools into
            strict function tools; arguments are turned back before the call.
        guard: refuses calls once the episode is being closed (the many-episode server
            passes one); none by default.

    Returns:
        A low-level ``mcp.server.Server``; run it over any SDK transport.
    """
    import anyio
    import mcp_types as types
    from mcp import MCPError
    from mcp.server import Server

    from workgym import __version__

    task = episode.task
    spec = task.spec
    index = _tool_index(episode)
    tools = [types.Tool.model_validate(t.mcp(strict=strict)) for t in episode.wire_tools()]
    listing = types.ListToolsResult(tools=tools)
    described = f"{spec.family_id} seed={spec.seed} difficulty={spec.difficulty} " \
        f"richness={spec.richness:g}"
    if spec.variant != "default":
        described += f" variant={spec.variant}"
    prompt = types.Prompt(name=PROMPT_NAME, title="Task",
                          description=f"The task of this episode ({described}).")
    resource = types.Resource(uri=RESOURCE_URI, name=PROMPT_NAME, title="Task",
                              description=f"The task of this episode ({described}).",
                              mime_type="text/plain", size=len(task.prompt.encode()))

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    def call(name: str, args: Any) -> tuple[bool, str]:
        try:
            result = episode.call(name, args)
            return result.ok, result.text
        except Exception as exc:  # Episode.call reports bad input itself; this is a last guard
            logger.exception("tool call %s failed inside the server", name)
            return False, f"error: internal error in {name}: {type(exc).__name__}: {exc}"

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = index.get(params.name)
        args: Any = params.arguments
        if strict and tool is not None:
            args = tool.from_strict(args)
        if guard is not None and guard.closed:
            ok, text = False, "error: this episode is closed; start a new one"
        else:
            with guard.admit() if guard is not None else nullcontext():
                if tool is not None and tool.may_block:
                    # A sandboxed command waits on a subprocess: off the event loop, so
                    # other episodes' calls go on meanwhile.
                    ok, text = await anyio.to_thread.run_sync(call, params.name, args)
                else:
                    # Everything else runs on the event loop, not in a worker thread: the
                    # episode is not thread-safe, calls must apply in the order they
                    # arrive (same order, same world), and a thread hop would cost more
                    # than most tools do.
                    ok, text = call(params.name, args)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], is_error=not ok
        )

    async def list_prompts(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[prompt])

    async def get_prompt(
        ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        if params.name != PROMPT_NAME:
            raise MCPError(code=types.INVALID_PARAMS,
                           message=f"unknown prompt {params.name!r}; the one prompt is "
                                   f"{PROMPT_NAME!r}")
        message = types.PromptMessage(role="user",
                                      content=types.TextContent(type="text", text=task.prompt))
        return types.GetPromptResult(description=prompt.description, messages=[message])

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[resource])

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        if str(params.uri) != RESOURCE_URI:
            raise MCPError(code=types.INVALID_PARAMS,
                           message=f"unknown resource {params.uri!r}; the one resource is "
                                   f"{RESOURCE_URI!r}")
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=RESOURCE_URI, mime_type="text/plain", text=task.prompt)])

    server: Server[Any] = Server(
        name,
        version=__version__,
        title=f"workgym {spec.family_id}",
        description=f"task {spec.id}: {described}",
        instructions=task.prompt,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
    # The SDK wraps every message in an OpenTelemetry span by default (a no-op without an
    # exporter, yet about a tenth of a served call's CPU); the episode's own call log is
    # the record of what happened, so the server goes without.
    server.middleware = []
    return server


@asynccontextmanager
async def connect_in_process(
    episode: Episode, *, mode: ConnectMode = "auto", strict: bool = False
) -> AsyncIterator[Client]:
    """Connect an MCP client to a server over ``episode``, in this process and in memory.

    Example:
        >>> async with connect_in_process(episode) as client:
        ...     tools = (await client.list_tools()).tools
        ...     result = await client.call_tool("files_read", {"path": "notes.txt"})

    Args:
        episode: a started episode; it stays open after the client disconnects.
        mode: ``auto`` (modern protocol, direct dispatch) or ``legacy`` (initialize
            handshake over in-memory JSON-RPC streams).
        strict: serve the strict-mode schemas (see ``build_server``).

    Yields:
        A connected ``mcp.Client`` (its ``session`` is the underlying ``ClientSession``).
        Its response cache is off, so every request reaches the server.
    """
    from mcp import Client

    async with Client(build_server(episode, strict=strict), mode=mode, cache=None) as client:
        yield client


async def serve_stdio(episode: Episode, *, strict: bool = False) -> None:
    """Serve ``episode`` over this process's stdin/stdout until stdin closes.

    While serving, the SDK points fd 1 at stderr, so stray prints cannot corrupt the wire.
    """
    from mcp.server.stdio import stdio_server

    server = build_server(episode, strict=strict)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(
    episode: Episode,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    strict: bool = False,
    token: str | None = None,
    idle_timeout_s: float | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``episode`` over streamable HTTP at ``http://HOST:PORT/mcp``.

    The episode belongs to the server, not to a client connection: MCP sessions open and
    close (a client that connects per call, as langchain-mcp-adapters does by default,
    sees one world throughout) until the server stops. It stops when cancelled, after
    ``idle_timeout_s`` without a request, or, in the main thread, on SIGINT or SIGTERM
    (uvicorn stops gracefully, then raises the signal again, so the caller's own
    handling, KeyboardInterrupt, follows).

    Args:
        episode: a started episode.
        host: address to bind; loopback by default (with DNS-rebinding protection).
            Any other address needs ``token``.
        port: TCP port; 0 picks a free one (``on_ready`` gets the real URL).
        strict: serve the strict-mode schemas (see ``build_server``).
        token: a bearer token every request must carry (``Authorization: Bearer ...``).
        idle_timeout_s: stop after this long without a request; None: never.
        on_ready: called with the endpoint URL once the socket is listening.

    Raises:
        ValueError: a non-loopback ``host`` without a token.
        OSError: the address cannot be bound.
    """
    from workgym.serve._hub import EpisodeHub, HubConfig, serve_hub

    config = HubConfig(host=host, port=port, token=token, strict=strict,
                       idle_timeout_s=idle_timeout_s)
    hub = EpisodeHub(config, fixed=episode)
    await serve_hub(hub, on_ready=lambda base: on_ready(base + HTTP_PATH) if on_ready else None)
