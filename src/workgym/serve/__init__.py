"""Serve episodes' apps as MCP servers (stdio, streamable HTTP, or in memory).

The MCP path and the direct path share one Episode: same tools, same schemas, same
results, same world. ``workgym serve`` is the command-line entry point; ``EpisodeHub``
(``workgym serve --many``) serves many episodes from one HTTP server.
"""

from workgym.serve._hub import (
    CloseEpisode,
    CreateEpisode,
    EpisodeHub,
    HubConfig,
    is_loopback,
    serve_hub,
)
from workgym.serve._server import (
    HTTP_PATH,
    PROMPT_NAME,
    RESOURCE_URI,
    ConnectMode,
    EpisodeGuard,
    build_server,
    connect_in_process,
    serve_http,
    serve_stdio,
)

__all__ = [
    "HTTP_PATH", "PROMPT_NAME", "RESOURCE_URI", "CloseEpisode", "ConnectMode", "CreateEpisode",
    "EpisodeGuard", "EpisodeHub", "HubConfig", "build_server", "connect_in_process",
    "is_loopback", "serve_http", "serve_hub", "serve_stdio",
]
