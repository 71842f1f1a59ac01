"""Service configurations for operations tasks: TOML files per service and environment,
the settings a change may set, and the validator script a repository ships.

The validator (``VALIDATOR_SOURCE``, run with the sandbox's ``python3``) checks types,
ranges, known keys and one cross rule that a change can break: ``max_connections`` at
least twice ``pool_size``; its message says the value to set. It prints ``ok <file>
<sha256 prefix>`` for each valid file, so a grader can tell which content it passed.
"""

from __future__ import annotations

import json
import random
from typing import Any

from workgym.content.services import Service

__all__ = ["FLAGS", "MAX_CONN", "POOL", "SETTABLE", "VALIDATOR_SOURCE", "Config",
           "apply_settings", "draw_config", "render_config", "setting_lines", "toml_value"]

FLAGS = ("new_pricing", "fast_checkout", "audit_log", "batch_writes")
SETTABLE: dict[tuple[str, str], tuple[Any, ...]] = {
    ("http", "timeout_ms"): (1500, 2000, 2500, 3000, 3500, 4000, 5000, 8000),
    ("http", "max_body_kb"): (256, 512, 1024, 2048, 4096),
    ("database", "pool_size"): tuple(range(8, 42, 2)),
    ("database", "statement_timeout_ms"): (1000, 2000, 3000, 5000, 10_000),
    ("cache", "ttl_s"): (30, 60, 120, 300, 600, 900, 1800),
    ("cache", "enabled"): (True, False),
    ("logging", "level"): ("debug", "info", "warn", "error"),
    **{("features", f): (True, False) for f in FLAGS},
}
POOL, MAX_CONN = ("database", "pool_size"), ("database", "max_connections")
Config = dict[str, dict[str, Any]]
VALIDATOR_SOURCE = '''\
"""Validate service configuration files (TOML) before they are committed.

Usage: python3 tools/validate_config.py FILE...

Prints "ok <file> <sha256 of the file, first 12 hex digits>" for each valid file and
"error <file>: <problem>" for each problem; exits with 1 when there is any problem.
"""

import hashlib
import sys
import tomllib

SCHEMA = {
    "service": {"name": str, "team": str, "tier": int},
    "http": {"port": int, "timeout_ms": int, "max_body_kb": int},
    "database": {"pool_size": int, "max_connections": int, "statement_timeout_ms": int},
    "cache": {"enabled": bool, "ttl_s": int},
    "logging": {"level": str},
}
RANGES = {
    "http.port": (1024, 65535), "http.timeout_ms": (100, 60000),
    "http.max_body_kb": (1, 65536), "database.pool_size": (1, 200),
    "database.max_connections": (1, 2000), "database.statement_timeout_ms": (100, 600000),
    "cache.ttl_s": (0, 86400), "service.tier": (1, 3),
}
LEVELS = ("debug", "info", "warn", "error")
FLAGS = @FLAGS@


def problems(config):
    for section, keys in SCHEMA.items():
        table = config.get(section)
        if not isinstance(table, dict):
            yield f"missing section [{section}]"
            continue
        for key, kind in keys.items():
            if key not in table:
                yield f"missing {section}.{key}"
            elif type(table[key]) is not kind:
                yield f"{section}.{key} must be a {kind.__name__}"
        for key in table:
            if key not in keys:
                yield f"unknown setting {section}.{key}"
    features = config.get("features", {})
    for flag, value in features.items():
        if flag not in FLAGS:
            yield f"unknown feature flag features.{flag}"
        elif type(value) is not bool:
            yield f"features.{flag} must be true or false"
    for section in config:
        if section not in SCHEMA and section != "features":
            yield f"unknown section [{section}]"
    for name, (low, high) in RANGES.items():
        section, key = name.split(".")
        value = config.get(section, {}).get(key)
        if type(value) is int and not low <= value <= high:
            yield f"{name} is {value}; it must be between {low} and {high}"
    level = config.get("logging", {}).get("level")
    if isinstance(level, str) and level not in LEVELS:
        yield f"logging.level must be one of {', '.join(LEVELS)}"
    database = config.get("database", {})
    pool, most = database.get("pool_size"), database.get("max_connections")
    if type(pool) is int and type(most) is int and most < 2 * pool:
        yield (f"database.max_connections ({most}) must be at least twice "
               f"database.pool_size ({pool}): set it to {2 * pool}")


def main(paths):
    if not paths:
        print(__doc__.strip())
        return 2
    failed = False
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            config = tomllib.loads(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            print(f"error {path}: cannot be read as TOML ({exc})")
            failed = True
            continue
        found = list(problems(config))
        for problem in found:
            print(f"error {path}: {problem}")
        if found:
            failed = True
        else:
            print(f"ok {path} {hashlib.sha256(data).hexdigest()[:12]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''.replace("@FLAGS@", repr(FLAGS))


def draw_config(rng: random.Random, s: Service, env: str) -> Config:
    """A valid configuration of ``s`` in ``env`` (today's values, drawn)."""
    pool = rng.choice(SETTABLE[POOL])
    return {
        "service": {"name": s.name, "team": s.team, "tier": s.tier},
        "http": {"port": rng.choice((8080, 8081, 8443, 9000, 9090)),
                 "timeout_ms": rng.choice(SETTABLE["http", "timeout_ms"]),
                 "max_body_kb": rng.choice(SETTABLE["http", "max_body_kb"])},
        "database": {"pool_size": pool, "max_connections": 2 * pool + rng.randrange(0, 80, 4),
                     "statement_timeout_ms": rng.choice(SETTABLE["database",
                                                                 "statement_timeout_ms"])},
        "cache": {"enabled": rng.random() < 0.8, "ttl_s": rng.choice(SETTABLE["cache", "ttl_s"])},
        "logging": {"level": rng.choice(("info", "info", "warn", "debug") if env == "staging"
                                        else ("info", "warn", "error"))},
        "features": {f: rng.random() < 0.4 for f in FLAGS},
    }


def apply_settings(config: Config, settings: dict[tuple[str, str], Any], fix_pool: bool
                   ) -> Config:
    """A copy of ``config`` with ``settings`` applied (and, with ``fix_pool``,
    ``max_connections`` raised to twice the pool, as the validator asks)."""
    out = json.loads(json.dumps(config))
    for (section, key), value in settings.items():
        out[section][key] = value
    if fix_pool:
        out["database"]["max_connections"] = 2 * settings[POOL]
    return out


def toml_value(value: Any) -> str:
    """A value as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def render_config(s: Service, env: str, config: Config) -> str:
    """The TOML file of ``s`` in ``env``."""
    out = [f"# {s.name} ({env})"]
    for section, table in config.items():
        out += ["", f"[{section}]", *(f"{key} = {toml_value(v)}" for key, v in table.items())]
    return "\n".join(out) + "\n"


def setting_lines(text: str, keys: list[str]) -> tuple[str, ...]:
    """The lines of a rendered config that set ``keys`` (``section.key``)."""
    section, found = "", []
    for line in text.split("\n"):
        if line.startswith("["):
            section = line.strip("[]")
        elif " = " in line and f"{section}.{line.split(' = ')[0]}" in keys:
            found.append(line)
    return tuple(found)
