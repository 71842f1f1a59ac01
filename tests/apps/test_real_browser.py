"""A browser family's task done in a real browser, end to end: the episode's world is
served over loopback HTTP by ``serve_sites``, Debian's chromium is driven through the npm
Playwright MCP server (``@playwright/mcp``, pinned) with the official python MCP client,
and each browser step of the reference plan is done there; the forms' posts change the
episode's stores, the plan's other calls go through the episode, and the grade is 1.0.

A reference step names an element by the browser app's ref; the test renders the page
chromium shows through the site framework, takes that element's role and name, and finds
the element of the same role and name (the same one of its kind) in Playwright's snapshot.
The sites are reached through the server as chromium's HTTP proxy, so the pages keep the
task's hostnames; they are plain HTTP, so an ``https://`` URL is opened as ``http://``.

Needs Debian's ``chromium`` (``apt-get install chromium``) and ``npx`` (``apt-get install
nodejs npm``); Playwright MCP is pointed at the system browser and never downloads one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import TextContent
from real_browser import CHROMIUM, NEEDS_REAL_BROWSER, NPX, fetch_playwright_mcp, server_env

from workgym.apps._web import dispatch, parse_url, render, serve_sites
from workgym.core import Episode, ToolCall, make

pytestmark = [pytest.mark.slow, *NEEDS_REAL_BROWSER]  # npx start-up, a browser and some twenty page actions

# a snapshot line that names an element: `- textbox "Amount" [ref=e14]`, `- button
# "Move deal" [active] [ref=e13]`; a name's quotes are escaped with backslashes
ELEMENT = re.compile(r'^\s*- (\w+)(?: "((?:[^"\\]|\\.)*)")?(?: \[[^\]]*\])*? \[ref=(\w+)\]')
PAGE_URL = re.compile(r"Page URL: (\S+)")


@pytest.fixture(scope="module")
def playwright_mcp() -> str:
    return fetch_playwright_mcp()


def plain_http(url: str) -> str:
    """The URL as the loopback server answers it: plain HTTP."""
    return "http://" + url.removeprefix("https://") if url.startswith("https://") else url


def snapshot_elements(snapshot: str) -> list[tuple[str, str, str]]:
    """(role, name, ref) of each element with a ref in a Playwright snapshot, in order."""
    found = []
    for line in snapshot.splitlines():
        match = ELEMENT.match(line)
        if match:
            name = re.sub(r"\\(.)", r"\1", match.group(2) or "")
            found.append((match.group(1), name, match.group(3)))
    return found


def site_element(episode: Episode, url: str, ref: str) -> tuple[str, str, int]:
    """The role and name of the element ``ref`` of the site framework's page at ``url``
    over the episode's world, and which one of that role and name it is (0 the first)."""
    world = episode.world
    parsed = parse_url(url)
    with world.lock:
        page = render(world, parsed, dispatch(world, "GET", parsed))
    if ref not in page.refs:
        raise AssertionError(f"the page {url} has no element {ref}")
    target = page.refs[ref]
    same = [b.ref for b in page.refs.values() if (b.role, b.name) == (target.role, target.name)]
    return target.role, target.name, same.index(ref)


class Chromium:
    """Playwright MCP's tools over a connected client, with the page's snapshot at hand."""

    def __init__(self, client: Client, key: str) -> None:
        self.client = client
        self.key = key  # the element argument: "target" in newer releases, "ref" before

    async def call(self, name: str, **args: Any) -> str:
        result = await self.client.call_tool(name, args)
        text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
        assert not result.is_error, (name, args, text)
        return text

    async def element(self, episode: Episode, ref: str) -> dict[str, str]:
        """The arguments that name, in chromium's page, the element the browser app calls
        ``ref`` on the same page."""
        snapshot = await self.call("browser_snapshot")
        url = PAGE_URL.search(snapshot)
        assert url, f"no page URL in the snapshot:\n{snapshot}"
        role, name, nth = site_element(episode, url.group(1), ref)
        refs = [r for rl, nm, r in snapshot_elements(snapshot) if (rl, nm) == (role, name)]
        assert len(refs) > nth, f'no {role} "{name}" #{nth + 1} in the snapshot:\n{snapshot}'
        return {"element": f'{role} "{name}"', self.key: refs[nth]}

    async def step(self, episode: Episode, call: ToolCall) -> None:
        """Do one of the reference plan's browser steps in chromium."""
        args = dict(call.args)
        if call.name == "browser.navigate":
            await self.call("browser_navigate", url=plain_http(args["url"]))
        elif call.name == "browser.click":
            await self.call("browser_click", **await self.element(episode, args["ref"]))
        elif call.name == "browser.type":
            await self.call("browser_type", text=args["text"],
                            **await self.element(episode, args["ref"]))
        elif call.name == "browser.select_option":
            await self.call("browser_select_option", values=list(args["values"]),
                            **await self.element(episode, args["ref"]))
        elif call.name == "browser.snapshot":
            await self.call("browser_snapshot")
        else:
            raise AssertionError(f"no Playwright MCP step for {call.name} in this test")


@pytest.mark.parametrize("family", ["sales/crm-pipeline-v1", "hr/onboarding-v1"])
async def test_the_browser_reference_done_in_chromium_scores_full(
        tmp_path: Path, playwright_mcp: str, family: str) -> None:
    task = make(family, seed=3, difficulty="easy", variant="browser")
    assert "browser" in task.apps
    steps = [c for c in task.reference if c.name.startswith("browser.")]
    assert any(c.name == "browser.click" for c in steps)
    with task.start() as episode, serve_sites(episode.world) as server:
        params = StdioServerParameters(
            command=NPX or "npx", cwd=str(tmp_path), env=server_env(),
            args=["-y", playwright_mcp, "--executable-path", CHROMIUM, "--headless",
                  "--isolated", "--no-sandbox", "--proxy-server", server.address,
                  "--output-dir", str(tmp_path / "out")])
        with (tmp_path / "playwright-mcp.err").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), cache=None) as client:
                listed = {t.name: t.input_schema for t in (await client.list_tools()).tools}
                key = "target" if "target" in listed["browser_click"]["properties"] else "ref"
                chromium = Chromium(client, key)
                for call in task.reference:
                    if call.name.startswith("browser."):
                        await chromium.step(episode, call)
                    else:
                        done = episode.call(*episode.to_wire(call.name, dict(call.args)))
                        assert done.ok, (call.name, done.text)
                last = await chromium.call("browser_snapshot")
                await chromium.call("browser_close")
        episode.finish(task.reference_answer)
        grade = episode.grade()
        # the browser app was never called: the stores changed through chromium's posts
        assert not [c.name for c in episode.calls if c.name.startswith("browser.")]
    assert "Page URL: http://" in last
    assert grade.valid, grade.errors
    assert grade.score == 1.0, [(c.name, c.evidence) for c in grade.criteria if not c.passed]
