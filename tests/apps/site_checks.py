"""What the portal app tests share: crawling a site's pages as real HTML over loopback.

The tests import it by its bare name (pytest puts this folder on ``sys.path``).
"""

import http.client
from datetime import datetime
from html.parser import HTMLParser

from workgym.apps._web import serve_sites
from workgym.core import Store, WorldTemplate


class _Links(HTMLParser):
    """The site-relative ``href`` of every link of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v and v.startswith("/")]


def crawl_site(stores: dict[str, Store], now: datetime, host: str,
               limit: int = 80) -> set[str]:
    """Serve a world of ``stores`` at ``now`` over loopback HTTP and follow links from
    ``/`` on ``host``, breadth first, up to ``limit`` pages; assert each answers 200 with a
    whole HTML document. The paths visited."""
    world = WorldTemplate(now=now, stores=stores).materialize()
    try:
        with serve_sites(world) as server:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            seen: set[str] = set()
            queue = ["/"]
            while queue and len(seen) < limit:
                path = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                connection.request("GET", f"http://{host}{path}")
                answer = connection.getresponse()
                body = answer.read().decode()
                assert answer.status == 200, (path, body[:300])
                assert body.startswith("<!doctype html>") and "</html>" in body, path
                links = _Links()
                links.feed(body)
                queue += [h for h in links.hrefs if h not in seen]
            connection.close()
        return seen
    finally:
        world.cleanup()
