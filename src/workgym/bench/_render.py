"""Tables of a ``run_bench`` result."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _p(stats: dict[str, Any] | None, key: str = "p50") -> str:
    if not stats or key not in stats:
        return "-"
    return f"{stats[key]:g}"


def render(result: dict[str, Any], out: Console) -> None:
    """Print every measured section as a table, then the targets."""
    m = result["machine"]
    out.print(f"[bold]workgym bench[/bold]  {m['date']}  {m['nproc']} cores  {m['cpu_model']}  "
              f"{m['ram_gib']} GiB  load {m['load_avg']} -> {m.get('load_avg_end')}  "
              f"workspaces on {m['workspace_fs']} ({m['workspace_dir']})", highlight=False)
    if "reset" in result:
        table = Table("family", "level", "calls", "generate", "materialize", "reset",
                      "reset p95", "reset cpu", "grade", "grade p95", "grade cpu", "solved",
                      title="reset and grading, ms (p50 unless said)")
        for r in result["reset"]:
            table.add_row(r["family"], r["level"], str(r["reference_calls"]),
                          _p(r["generate_ms"]), _p(r["materialize_ms"]), _p(r["reset_ms"]),
                          _p(r["reset_ms"], "p95"), _p(r["reset_cpu_ms"]), _p(r["grade_ms"]),
                          _p(r["grade_ms"], "p95"), _p(r["grade_cpu_ms"]), r["solved"])
        out.print(table)
    if "calls" in result:
        calls = result["calls"]
        paths = list(calls["all"]["reads_us"])
        table = Table("family", "reads", *[f"{p} p50" for p in paths],
                      *[f"+{p}" for p in paths if p != "plain"],
                      title="read-only reference calls repeated, us per call (+: paired "
                            "overhead over plain, p50)")
        for row in [*calls["families"], {"family": "all", **calls["all"]}]:
            table.add_row(row["family"], str(row.get("read_calls", "")),
                          *[_p(row["reads_us"].get(p)) for p in paths],
                          *[_p(row["reads_overhead_us"].get(p)) for p in paths if p != "plain"])
        out.print(table)
        paths = list(calls["all"]["replay_us"])
        table = Table("family", *[f"{p} p50" for p in paths],
                      *[f"+{p}" for p in paths if p != "plain"],
                      title="whole reference solutions replayed on fresh worlds, us per call "
                            "(fastest of the rounds; +: paired overhead over plain, p50)")
        for row in [*calls["families"], {"family": "all", **calls["all"]}]:
            table.add_row(row["family"], *[_p(row["replay_us"].get(p)) for p in paths],
                          *[_p(row["replay_overhead_us"].get(p)) for p in paths if p != "plain"])
        out.print(table)
        if calls.get("apps_direct_us"):
            table = Table("app", "calls", "p50 us", "p95 us", "mean us",
                          title="reference calls per app, direct path (Episode.call), us per "
                                "call (fastest of the rounds)")
            for app, stats in calls["apps_direct_us"].items():
                table.add_row(app, str(stats["n"]), _p(stats), _p(stats, "p95"),
                              _p(stats, "mean"))
            out.print(table)
        for server in calls.get("stdio_servers", []):
            out.print(f"stdio server {server['family']}: start-up {server['startup_s']} s, "
                      f"RSS {server['server_rss_mb']} MB", highlight=False)
    if "side_by_side" in result:
        side = result["side_by_side"]
        table = Table("path", "p50 us", "p95 us", "x direct", "same result",
                      title=f"side by side in one process: {side['tool']} ({side['path']})")
        for name, stats in side["us"].items():
            same = side["same_result"].get(name)
            table.add_row(name, _p(stats), _p(stats, "p95"), f"{side['ratio_to_direct'][name]:g}",
                          "" if same is None else str(same))
        out.print(table)
        for name, why in side.get("skipped", {}).items():
            out.print(f"[yellow]skipped {name}:[/yellow] {why}", highlight=False)
    if "memory" in result:
        mem = result["memory"]
        out.print(f"[bold]memory[/bold]: {mem['episodes']} idle episodes live; "
                  f"RSS {mem['rss_per_episode_kib']} KiB/episode, tracemalloc "
                  f"{mem['tracemalloc_per_episode_kib']} KiB/episode, workspace "
                  f"{mem['workspace_content_kib']} KiB content / {mem['workspace_disk_kib']} KiB "
                  f"on {mem['workspace_fs']}; started in {mem['start_s']} s; estimated ceiling "
                  f"{mem['estimated_max_idle_episodes']} episodes ({mem['limited_by']})",
                  highlight=False)
    if "throughput" in result:
        thr = result["throughput"]
        table = Table("concurrent", "episodes", "calls", "wall s", "calls/s", "episodes/s",
                      "calls/cpu-s", "cpu/wall", "RSS growth MiB", "solved",
                      title="throughput, one process, episodes interleaved on one event loop")
        for lv in thr["levels"]:
            table.add_row(str(lv["concurrency"]), str(lv["episodes"]), str(lv["calls"]),
                          f"{lv['wall_s']:g}", f"{lv['calls_per_s']:g}",
                          f"{lv['episodes_per_s']:g}", f"{lv['calls_per_cpu_s']:g}",
                          f"{lv['cpu_per_wall']:g}",
                          f"{lv['rss_growth_at_peak_mib']:g}", lv["solved"])
        out.print(table)
        if "processes" in thr:
            table = Table("workers", "concurrent each", "episodes", "calls/s", "episodes/s",
                          "cpu/wall", "speedup",
                          title="throughput across processes and threads")
            for row in thr["processes"]["runs"]:
                table.add_row(row["workers"], str(row["concurrency_per_worker"]),
                              str(row["episodes"]), f"{row['calls_per_s']:g}",
                              f"{row['episodes_per_s']:g}", f"{row['cpu_per_wall']:g}",
                              str(row.get("speedup", "")))
            out.print(table)
    if "terminal" in result:
        term = result["terminal"]
        if "skipped" in term:
            out.print(f"[yellow]terminal skipped:[/yellow] {term['skipped']}", highlight=False)
        else:
            ms = term["ms"]
            out.print(f"[bold]terminal[/bold] {term['command']!r}: sandboxed p50 "
                      f"{_p(ms['sandboxed'])} ms (p95 {_p(ms['sandboxed'], 'p95')}), "
                      f"unsandboxed p50 {_p(ms['unsandboxed'])} ms; child CPU p50 "
                      f"{term['child_cpu_ms_p50']}", highlight=False)
    if "rollout" in result:
        _rollout(result["rollout"], out)
    table = Table("target", "goal", "measured", "met", "where", "note", title="targets")
    for t in result["targets"]:
        met = {True: "[green]met[/green]", False: "[red]missed[/red]", None: "-"}[t["met"]]
        table.add_row(t["target"], t["goal"], str(t["measured"]), met, escape(t["where"]),
                      escape(t.get("note", "")))
    out.print(table)


def _rollout(roll: dict[str, Any], out: Console) -> None:
    table = Table("client", "concurrent", "episodes", "turns", "completed", "cpu ms/turn",
                  "sys ms/turn", "turns/cpu-s", "turns/s", "turn p50 ms", "turn p99 ms",
                  "mock cpu ms/turn",
                  title=f"rollout against the instant mock ({roll['tool_turns']} tool turns, "
                        "then an answer; in_process: the same turns without HTTP)")
    for row in roll["levels"]:
        table.add_row(row["client"], str(row["concurrency"]), str(row["episodes"]),
                      str(row["turns"]), row["completed"],
                      *[str(row[k]) if row[k] is not None else "-" for k in (
                          "cpu_ms_per_turn", "system_ms_per_turn", "turns_per_cpu_s",
                          "turns_per_s", "turn_ms_p50", "turn_ms_p99",
                          "mock_cpu_ms_per_turn")])
    out.print(table)
    ratio = roll.get("before_after")
    if ratio:
        out.print(f"[bold]CPU per turn[/bold] at concurrency {ratio['concurrency']}: openai SDK "
                  f"{ratio['openai_cpu_ms_per_turn']} ms, lean {ratio['lean_cpu_ms_per_turn']} "
                  f"ms: [bold]{ratio['ratio']}x[/bold] less", highlight=False)
