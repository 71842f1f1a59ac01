"""The trace viewer: an index over a run's traces, a local web server, a static export.

One page (``viewer.html``: vanilla JavaScript, nothing fetched from outside) browses the
traces of one or more runs: a virtualized list filtered by family, level, score, stop
reason, failed criterion, tool error, failure class and process problem; one trace with
its prompt, every turn and tool call, its grade and process statistics; and the same
task in two runs side by side.

The page gets its data either from :class:`ViewerServer` (``workgym view RUN``: a JSON
API on 127.0.0.1) or from the files :func:`export_viewer` writes next to ``report.html``
(plain ``<script>`` files, so the export opens from disk without a server).

A :class:`RunIndex` holds one small row per trace and the byte offset of its line, never
the traces themselves: a run of 10,000 traces costs a few megabytes, and one trace is
read from disk when it is opened.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Self
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from workgym.core import Trace
from workgym.eval._attribution import failure_class, first_failed
from workgym.eval._metrics import check_threshold, is_error, is_success
from workgym.eval._process import ProcessStats, evaluate_process, process_stats
from workgym.eval._runs import TRACES_FILE, RunError, load_run_config, run_name

PAGE = Path(__file__).with_name("viewer.html")
DATA_MARK = "<!--WORKGYM-DATA-->"
VIEWER_DIR = "viewer"
"""The static viewer's folder inside a run folder, next to ``report.html``."""

COLUMNS = (
    "task_id", "sample", "family", "difficulty", "seed", "variant", "score", "outcome",
    "error", "stop", "turns", "calls", "duration", "tokens", "failed", "first_failed",
    "fclass", "tool_errors", "flags",
)
"""The fields of one index row, in order."""

FILTERS = ("family", "difficulty", "stop", "outcome", "fclass", "criterion", "tool_error",
           "flag", "min", "max", "q")
"""Query parameters of :meth:`RunIndex.query` (the page's filters use the same names)."""

EXPORT_MAX_CHARS = 4000
"""Longest text (tool output, arguments, message) the static export keeps whole."""


def _clean(value: Any) -> Any:
    """JSON has no NaN: undefined numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Compact JSON of viewer data (NaN as null)."""
    try:
        # The data is built NaN-free (see trace_detail); the walk is the rare fallback.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_clean(value), ensure_ascii=False, separators=(",", ":"))


def _first_line(text: str | None) -> str | None:
    if text is None:
        return None
    line = text.strip().splitlines()[0] if text.strip() else "(empty error)"
    return line if len(line) <= 200 else line[:197] + "..."


def outcome(trace: Trace, threshold: float = 1.0) -> str:
    """``passed``, ``failed`` or ``error`` (not scored)."""
    if is_error(trace) or trace.grade is None:
        return "error"
    return "passed" if is_success(trace.grade, threshold) else "failed"


def trace_row(trace: Trace, stats: ProcessStats, threshold: float = 1.0) -> list[Any]:
    """The index row of one trace, in :data:`COLUMNS` order."""
    state = outcome(trace, threshold)
    grade = trace.grade
    failed = sorted({c.group or c.name for c in grade.criteria if c.passed is False}) if grade else []
    first = first_failed(trace) if state == "failed" else None
    return [
        trace.task_id, trace.sample, trace.spec.family, trace.spec.difficulty, trace.spec.seed,
        trace.spec.variant, None if trace.score is None or state == "error" else round(trace.score, 4),
        state, _first_line(trace.error) if trace.error else
        ("not graded" if grade is None else None),
        trace.stop_reason, trace.stats.turns, len(trace.calls), round(trace.duration_s, 4),
        trace.usage.prompt_tokens + trace.usage.completion_tokens, failed,
        None if first is None else (first.group or first.name),
        failure_class(trace, stats) if state == "failed" else None,
        sorted({c.error for c in trace.calls if c.error}), stats.flags(),
    ]


def _cut(text: Any, limit: int | None) -> tuple[Any, int]:
    if limit is None or not isinstance(text, str) or len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def _normal(name: str) -> str:
    return name.replace(".", "_")


def _parse_args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def pair_turns(trace: Trace, max_chars: int | None = None) -> list[dict[str, Any]]:
    """The assistant turns of a trace, each tool call paired with its call record.

    A turn's calls are logged as they finish (parallel calls in any order), so each
    requested call is matched to the record of that turn with the same tool and
    arguments, and only failing that to the next record in order.

    Args:
        trace: the trace.
        max_chars: cut longer texts to this many characters (and say how many were cut).
    """
    records = trace.calls
    shown = {m.get("tool_call_id"): m.get("content") for m in trace.messages
             if m.get("role") == "tool"}
    turns: list[dict[str, Any]] = []
    pos = 0
    for message in trace.messages:
        if message.get("role") != "assistant":
            continue
        requested = message.get("tool_calls") or []
        window = list(range(pos, min(pos + len(requested), len(records))))
        free = set(window)
        calls = []
        for req in requested:
            fn = req.get("function") or {}
            name, raw = str(fn.get("name", "")), fn.get("arguments", "")
            args = _parse_args(raw)
            match = next((i for i in window if i in free and _normal(records[i].name)
                          == _normal(name) and records[i].args == args), None)
            if match is None:
                match = next((i for i in window if i in free), None)
            entry: dict[str, Any] = {"id": req.get("id"), "name": name}
            text, cut = _cut(raw if isinstance(args, str) else
                             json.dumps(args, indent=1, ensure_ascii=False), max_chars)
            entry.update(args=text, args_cut=cut)
            if match is not None:
                free.discard(match)
                rec = records[match]
                output, cut = _cut(rec.output, max_chars)
                seen = shown.get(req.get("id"))
                note = None
                if isinstance(seen, str) and seen != rec.output:
                    note = (f"the model saw {len(seen)} of {len(rec.output)} characters"
                            if rec.output.startswith(seen[:200]) else
                            "the model saw a placeholder (older output compacted)")
                entry.update(tool=rec.name, ok=rec.ok, error=rec.error, output=output,
                             output_cut=cut, duration_s=rec.duration_s, shown_note=note)
            else:
                entry.update(tool=None, ok=None, error=None, output=None, output_cut=0,
                             duration_s=0.0, shown_note="no call record")
            calls.append(entry)
        pos += len(requested)
        content, cut = _cut(message.get("content"), max_chars)
        reasoning, rcut = _cut(message.get("reasoning_content"), max_chars)
        turns.append({"content": content, "content_cut": cut, "reasoning": reasoning,
                      "reasoning_cut": rcut, "calls": calls,
                      "tool_seconds": round(sum(c["duration_s"] for c in calls), 6)})
    return turns


def trace_detail(trace: Trace, threshold: float = 1.0,
                 max_chars: int | None = None) -> dict[str, Any]:
    """Everything the page shows of one trace, as JSON-ready data."""
    stats = process_stats(trace)
    state = outcome(trace, threshold)
    system = next((m.get("content") for m in trace.messages if m.get("role") == "system"), None)
    prompt = next((m.get("content") for m in trace.messages if m.get("role") == "user"), None)
    first = first_failed(trace)
    grade = trace.grade
    return {
        "task_id": trace.task_id, "sample": trace.sample, "spec": trace.spec.model_dump(),
        "family_id": trace.spec.family_id, "policy": trace.policy, "model": trace.model,
        "outcome": state, "score": trace.score,
        "error": trace.error, "stop_reason": trace.stop_reason, "truncated": trace.truncated,
        "duration_s": trace.duration_s, "usage": trace.usage.model_dump(),
        "stats": trace.stats.model_dump(), "started_at": trace.started_at,
        "suite": trace.suite, "meta": trace.meta,
        "system": _cut(system, max_chars)[0], "prompt": _cut(prompt, None if max_chars is None
                                                             else 4 * max_chars)[0],
        "turns": pair_turns(trace, max_chars),
        "grade": None if grade is None else {
            "score": trace.score, "passed": grade.passed, "gated": grade.gated,
            "unscored": grade.unscored,
            "criteria": [c.model_dump() for c in grade.criteria]},
        "first_failed": None if first is None else first.name,
        "failure_class": failure_class(trace, stats) if state == "failed" else None,
        "process": _clean(stats.model_dump()),
        "process_criteria": [r.model_dump() for r in evaluate_process(trace, stats=stats)],
    }


class RunIndex:
    """The index of one run: a row per trace and where its line is in ``traces.jsonl``.

    Reading follows :func:`load_run`: when a ``(task_id, sample)`` appears twice the later
    line wins, and an unfinished last line is skipped.
    """

    def __init__(self, path: Path, name: str, config: dict[str, Any], rows: list[list[Any]],
                 spans: list[tuple[int, int]], threshold: float) -> None:
        self.path = path
        self.name = name
        self.config = config
        self.rows = rows
        self.spans = spans
        self.threshold = threshold
        self._by_key = {(r[0], r[1]): i for i, r in enumerate(rows)}

    @classmethod
    def load(cls, run: str | Path, threshold: float = 1.0) -> RunIndex:
        """Index a run folder (or its ``traces.jsonl``).

        Raises:
            RunError: missing, empty, or a corrupt line other than an unfinished last one.
        """
        check_threshold(threshold)
        path = Path(run)
        file = path if path.is_file() else path / TRACES_FILE
        if not path.exists():
            raise RunError(f"run folder {path} does not exist")
        if not file.is_file():
            raise RunError(f"{path} is not a run: it has no {TRACES_FILE}")
        latest: dict[tuple[str, int], tuple[list[Any], tuple[int, int]]] = {}
        with file.open("rb") as handle:
            offset = 0
            number = 0
            for line in handle:
                number += 1
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                try:
                    trace = Trace.model_validate_json(line)
                except ValidationError as exc:
                    if not line.endswith(b"\n"):
                        continue  # the writer was interrupted mid-line
                    raise RunError(f"{file}:{number}: not a valid trace: "
                                   f"{exc.errors()[0]['msg']}") from None
                key = (trace.task_id, trace.sample)
                latest.pop(key, None)
                latest[key] = (trace_row(trace, process_stats(trace), threshold),
                               (start, len(line)))
        if not latest:
            raise RunError(f"run {path} is empty: {file.name} holds no traces yet")
        rows = [row for row, _ in latest.values()]
        spans = [span for _, span in latest.values()]
        return cls(file, run_name(run), load_run_config(run), rows, spans, threshold)

    def __len__(self) -> int:
        return len(self.rows)

    def find(self, task_id: str, sample: int) -> int | None:
        """The position of a trace in the index, or None."""
        return self._by_key.get((task_id, sample))

    def trace(self, i: int) -> Trace:
        """Read trace ``i`` back from disk.

        Raises:
            IndexError: no such trace.
            RunError: the file changed under the index (reindex it).
        """
        with self.path.open("rb") as handle:
            return self._read(handle, i)

    def _read(self, handle: BinaryIO, i: int) -> Trace:
        if not 0 <= i < len(self.spans):
            raise IndexError(f"trace {i} out of range (the run has {len(self.spans)})")
        start, length = self.spans[i]
        handle.seek(start)
        line = handle.read(length)
        try:
            trace = Trace.model_validate_json(line)
        except ValidationError:
            raise RunError(f"{self.path} changed since it was indexed; restart the viewer") from None
        if (trace.task_id, trace.sample) != (self.rows[i][0], self.rows[i][1]):
            raise RunError(f"{self.path} changed since it was indexed; restart the viewer")
        return trace

    def detail(self, i: int, max_chars: int | None = None) -> dict[str, Any]:
        """What the page shows of trace ``i`` (see :func:`trace_detail`)."""
        return trace_detail(self.trace(i), self.threshold, max_chars)

    def details(self, positions: Sequence[int],
                max_chars: int | None = None) -> Iterator[dict[str, Any]]:
        """:meth:`detail` of several traces, reading the file once."""
        with self.path.open("rb") as handle:
            for i in positions:
                yield trace_detail(self._read(handle, i), self.threshold, max_chars)

    def meta(self) -> dict[str, Any]:
        """What the page shows of the run before its traces."""
        counts = {"passed": 0, "failed": 0, "error": 0}
        for row in self.rows:
            counts[row[7]] += 1
        return {"name": self.name, "path": str(self.path.parent), "traces": len(self.rows),
                "threshold": self.threshold, "counts": counts,
                "policy": self.config.get("policy"), "model": self.config.get("model")}

    def index_data(self) -> dict[str, Any]:
        return {"columns": list(COLUMNS), "rows": self.rows}

    def query(self, filters: Mapping[str, str], offset: int = 0,
              limit: int = 100) -> dict[str, Any]:
        """Filtered rows, a page at a time (the API behind ``/api/traces``).

        Args:
            filters: any of :data:`FILTERS`; ``min``/``max`` bound the score, ``q`` is a
                substring of the task id or family.
            offset: rows to skip.
            limit: most rows returned.

        Raises:
            ValueError: an unknown filter or a score bound that is not a number.
        """
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise ValueError(f"unknown filter(s) {', '.join(unknown)}; use {', '.join(FILTERS)}")
        if offset < 0 or limit < 1:
            raise ValueError("offset must be >= 0 and limit >= 1")
        keep = [i for i, row in enumerate(self.rows) if matches(row, filters)]
        names = list(COLUMNS)
        return {"total": len(keep), "offset": offset,
                "rows": [{"i": i, **dict(zip(names, self.rows[i], strict=True))}
                         for i in keep[offset:offset + limit]]}


def _bound(filters: Mapping[str, str], key: str) -> float | None:
    raw = filters.get(key)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {raw!r}") from None


def matches(row: Sequence[Any], filters: Mapping[str, str]) -> bool:
    """Whether an index row passes the filters (the page applies the same rules)."""
    c = {name: i for i, name in enumerate(COLUMNS)}
    for key, column in (("family", "family"), ("difficulty", "difficulty"), ("stop", "stop"),
                        ("outcome", "outcome"), ("fclass", "fclass")):
        if filters.get(key) and row[c[column]] != filters[key]:
            return False
    for key, column in (("criterion", "failed"), ("tool_error", "tool_errors"),
                        ("flag", "flags")):
        if filters.get(key) and filters[key] not in row[c[column]]:
            return False
    low, high = _bound(filters, "min"), _bound(filters, "max")
    score = row[c["score"]]
    if (low is not None or high is not None) and score is None:
        return False
    if (low is not None and score < low) or (high is not None and score > high):
        return False
    q = (filters.get("q") or "").lower()
    return not q or q in str(row[c["task_id"]]).lower() or q in str(row[c["family"]]).lower()


def page_html(data_script: str | None = None) -> str:
    """The viewer page; with ``data_script``, the static page that loads that file."""
    page = PAGE.read_text(encoding="utf-8")
    tag = "" if data_script is None else f'<script src="{data_script}"></script>'
    return page.replace(DATA_MARK, tag)


# -- static export --------------------------------------------------------------------------

CHUNK = 50
"""Traces per data file of the static export."""


def export_viewer(
    runs: Sequence[RunIndex | str | Path],
    out: str | Path,
    *,
    only_tasks: set[str] | None = None,
    max_chars: int = EXPORT_MAX_CHARS,
    threshold: float = 1.0,
) -> Path:
    """Write the viewer and its data as static files that open from disk.

    Args:
        runs: run indexes or folders; the first is the one listed, the others can be
            compared against it side by side.
        out: the folder to write (``index.html`` and ``data/``); replaced if present.
        only_tasks: export only the traces of these task ids (e.g. a comparison's
            regressions).
        max_chars: texts longer than this are cut in the export (``workgym view`` shows
            them whole).
        threshold: success threshold of runs given as folders.

    Returns:
        The path of ``index.html``.
    """
    indexes = [r if isinstance(r, RunIndex) else RunIndex.load(r, threshold) for r in runs]
    if not indexes:
        raise ValueError("export_viewer needs at least one run")
    out = Path(out)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    metas, tables = [], []
    for r, index in enumerate(indexes):
        chosen = [i for i, row in enumerate(index.rows)
                  if only_tasks is None or row[0] in only_tasks]
        folder = data / f"r{r}"
        folder.mkdir()
        for start in range(0, len(chosen), CHUNK):
            part = list(index.details(chosen[start:start + CHUNK], max_chars))
            (folder / f"c{start // CHUNK}.js").write_text(
                f"workgymChunk({r},{start // CHUNK},{to_json(part)});\n", encoding="utf-8")
        meta = index.meta()
        meta["path"] = None  # the export may be moved or shared: no local paths in it
        meta["exported"] = len(chosen)
        metas.append(meta)
        tables.append({"columns": list(COLUMNS), "rows": [index.rows[i] for i in chosen]})
    payload = {"runs": metas, "index": tables, "chunk": CHUNK, "max_chars": max_chars}
    (data / "index.js").write_text(f"window.WORKGYM_DATA={to_json(payload)};\n",
                                   encoding="utf-8")
    page = out / "index.html"
    page.write_text(page_html("data/index.js"), encoding="utf-8")
    return page


# -- the server -----------------------------------------------------------------------------


class ViewerServer:
    """The viewer over HTTP on 127.0.0.1: the page and a JSON API.

    API (all GET, JSON answers):
        ``/api/runs``: the runs and their counts.
        ``/api/index?run=R``: every row of run R (``columns`` and ``rows``).
        ``/api/traces?run=R&offset=O&limit=L&<filters>``: filtered rows, a page at a time
        (filters: :data:`FILTERS`).
        ``/api/trace?run=R&i=I`` or ``?run=R&task=ID&sample=S``: one trace in full.

    Example:
        >>> with ViewerServer([RunIndex.load("runs/base")]) as server:
        ...     print(server.url)
    """

    def __init__(self, runs: Sequence[RunIndex], port: int = 0) -> None:
        if not runs:
            raise ValueError("the viewer needs at least one run")
        self.runs = list(runs)
        handler = _handler(self.runs)
        # Loopback only: traces hold task data and model output, never served beyond it.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="workgym-viewer")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _BadRequest(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _handler(runs: list[RunIndex]) -> type[BaseHTTPRequestHandler]:
    page = page_html().encode("utf-8")

    def run_of(params: dict[str, list[str]]) -> RunIndex:
        raw = params.get("run", ["0"])[0]
        if not raw.isdigit() or int(raw) >= len(runs):
            raise _BadRequest(HTTPStatus.NOT_FOUND, f"no run {raw!r}; runs are 0..{len(runs) - 1}")
        return runs[int(raw)]

    def number(params: dict[str, list[str]], key: str, default: int) -> int:
        raw = params.get(key, [str(default)])[0]
        if not raw.isdigit():
            raise _BadRequest(HTTPStatus.BAD_REQUEST, f"{key} must be a whole number, got {raw!r}")
        return int(raw)

    def answer(path: str, params: dict[str, list[str]]) -> Any:
        if path == "/api/runs":
            return {"runs": [r.meta() for r in runs]}
        if path == "/api/index":
            return run_of(params).index_data()
        if path == "/api/traces":
            run = run_of(params)
            filters = {k: v[0] for k, v in params.items()
                       if k not in ("run", "offset", "limit")}
            try:
                return run.query(filters, number(params, "offset", 0),
                                 min(number(params, "limit", 100), 1000))
            except ValueError as exc:
                raise _BadRequest(HTTPStatus.BAD_REQUEST, str(exc)) from None
        if path == "/api/trace":
            run = run_of(params)
            if "task" in params:
                found = run.find(params["task"][0], number(params, "sample", 0))
                if found is None:
                    raise _BadRequest(HTTPStatus.NOT_FOUND, "no such trace in this run")
                i = found
            else:
                i = number(params, "i", 0)
            try:
                return run.detail(i)
            except IndexError as exc:
                raise _BadRequest(HTTPStatus.NOT_FOUND, str(exc)) from None
        raise _BadRequest(HTTPStatus.NOT_FOUND, f"no such endpoint {path}")

    class Handler(BaseHTTPRequestHandler):
        server_version = "workgym-viewer"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the library logs nothing; requests are not news

        def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
                return
            try:
                body = to_json(answer(parts.path, parse_qs(parts.query)))
                self._send(HTTPStatus.OK, body.encode("utf-8"), "application/json")
            except _BadRequest as exc:
                self._send(exc.status, to_json({"error": str(exc)}).encode("utf-8"),
                           "application/json")
            except RunError as exc:
                self._send(HTTPStatus.CONFLICT, to_json({"error": str(exc)}).encode("utf-8"),
                           "application/json")

    return Handler

