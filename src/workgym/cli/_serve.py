"""``workgym serve``: one episode of one task as an MCP server, or (``--many``) one HTTP
server whose clients create, use and close many episodes."""

from __future__ import annotations

import json
import logging
import signal
import sys
from types import FrameType
from typing import Annotated, Any

import typer

from workgym.cli import app

TRANSPORTS = ("stdio", "http")
MANY_IDLE_TIMEOUT_S = 600.0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _transport(value: str | None) -> str | None:
    if value is not None and value not in TRANSPORTS:
        raise typer.BadParameter(f"transport must be one of {', '.join(TRANSPORTS)}")
    return value


def _logger() -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("workgym serve: %(message)s"))
    log = logging.getLogger("workgym.serve")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


@app.command()
def serve(
    family_id: Annotated[str | None, typer.Argument(
        help="Family id, e.g. office/library-catalogue-v1 (not with --many).")] = None,
    seed: Annotated[int, typer.Option(envvar="WORKGYM_SEED", min=0)] = 0,
    difficulty: Annotated[str, typer.Option(envvar="WORKGYM_DIFFICULTY")] = "medium",
    richness: Annotated[float, typer.Option(envvar="WORKGYM_RICHNESS", min=0.0, max=1.0)] = 0.5,
    variant: Annotated[str, typer.Option(
        envvar="WORKGYM_VARIANT",
        help="Interface variant, e.g. dialect=mcp-public,phrasing=2 (docs/variants.md).")] = (
        "default"),
    transport: Annotated[str | None, typer.Option(
        envvar="WORKGYM_TRANSPORT", callback=_transport,
        help="stdio (default) or http; --many is always http.")] = None,
    host: Annotated[str, typer.Option(
        envvar="WORKGYM_HOST", help="HTTP bind address; not loopback: needs --token.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(
        envvar="WORKGYM_PORT", min=0, max=65535, help="HTTP port; 0 = any free.")] = 8000,
    token: Annotated[str | None, typer.Option(
        envvar="WORKGYM_SERVE_TOKEN",
        help="Bearer token for HTTP (creating episodes, with --many).")] = None,
    strict: Annotated[bool, typer.Option(
        envvar="WORKGYM_STRICT",
        help="Strict-mode schemas (maps as key/value lists, nullable optionals).")] = False,
    many: Annotated[bool, typer.Option(
        "--many", envvar="WORKGYM_MANY",
        help="One HTTP server for many episodes: clients POST /episodes.")] = False,
    suite: Annotated[str | None, typer.Option(
        envvar="WORKGYM_SUITE",
        help="With --many: POST /episodes {} hands out this suite's tasks.")] = None,
    per_level: Annotated[int | None, typer.Option(
        envvar="WORKGYM_PER_LEVEL", min=1,
        help="With --suite: tasks per family and difficulty.")] = None,
    max_episodes: Annotated[int, typer.Option(
        envvar="WORKGYM_MAX_EPISODES", min=1, help="With --many: open episodes at most.")] = (
        10_000),
    idle_timeout: Annotated[float | None, typer.Option(
        envvar="WORKGYM_IDLE_TIMEOUT", min=0.0,
        help="Seconds without a request before an episode is closed (--many, default "
             "600) or the HTTP server stops (default never); 0 = never.")] = None,
    grade_on_exit: Annotated[
        bool,
        typer.Option(envvar="WORKGYM_GRADE_ON_EXIT",
                     help="On exit, print the grade and world digest as one JSON line "
                          "to stderr."),
    ] = False,
) -> None:
    """Serve one episode of a task as an MCP server (stdio by default), or many.

    One episode: the task is generated from the spec, one episode is started
    and its tools are served until stdin closes (stdio), or the process is
    interrupted or idle (http); then the episode is closed and its workspace
    removed. Over HTTP the episode outlives client connections: clients that
    connect per call see one world.

    --many: clients create episodes with POST /episodes, use each at
    /episodes/ID/mcp with its own token, and close it with
    POST /episodes/ID/close, which answers with the grade (docs/serving.md).

    Logs go to stderr: on stdio, stdout is the wire.
    """
    log = _logger()
    if many:
        if family_id is not None:
            raise typer.BadParameter("with --many, clients choose each episode's task "
                                     "(POST /episodes); drop FAMILY_ID", param_hint="FAMILY_ID")
        if transport == "stdio":
            raise typer.BadParameter("--many serves over HTTP only", param_hint="--transport")
        _serve_many(log, host=host, port=port, token=token, strict=strict, suite=suite,
                    per_level=per_level, max_episodes=max_episodes, idle_timeout=idle_timeout)
        return
    if family_id is None:
        raise typer.BadParameter("give the family id of the task to serve, e.g. "
                                 "office/library-catalogue-v1 ('workgym list' shows them), "
                                 "or --many", param_hint="FAMILY_ID")
    if suite is not None:
        raise typer.BadParameter("--suite goes with --many", param_hint="--suite")
    _serve_one(log, family_id, seed=seed, difficulty=difficulty, richness=richness,
               variant=variant, transport=transport or "stdio", host=host, port=port, token=token,
               strict=strict, idle_timeout=idle_timeout, grade_on_exit=grade_on_exit)


def _served_task(family_id: str, *, seed: int, difficulty: str, richness: float,
                 variant: str, transport: str, host: str, token: str | None) -> Any:
    """The task to serve, after the options are checked (exit 2 on a bad one)."""
    from workgym.core import DIFFICULTIES, UnknownFamilyError, canonical_variant, make
    from workgym.serve import is_loopback

    if difficulty not in DIFFICULTIES:
        raise typer.BadParameter(f"difficulty must be one of {', '.join(DIFFICULTIES)}",
                                 param_hint="--difficulty")
    if transport == "http" and not is_loopback(host) and not token:
        raise typer.BadParameter(f"refusing to serve on {host} without a bearer token: pass "
                                 "--token (or set WORKGYM_SERVE_TOKEN), or bind to 127.0.0.1",
                                 param_hint="--token")
    try:
        return make(family_id, seed=seed, difficulty=difficulty, richness=richness,  # type: ignore[arg-type]
                    variant=canonical_variant(variant))
    except UnknownFamilyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except ValueError as exc:  # a variant the family or the dialects do not know
        raise typer.BadParameter(str(exc), param_hint="--variant") from None


def _serve_one(log: logging.Logger, family_id: str, *, seed: int, difficulty: str,
               richness: float, variant: str, transport: str, host: str, port: int, token: str | None,
               strict: bool, idle_timeout: float | None, grade_on_exit: bool) -> None:
    task = _served_task(family_id, seed=seed, difficulty=difficulty, richness=richness,
                        variant=variant, transport=transport, host=host, token=token)
    import anyio

    from workgym.serve import serve_http, serve_stdio

    async def serve_episode() -> None:
        if transport == "stdio":
            log.info("serving on stdio")
            await serve_stdio(episode, strict=strict)
        else:
            await serve_http(episode, host=host, port=port, strict=strict, token=token,
                             idle_timeout_s=idle_timeout or None,
                             on_ready=lambda url: log.info("serving on %s", url))

    # SIGTERM (what MCP clients send a server that outlives their stdin) unwinds like
    # Ctrl-C, so the episode is closed and its workspace removed. Both raise at once: with
    # asyncio's own SIGINT handling, a stdio server would first wait on its stdin reader.
    # While HTTP serves, uvicorn takes both signals, stops gracefully, then raises them again.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    episode = task.start()
    log.info("task %s (%s seed=%d %s), %d tools, workspace %s", task.id, task.spec.family_id,
             seed, difficulty, len(episode.tool_specs()), episode.world.workspace)
    failed = False
    try:
        anyio.run(serve_episode)
    except* KeyboardInterrupt:
        pass
    except* (OSError, ValueError) as errors:  # e.g. the port is taken
        log.error("%s", errors.exceptions[0])
        failed = True
    finally:
        # A second signal must not cut the grade or the workspace removal short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if grade_on_exit:
            record = {"task_id": task.id, "spec": task.spec.model_dump(mode="json"),
                      "calls": len(episode.calls), "world_digest": episode.world.digest(),
                      "grade": episode.grade().model_dump(mode="json")}
            print(json.dumps(record), file=sys.stderr, flush=True)
        episode.close()
        log.info("episode closed, workspace removed")
    if failed:
        raise typer.Exit(1)


def _serve_many(log: logging.Logger, *, host: str, port: int, token: str | None,
                strict: bool, suite: str | None, per_level: int | None, max_episodes: int,
                idle_timeout: float | None) -> None:
    from pydantic import ValidationError

    from workgym.core import validation_message
    from workgym.serve import EpisodeHub, HubConfig, serve_hub

    timeout = MANY_IDLE_TIMEOUT_S if idle_timeout is None else (idle_timeout or None)
    try:
        config = HubConfig(host=host, port=port, token=token, strict=strict, suite=suite,
                           per_level=per_level, max_episodes=max_episodes,
                           idle_timeout_s=timeout)
        hub = EpisodeHub(config)
    except ValidationError as exc:
        print(f"error: {validation_message(exc, where=False)}", file=sys.stderr)
        raise typer.Exit(2) from None
    except (ValueError, LookupError) as exc:  # an unknown suite or family
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None

    import anyio

    def ready(base: str) -> None:
        log.info("serving many episodes on %s (POST %s/episodes starts one%s)", base, base,
                 f"; suite {suite}, {hub.suite_tasks or 0} tasks" if suite else "")

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    failed = False
    try:
        anyio.run(lambda: serve_hub(hub, on_ready=ready))
    except* KeyboardInterrupt:
        pass
    except* OSError as errors:
        log.error("%s", errors.exceptions[0])
        failed = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log.info("stopped after %d episodes; every open one was closed and graded",
                 hub.created)
    if failed:
        raise typer.Exit(1)


@app.command("serve-local")
def serve_local_command(
    host: Annotated[str, typer.Option(
        envvar="WORKGYM_HOST", help="Bind address; not loopback: needs --api-key.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(
        envvar="WORKGYM_PORT", min=0, max=65535, help="Port; 0 = any free.")] = 8000,
    adapter: Annotated[str | None, typer.Option(
        envvar="WORKGYM_ADAPTER",
        help="A LoRA adapter folder (from 'workgym train sft') merged into the weights.")] = None,
    max_tokens: Annotated[int, typer.Option(
        envvar="WORKGYM_MAX_TOKENS", min=1,
        help="New tokens of a reply when the request asks none, and at most.")] = 256,
    temperature: Annotated[float, typer.Option(
        envvar="WORKGYM_TEMPERATURE", min=0.0,
        help="Temperature of a request that gives none (0: greedy).")] = 0.0,
    api_key: Annotated[str | None, typer.Option(
        envvar="WORKGYM_SERVE_API_KEY",
        help="Require 'Authorization: Bearer KEY' on every request.")] = None,
) -> None:
    """Serve the embedded local model (SmolLM2-135M) over an OpenAI-compatible HTTP API.

    POST /v1/chat/completions takes messages and tools and answers with tool_calls, as
    the in-process 'local' policy does; GET /v1/models names the model. What needs an
    endpoint (workgym eval --policy openai, workgym external bfcl) reaches the local
    model, or a LoRA-trained one (--adapter), through it. One reply at a time.
    """
    import asyncio

    from workgym.agent import LocalPolicy, LocalServer, PolicyError, SamplingConfig, serve_local
    from workgym.serve import is_loopback

    log = _logger()
    if not is_loopback(host) and not api_key:
        raise typer.BadParameter(f"refusing to serve on {host} without an API key: pass "
                                 "--api-key, or bind to 127.0.0.1", param_hint="--api-key")
    defaults = SamplingConfig(max_tokens=max_tokens, temperature=temperature)
    policy = LocalPolicy(defaults, adapter=adapter)
    log.info("loading %s ...", policy.model)
    try:
        policy.load()
    except PolicyError as exc:
        log.error("%s", exc)
        raise typer.Exit(1) from None
    server = LocalServer(policy, defaults, api_key=api_key)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        asyncio.run(serve_local(server, host, port,
                                on_ready=lambda url: log.info("serving %s at %s", policy.model,
                                                              url)))
    except KeyboardInterrupt:
        log.info("stopped")
    except OSError as exc:  # e.g. the port is taken
        log.error("%s", exc)
        raise typer.Exit(1) from None
