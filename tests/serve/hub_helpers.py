"""Run an EpisodeHub on loopback inside a test, and talk to it over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from workgym.serve import EpisodeHub, HubConfig, serve_hub

FAMILY = "office/library-catalogue-v1"


@asynccontextmanager
async def running_hub(**config: Any) -> AsyncIterator[tuple[EpisodeHub, str]]:
    """A hub serving on 127.0.0.1 (a free port) until the block ends; yields it and its
    base URL."""
    hub = EpisodeHub(HubConfig(port=0, **config))
    ready = anyio.Event()
    base: list[str] = []

    def on_ready(url: str) -> None:
        base.append(url)
        ready.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: serve_hub(hub, on_ready=on_ready))
        with anyio.fail_after(20):
            await ready.wait()
        try:
            yield hub, base[0]
        finally:
            tasks.cancel_scope.cancel()


def hub_http() -> httpx.AsyncClient:
    """An HTTP client for the hub's own routes. Building an episode of a heavier family
    takes seconds on a loaded two-core machine, past httpx's 5 s default read timeout."""
    return httpx.AsyncClient(timeout=httpx.Timeout(120.0))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(http: httpx.AsyncClient, base: str, body: dict[str, Any] | None = None,
                 token: str | None = None) -> dict[str, Any]:
    """POST /episodes, which must answer 201; returns the body."""
    response = await http.post(f"{base}/episodes", json={"family_id": FAMILY, "seed": 3} if body is None else body,
                               headers=bearer(token) if token else None)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@asynccontextmanager
async def mcp_client(url: str, token: str, mode: str = "legacy") -> AsyncIterator[Client]:
    """The official SDK client over streamable HTTP, with a bearer token."""
    http = httpx2.AsyncClient(headers=bearer(token))
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode,
                            cache=None) as client:
        yield client
