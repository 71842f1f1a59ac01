import json

import httpx
import pytest
from eval_synthetic import make_trace, write_run
from test_eval_process import call, with_calls

from workgym.core import CallRecord
from workgym.eval import RunError, RunIndex, ViewerServer, export_viewer, trace_detail
from workgym.eval._view import COLUMNS, pair_turns

COL = {name: i for i, name in enumerate(COLUMNS)}


def test_index_follows_load_run_and_reads_traces_back(tmp_path):
    first = make_trace("office/a", 0, 0, error="down")
    retried = with_calls(make_trace("office/a", 0, 0, (True, False)), [call("files.read")])
    other = with_calls(make_trace("finance/b", 1, 0, (True,)), [call("mail.read")])
    run = write_run(tmp_path / "r", [first, other, retried])
    with (run / "traces.jsonl").open("a") as handle:
        handle.write(other.model_dump_json()[:50])  # an interrupted write
    index = RunIndex.load(run)
    assert len(index) == 2 and index.name == "r"
    assert [row[COL["family"]] for row in index.rows] == ["finance/b", "office/a"]
    i = index.find(retried.task_id, 0)
    row = index.rows[i]
    assert (row[COL["outcome"]], row[COL["score"]], row[COL["failed"]]) == ("failed", 0.5, ["c1"])
    assert row[COL["first_failed"]] == "c1" and row[COL["fclass"]] == "wrong outcome"
    assert index.trace(i) == retried
    assert index.meta()["counts"] == {"passed": 1, "failed": 1, "error": 0}
    with pytest.raises(IndexError):
        index.trace(5)
    (run / "traces.jsonl").write_text("{broken\n" + other.model_dump_json() + "\n")
    with pytest.raises(RunError, match="traces.jsonl:1"):
        RunIndex.load(run)
    with pytest.raises(RunError, match="does not exist"):
        RunIndex.load(tmp_path / "missing")


def test_query_filters(tmp_path):
    bad = call("files.write", {"x": 1}, ok=False, error="invalid_args", output="error: bad")
    traces = [
        with_calls(make_trace("office/a", 0, 0, (True, True)), [call("files.read")]),
        with_calls(make_trace("office/a", 1, 0, (True, False), difficulty="hard"), [bad]),
        with_calls(make_trace("finance/b", 0, 0, (False, False)), [call("files.read")] * 3),
        make_trace("finance/b", 1, 0, error="endpoint down"),
    ]
    index = RunIndex.load(write_run(tmp_path / "r", traces))

    def seeds(**filters):
        got = index.query({k: str(v) for k, v in filters.items()})
        return sorted((r["family"], r["seed"]) for r in got["rows"])

    assert len(seeds()) == 4
    assert seeds(family="office/a") == [("office/a", 0), ("office/a", 1)]
    assert seeds(difficulty="hard") == [("office/a", 1)]
    assert seeds(outcome="error") == [("finance/b", 1)]
    assert seeds(criterion="c1") == [("finance/b", 0), ("office/a", 1)]
    assert seeds(criterion="c0") == [("finance/b", 0)]
    assert seeds(tool_error="invalid_args") == [("office/a", 1)]
    assert seeds(flag="identical run") == [("finance/b", 0)]
    assert seeds(fclass="parameter error") == [("office/a", 1)]
    assert seeds(min=0.5) == [("office/a", 0), ("office/a", 1)]
    assert seeds(max=0.4) == [("finance/b", 0)]  # error traces have no score
    assert seeds(q="finance") == [("finance/b", 0), ("finance/b", 1)]
    page = index.query({}, offset=1, limit=2)
    assert page["total"] == 4 and [r["i"] for r in page["rows"]] == [1, 2]
    with pytest.raises(ValueError, match="unknown filter"):
        index.query({"colour": "red"})
    with pytest.raises(ValueError, match="must be a number"):
        index.query({"min": "high"})


def test_parallel_calls_pair_with_their_records():
    trace = make_trace("office/a", 0, 0, (True,))
    messages = [
        {"role": "user", "content": "task"},
        {"role": "assistant", "content": "reading both", "tool_calls": [
            {"id": "x", "function": {"name": "files_read", "arguments": '{"path": "a"}'}},
            {"id": "y", "function": {"name": "files_read", "arguments": '{"path": "b"}'}}]},
        {"role": "tool", "tool_call_id": "x", "content": "A"},
        {"role": "tool", "tool_call_id": "y", "content": "B (cut)"},
        {"role": "assistant", "content": "Done."},
    ]
    # the second call finished first: the log holds it first
    calls = [CallRecord(name="files.read", args={"path": "b"}, ok=True, output="B (cut) more"),
             CallRecord(name="files.read", args={"path": "a"}, ok=True, output="A")]
    turns = pair_turns(trace.model_copy(update={"messages": messages, "calls": calls}))
    assert [c["output"] for c in turns[0]["calls"]] == ["A", "B (cut) more"]
    assert turns[0]["calls"][1]["shown_note"] == "the model saw 7 of 12 characters"
    assert turns[0]["content"] == "reading both" and turns[1]["calls"] == []
    short = pair_turns(trace.model_copy(update={"messages": messages, "calls": calls}),
                       max_chars=3)
    assert short[0]["calls"][1]["output"] == "B (" and short[0]["calls"][1]["output_cut"] == 9


def test_trace_detail_is_plain_json(flawed_run):
    index = RunIndex.load(flawed_run)
    detail = index.detail(0)
    assert detail["prompt"] and detail["turns"] and detail["grade"]["criteria"]
    assert json.loads(json.dumps(detail)) == detail  # plain JSON data
    failing = next(i for i, r in enumerate(index.rows) if r[COL["outcome"]] == "failed")
    d = index.detail(failing)
    assert d["first_failed"] and d["failure_class"]
    assert {r["name"] for r in d["process_criteria"]} >= {"no loops", "no unfinished claim"}
    assert trace_detail(index.trace(failing))["task_id"] == d["task_id"]


def test_server_api_on_loopback(flawed_run):
    index = RunIndex.load(flawed_run)
    with ViewerServer([index]) as server:
        assert server.url.startswith("http://127.0.0.1:")
        page = httpx.get(server.url)
        assert page.status_code == 200 and "<script>" in page.text
        assert "http://" not in page.text and "https://" not in page.text  # offline page
        runs = httpx.get(server.url + "api/runs").json()["runs"]
        assert runs[0]["traces"] == len(index) and runs[0]["name"] == "flawed"
        table = httpx.get(server.url + "api/index?run=0").json()
        assert table["columns"] == list(COLUMNS) and len(table["rows"]) == len(index)
        failed = httpx.get(server.url + "api/traces",
                           params={"outcome": "failed", "limit": 3}).json()
        assert failed["total"] == index.meta()["counts"]["failed"]
        assert len(failed["rows"]) == 3 and {r["outcome"] for r in failed["rows"]} == {"failed"}
        one = failed["rows"][0]
        by_i = httpx.get(server.url + f"api/trace?run=0&i={one['i']}").json()
        by_task = httpx.get(server.url + "api/trace",
                            params={"task": one["task_id"], "sample": one["sample"]}).json()
        assert by_i == by_task and by_i["outcome"] == "failed"
        for path, status in (("api/trace?i=999", 404), ("api/trace?i=x", 400),
                             ("api/index?run=7", 404), ("api/nothing", 404),
                             ("api/traces?colour=red", 400)):
            answer = httpx.get(server.url + path)
            assert answer.status_code == status and "error" in answer.json(), path


def test_static_export(flawed_run, tmp_path):
    index = RunIndex.load(flawed_run)
    keep = {index.rows[0][COL["task_id"]]}
    page = export_viewer([index], tmp_path / "v", only_tasks=keep, max_chars=100)
    text = page.read_text()
    assert '<script src="data/index.js"></script>' in text and "https://" not in text
    prefix = "window.WORKGYM_DATA="
    raw = (tmp_path / "v" / "data" / "index.js").read_text()
    assert raw.startswith(prefix)
    data = json.loads(raw[len(prefix):].rstrip().rstrip(";"))
    assert len(data["index"][0]["rows"]) == 1 and data["runs"][0]["path"] is None
    chunk = (tmp_path / "v" / "data" / "r0" / "c0.js").read_text()
    details = json.loads(chunk[chunk.index("[") : chunk.rindex("]") + 1])
    assert details[0]["task_id"] in keep
    assert all(len(c["output"]) <= 100 for t in details[0]["turns"] for c in t["calls"]
               if c["output"] is not None)
    with pytest.raises(ValueError, match="at least one run"):
        export_viewer([], tmp_path / "none")
