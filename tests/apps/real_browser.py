"""What the real-browser tests share: Debian's chromium driven through the npm Playwright
MCP server (pinned), pointed at the system browser so that nothing is downloaded, and
the marks that skip them where either is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NPX = shutil.which("npx")
PLAYWRIGHT_MCP = "@playwright/mcp@0.0.83"

NEEDS_REAL_BROWSER = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason="needs Debian's chromium: apt-get install chromium"),
    pytest.mark.skipif(NPX is None, reason="needs npx: apt-get install nodejs npm"),
]


def server_env() -> dict[str, str]:
    # never fetch a browser of Playwright's own: the system chromium is the one to use
    return {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}


def fetch_playwright_mcp() -> str:
    """The npx command's package, fetched (skips the test when npm cannot reach it)."""
    assert NPX is not None
    try:
        done = subprocess.run([NPX, "-y", PLAYWRIGHT_MCP, "--version"], capture_output=True,
                              text=True, timeout=300, env=server_env(), check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npx could not fetch {PLAYWRIGHT_MCP} within 5 minutes")
    if done.returncode != 0:
        pytest.skip(f"npx cannot fetch {PLAYWRIGHT_MCP}: {done.stderr.strip()[-300:]}")
    return PLAYWRIGHT_MCP
