"""The ``mcp-public`` dialect's tables: per app, the public MCP server it follows.

Each table maps an app's tools onto the names, argument conventions and result shapes of
the widely used public MCP server for that kind of app (``docs/variants.md`` lists the
sources; Toolathlon's ``{server}-{tool}`` names where it runs such a server). Importing
the package registers them with ``workgym.core``; ``import workgym`` does. An app without
a table keeps its native names under ``mcp-public``; the test suite requires a table for
every built-in app.
"""

from workgym.core import PublicSurface, public_surfaces
from workgym.dialects import _business, _office, _people

SURFACES: dict[str, PublicSurface] = {
    s.app: s for module in (_office, _people, _business) for s in module.SURFACES}
"""The built-in tables, by app name."""

__all__ = ["SURFACES", "public_surfaces"]
