"""The same spec in a fresh interpreter gives the same world (no hidden process state).

The child imports the family's module by name and builds the class it names; it never
runs the caller's script. ``check_family`` does nothing in the child (see
``CHILD_ENV``), so a module that calls it at import time cannot recurse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from workgym.core import TaskFamily, TaskSpec

CHILD_ENV = "WORKGYM_CHECK_CHILD"
"""Set in the fresh process: ``check_family`` called there returns at once."""

_CHILD = """\
import functools, importlib, sys
from workgym.core import TaskSpec
module = importlib.import_module(sys.argv[1])
family = functools.reduce(getattr, sys.argv[2].split("."), module)()
episode = family.task(TaskSpec.from_json(sys.argv[3])).start()
print(episode.world.digest())
episode.close()
"""


def unimportable(family: TaskFamily[Any]) -> str | None:
    """Why the family's class cannot be imported by name in a fresh process (None if it
    can): defined in ``__main__`` (a script), inside a function, or in a module loaded
    from a path under another name."""
    cls = type(family)
    if cls.__module__ == "__main__":
        return "the family is defined in __main__ (a script); move it to a module to check it"
    if "<locals>" in cls.__qualname__:
        return "the family is defined inside a function; define it at module level to check it"
    module = sys.modules.get(cls.__module__)
    spec = getattr(module, "__spec__", None)
    if module is None or spec is None or spec.name != cls.__module__:
        return f"module {cls.__module__!r} was not imported by that name"
    return None


def fresh_digest(family: TaskFamily[Any], spec: TaskSpec, timeout: float = 120) -> str:
    """The world digest of ``spec`` built in a fresh interpreter.

    Raises:
        RuntimeError: the child failed (its last error line) or timed out.
    """
    cls = type(family)
    path = [p for p in sys.path if p and os.path.isdir(p)]
    env = {**os.environ, CHILD_ENV: "1", "PYTHONPATH": os.pathsep.join(path)}
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, cls.__module__, cls.__qualname__,
                              spec.to_json()], capture_output=True, text=True, check=False,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the fresh process took longer than {timeout:g} s") from None
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"the fresh process exited {out.returncode}")
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
