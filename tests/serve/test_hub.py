"""The many-episode server: episodes created, used over MCP, closed and graded by clients,
each reachable only with its own id and token, over real HTTP on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hub_helpers import FAMILY, bearer, create, hub_http, mcp_client, running_hub
from mcp.types import TextContent
from pydantic import ValidationError
from typer.testing import CliRunner

from workgym.agent import suite_specs
from workgym.cli import _load_commands, app
from workgym.core import make
from workgym.serve import HubConfig

TOKEN = "a-server-token-of-some-length"


def text(result: Any) -> tuple[bool, str]:
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent), result
    return not result.is_error, result.content[0].text


def test_refuses_an_address_other_than_loopback_without_a_token() -> None:
    with pytest.raises(ValidationError, match="without a bearer token"):
        HubConfig(host="0.0.0.0")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        HubConfig(host="0.0.0.0", token="short")
    assert HubConfig(host="0.0.0.0", token=TOKEN).token == TOKEN
    _load_commands()
    runner = CliRunner()
    for args in (["serve", "--many", "--host", "0.0.0.0"],
                 ["serve", FAMILY, "--transport", "http", "--host", "0.0.0.0"]):
        result = runner.invoke(app, args, env={"WORKGYM_SERVE_TOKEN": ""})
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.replace("│", " ").split())  # unwrap typer's error box
        assert "without a bearer token" in said, said


async def test_creating_an_episode_needs_the_server_token_when_it_has_one() -> None:
    async with running_hub(token=TOKEN) as (_, base), hub_http() as http:
        body = {"family_id": FAMILY, "seed": 3}
        missing = await http.post(f"{base}/episodes", json=body)
        assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["error"]
        wrong = await http.post(f"{base}/episodes", json=body, headers=bearer(TOKEN + "x"))
        assert wrong.status_code == 403
        created = await create(http, base, body, token=TOKEN)
        # The server token opens no episode: each has its own.
        response = await http.get(f"{base}/episodes/{created['episode_id']}",
                                  headers=bearer(TOKEN))
        assert response.status_code == 404


async def test_an_episode_is_reachable_only_with_its_own_id_and_token() -> None:
    async with running_hub() as (_, base), hub_http() as http:
        a, b = await create(http, base), await create(http, base)
        assert a["episode_id"] != b["episode_id"] and a["token"] != b["token"]
        for url, token in ((b["url"], a["token"]), (a["url"], b["token"])):
            response = await http.post(url, headers=bearer(token), json={})
            assert response.status_code == 404, response.text
        assert (await http.post(a["url"], json={})).status_code == 401
        assert (await http.post(f"{base}/episodes/{b['episode_id']}/close",
                                headers=bearer(a["token"]))).status_code == 404
        # An id that never existed answers exactly like a wrong token.
        unknown = await http.get(f"{base}/episodes/0123456789abcdef", headers=bearer(a["token"]))
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "no episode 0123456789abcdef for this token"
        async with mcp_client(a["url"], a["token"]) as client:
            assert text(await client.call_tool("files_write",
                                               {"path": "mine.txt", "content": "a"}))[0]
        async with mcp_client(b["url"], b["token"]) as client:
            ok, out = text(await client.call_tool("files_read", {"path": "mine.txt"}))
            assert not ok and "mine.txt" in out  # b's world has no such file


async def test_an_episode_outlives_connections_and_is_graded_on_close(tmp_path: Path) -> None:
    task = make(FAMILY, seed=3)
    async with running_hub() as (hub, base), hub_http() as http:
        created = await create(http, base)
        assert created["prompt"] == task.prompt and created["task_id"] == task.id
        assert "files_write" in created["tools"]
        workspace = hub._episodes[created["episode_id"]].episode.world.workspace
        with task.start() as direct:
            steps: list[tuple[str, dict[str, Any]]] = [
                *((s.name, dict(s.args)) for s in task.reference),
                ("files_write", {"path": "notes/kept.txt", "content": "across connections"}),
            ]
            # One MCP session per call, in both protocol eras: the episode keeps its state.
            for i, (name, args) in enumerate(steps):
                async with mcp_client(created["url"], created["token"],
                                      mode=("legacy", "auto")[i % 2]) as client:
                    served = text(await client.call_tool(name, args))
                direct_result = direct.call(name, args)
                assert served == (direct_result.ok, direct_result.text), name
            async with mcp_client(created["url"], created["token"], mode="auto") as client:
                assert text(await client.call_tool("files_read", {"path": "notes/kept.txt"})) == (
                    True, "across connections")
                assert client.instructions == task.prompt
            direct.call("files_read", {"path": "notes/kept.txt"})
            status = (await http.get(f"{base}/episodes/{created['episode_id']}",
                                     headers=bearer(created["token"]))).json()
            assert status["state"] == "open" and status["calls"] == len(steps) + 1
            closed = await http.post(f"{base}/episodes/{created['episode_id']}/close",
                                     headers=bearer(created["token"]), json={"answer": "done"})
            assert closed.status_code == 200, closed.text
            record = closed.json()
            direct.finish("done")
            assert record["state"] == "closed" and record["reason"] == "closed by the client"
            assert record["calls"] == len(direct.calls)
            assert record["world_digest"] == direct.world.digest()
            assert record["grade"] == direct.grade().model_dump(mode="json")
            assert record["grade"]["score"] == 1.0
        assert not workspace.exists()
        assert hub.open_episodes == 0
        # The grade stays readable; the episode's MCP endpoint is gone; closing is idempotent.
        again = await http.get(f"{base}/episodes/{created['episode_id']}",
                               headers=bearer(created["token"]))
        assert again.json() == record
        gone = await http.post(created["url"], headers=bearer(created["token"]), json={})
        assert gone.status_code == 410 and "GET /episodes/" in gone.json()["error"]
        repeat = await http.delete(f"{base}/episodes/{created['episode_id']}",
                                   headers=bearer(created["token"]))
        assert repeat.json() == record


async def test_an_idle_episode_is_closed_and_graded() -> None:
    async with running_hub(idle_timeout_s=0.3) as (hub, base), hub_http() as http:
        created = await create(http, base)
        async with mcp_client(created["url"], created["token"]) as client:
            await client.call_tool("files_write", {"path": "x.txt", "content": "x"})
        with anyio.fail_after(10):
            while hub.open_episodes:
                await anyio.sleep(0.05)
        record = (await http.get(f"{base}/episodes/{created['episode_id']}",
                                 headers=bearer(created["token"]))).json()
        assert record["state"] == "closed" and record["reason"] == "idle timeout"
        assert record["calls"] == 1 and record["grade"]["score"] == 0.0


async def test_the_suite_cursor_hands_out_each_task_once_in_order() -> None:
    specs = suite_specs("smoke")
    async with running_hub(suite="smoke", max_episodes=len(specs)) as (_, base), \
            hub_http() as http:
        handed = [await create(http, base, {}) for _ in specs]
        assert [h["spec"] for h in handed] == [s.model_dump(mode="json") for s in specs]
        assert [h["suite_index"] for h in handed] == list(range(len(specs)))
        full = await http.post(f"{base}/episodes", json={})
        assert full.status_code == 503 and "--max-episodes" in full.json()["error"]
        await http.post(f"{base}/episodes/{handed[0]['episode_id']}/close",
                        headers=bearer(handed[0]["token"]))
        done = await http.post(f"{base}/episodes", json={})
        assert done.status_code == 410 and "smoke" in done.json()["error"]
        status = (await http.get(f"{base}/episodes")).json()
        assert status["suite"] == {"name": "smoke", "tasks": len(specs),
                                   "handed_out": len(specs)}
        by_spec = await create(http, base, {"spec": specs[1].model_dump(mode="json")})
        assert by_spec["task_id"] == specs[1].id


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"family_id": "office/nope-v1"}, 404, "Registered families"),
    ({"family_id": FAMILY, "difficulty": "extreme"}, 400, "difficulty"),
    ({"family_id": FAMILY, "colour": "red"}, 400, "colour"),
    ({}, 400, "--suite"),
    ([1, 2], 400, "JSON object"),
])
async def test_a_bad_create_request_says_what_to_fix(body: Any, status: int, says: str) -> None:
    async with running_hub() as (_, base), hub_http() as http:
        response = await http.post(f"{base}/episodes", content=json.dumps(body))
        assert response.status_code == status and says in response.json()["error"], response.text


async def test_the_control_endpoints_refuse_a_foreign_host_header() -> None:
    async with running_hub() as (_, base), hub_http() as http:
        response = await http.post(f"{base}/episodes", json={"family_id": FAMILY},
                                   headers={"Host": "evil.example:80"})
        assert response.status_code == 421


async def test_the_single_episode_server_keeps_its_world_and_stops_when_idle() -> None:
    from workgym.serve import serve_http

    ready = anyio.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    with make(FAMILY, seed=3).start() as episode:
        # The block ends only when serve_http returns: after 0.5 s without a request.
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(lambda: serve_http(episode, port=0, token=TOKEN,
                                                    idle_timeout_s=0.5, on_ready=on_ready))
                await ready.wait()
                url = urls[0]
                assert url.endswith("/mcp")
                async with hub_http() as http:
                    assert (await http.post(url, json={})).status_code == 401
                async with mcp_client(url, TOKEN) as client:
                    await client.call_tool("files_write", {"path": "a.txt", "content": "kept"})
                async with mcp_client(url, TOKEN, mode="auto") as client:
                    assert text(await client.call_tool("files_read", {"path": "a.txt"})) == (
                        True, "kept")
        assert [c.name for c in episode.calls] == ["files.write", "files.read"]
        assert (episode.world.workspace / "a.txt").exists()  # the caller closes it


async def test_stopping_the_server_grades_the_open_episodes_even_with_a_client_attached(
) -> None:
    async with running_hub() as (hub, base), hub_http() as http:
        created = await create(http, base)
        workspace = hub._episodes[created["episode_id"]].episode.world.workspace
        async with mcp_client(created["url"], created["token"]) as client:
            await client.call_tool("files_write", {"path": "x.txt", "content": "x"})
            assert hub.on_idle is not None
            hub.on_idle()  # what SIGINT does: uvicorn stops, then the lifespan ends
            with anyio.fail_after(20):
                while hub._tasks is not None:
                    await anyio.sleep(0.05)
            record = hub._results[created["episode_id"]][1]
            assert record["reason"] == "server shutdown" and record["calls"] == 1
            assert not workspace.exists()


async def test_an_episode_being_closed_is_still_found_and_closed_once() -> None:
    async with running_hub() as (hub, base), hub_http() as http:
        for _ in range(5):
            created = await create(http, base)
            auth = bearer(created["token"])
            where = f"{base}/episodes/{created['episode_id']}"
            answers: list[httpx.Response] = []

            async def send(method: str, url: str, answers: list[httpx.Response] = answers,
                           auth: dict[str, str] = auth) -> None:
                answers.append(await http.request(method, url, headers=auth))

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send, "POST", f"{where}/close")
                tasks.start_soon(send, "DELETE", where)
                tasks.start_soon(send, "GET", where)
            assert [a.status_code for a in answers] == [200, 200, 200], answers
            records = [a.json() for a in answers if a.json()["state"] == "closed"]
            assert records and all(r == records[0] for r in records)
        assert hub.open_episodes == 0 and not hub._closing
