"""The shop's website in a real browser: Debian's chromium, driven through the npm
Playwright MCP server (``@playwright/mcp``) with the official python MCP client, does a
return on the site that ``serve_sites`` serves over loopback HTTP, and the shop's store
ends as the API leaves it.

Needs Debian's ``chromium`` (``apt-get install chromium``) and ``npx`` (``apt-get install
nodejs npm``); Playwright MCP is pointed at the system browser and never downloads one.
The site is reached through the server as the browser's HTTP proxy, so the browser opens
``http://shop.example/`` as the task would name it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import TextContent
from real_browser import CHROMIUM, NEEDS_REAL_BROWSER, NPX, fetch_playwright_mcp, server_env
from test_shop import make_store

from workgym.apps._web import serve_sites
from workgym.core import WorldTemplate

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))

pytestmark = [pytest.mark.slow, *NEEDS_REAL_BROWSER]  # npx start-up and a browser: about 15 s


@pytest.fixture(scope="module")
def playwright_mcp() -> str:
    return fetch_playwright_mcp()


def ref_of(snapshot: str, role: str, name: str) -> str:
    """The ref of the element ``role "name"`` in a Playwright snapshot."""
    for line in snapshot.splitlines():
        if f'{role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f'no {role} "{name}" in the snapshot:\n{snapshot}')


async def test_a_return_in_chromium_leaves_the_store_the_api_leaves(
        tmp_path: Path, start_episode: Any, playwright_mcp: str) -> None:
    api = start_episode(("shop",), family="tests/shop", now=NOW, stores={"shop": make_store()})
    done = api.call("shop.create_return", {
        "order_id": "O-1001", "items": [{"line": 1, "quantity": 1}], "reason": "damaged",
        "comment": "The zip is torn", "refund_method": "store_credit"})
    assert done.ok, done.text

    world = WorldTemplate(now=NOW, stores={"shop": make_store()}).materialize()
    try:
        with serve_sites(world) as server:
            params = StdioServerParameters(
                command=NPX or "npx", cwd=str(tmp_path), env=server_env(),
                args=["-y", playwright_mcp, "--executable-path", CHROMIUM, "--headless",
                      "--isolated", "--no-sandbox", "--proxy-server", server.address,
                      "--output-dir", str(tmp_path / "out")])
            with (tmp_path / "playwright-mcp.err").open("w") as errlog:
                async with Client(stdio_client(params, errlog=errlog), cache=None) as client:
                    listed = {t.name: t.input_schema for t in (await client.list_tools()).tools}
                    # the element argument: "target" in newer releases, "ref" before
                    key = "target" if "target" in listed["browser_click"]["properties"] \
                        else "ref"

                    async def call(name: str, **args: Any) -> str:
                        result = await client.call_tool(name, args)
                        text = "\n".join(c.text for c in result.content
                                         if isinstance(c, TextContent))
                        assert not result.is_error, (name, args, text)
                        return text

                    async def snapshot() -> str:
                        return await call("browser_snapshot")

                    await call("browser_navigate", url="http://shop.example/orders")
                    page = await snapshot()
                    assert "Page Title: Orders · Northwind Outfitters" in page
                    await call("browser_click", element="order O-1001",
                               **{key: ref_of(page, "link", "O-1001")})
                    page = await snapshot()
                    await call("browser_click", element="return link",
                               **{key: ref_of(page, "link", "Request a return")})
                    page = await snapshot()
                    assert "Page URL: http://shop.example/orders/O-1001/return" in page
                    await call("browser_type", element="quantity of line 1", text="1",
                               **{key: ref_of(page, "spinbutton", "Quantity to return, "
                                              "line 1: Trail Jacket, blue, M")})
                    await call("browser_select_option", element="reason",
                               values=["Arrived damaged"],
                               **{key: ref_of(page, "combobox", "Reason")})
                    await call("browser_select_option", element="refund method",
                               values=["Store credit"],
                               **{key: ref_of(page, "combobox", "Refund to")})
                    await call("browser_type", element="comment", text="The zip is torn",
                               **{key: ref_of(page, "textbox", "Comment")})
                    await call("browser_click", element="submit",
                               **{key: ref_of(page, "button", "Request return")})
                    page = await snapshot()
                    await call("browser_close")
        assert "Page URL: http://shop.example/returns/R-0001" in page
        assert "Return R-0001 requested: a refund of 129.00 EUR" in page
        assert world.stores["shop"].model_dump() == api.world.stores["shop"].model_dump()
    finally:
        world.cleanup()
