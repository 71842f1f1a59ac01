"""Finding families: the package scan, entry points of installed packages, --import, the
skeleton of workgym new-family, and a fresh-process check that never recurses."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workgym.checks import check_family, new_family
from workgym.cli import _load_commands, app
from workgym.core import (
    FamilyDiscoveryWarning,
    UnknownFamilyError,
    _family,
    get_family,
    load_family_package,
)

SRC = str(Path(_family.__file__).resolve().parents[2])


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Families registered here do not stay registered for other tests."""
    monkeypatch.setattr(_family, "_REGISTRY", dict(_family._REGISTRY))
    monkeypatch.setattr(_family, "_INSTANCES", dict(_family._INSTANCES))
    monkeypatch.setattr(_family, "_PROBLEMS", dict(_family._PROBLEMS))


def _skeleton(root: Path, name: str) -> str:
    """Write a family with ``workgym new-family``'s skeleton under ``root``; its module."""
    return new_family(name, root, root / "tests", root / "docs").module


def _python(args: list[str], path: Path, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), SRC])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout, check=False)


def test_a_broken_module_and_a_folder_without_init_are_reported_while_others_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "famdisc"
    _skeleton(package, "good/widgets")
    (package / "__init__.py").touch()
    (package / "bad").mkdir()
    (package / "bad" / "__init__.py").touch()
    (package / "bad" / "broken.py").write_text("raise ImportError('no such dependency: frob')\n")
    (package / "noinit").mkdir()
    (package / "noinit" / "orphan.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.warns(FamilyDiscoveryWarning):
        problems = load_family_package("famdisc")
    found = {p.where: p.message for p in problems}
    assert "no such dependency: frob" in found["famdisc.bad.broken"]
    assert "no __init__.py" in found["famdisc/noinit"] and "add an empty __init__.py" in \
        found["famdisc/noinit"]
    assert get_family("good/widgets-v1").family_id() == "good/widgets-v1"
    with pytest.raises(UnknownFamilyError, match="famdisc.bad.broken"):
        get_family("nothing/here-v1")


def test_a_family_installed_by_another_package_is_found_through_its_entry_point(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    _skeleton(site, "external/widgets")
    info = site / "extwidgets-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extwidgets\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[workgym.families]\nwidgets = external.widgets\nbroken = external.missing\n")
    listed = _python(["-c", "from workgym.cli import main; main()", "list", "--json"], site)
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["external/widgets-v1"]["apps"] == ["files", "mail"]
    assert "office/library-catalogue-v1" in rows  # the built-ins load beside it
    assert "entry point broken = external.missing" in listed.stderr


def test_import_loads_a_family_for_list_show_run_and_check(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _skeleton(tmp_path, "local/widgets")
    monkeypatch.chdir(tmp_path)  # --import searches the current folder, as python -m does
    _load_commands()
    runner = CliRunner()
    fid, mod = "local/widgets-v1", "local.widgets"
    listed = runner.invoke(app, ["list", "--json", "--import", mod])
    assert listed.exit_code == 0 and fid in listed.stdout
    shown = runner.invoke(app, ["show", fid, "--import", mod, "--difficulty", "hard"])
    assert shown.exit_code == 0 and "reference solution: 26 tool calls" in shown.stdout
    ran = runner.invoke(app, ["run", fid, "--import", mod, "--seeds", "0-1", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.stdout)["mean_score"] == 1.0
    checked = runner.invoke(app, ["check", fid, "--import", mod, "--seeds", "2", "--check",
                                  "reference", "--check", "near-miss"])
    assert checked.exit_code == 0 and f"ok {fid}" in checked.stdout
    missing = runner.invoke(app, ["list", "--import", "no_such_module_here"])
    assert missing.exit_code == 2 and "no_such_module_here" in missing.output


def test_a_new_family_from_the_skeleton_passes_check_family(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = new_family("demo/widget-count", tmp_path / "families", tmp_path / "tests",
                      tmp_path / "docs")
    assert made.module == "demo.widget_count"
    assert (tmp_path / "families" / "demo" / "__init__.py").exists()
    assert "workgym check demo/widget-count-v1" in made.docs.read_text()
    monkeypatch.syspath_prepend(str(tmp_path / "families"))
    module = importlib.import_module(made.module)
    report = check_family(module.WidgetCount(), seeds=3, raise_on_failure=False)
    assert report.ok, report.failures
    assert report.checks["fresh-process"].status == "ok"
    assert report.checks["adversaries"].status == "ok"
    with pytest.raises(ValueError, match="not overwriting"):
        new_family("demo/widget-count", tmp_path / "families", tmp_path / "tests",
                   tmp_path / "docs")


def test_a_script_that_calls_check_family_at_top_level_does_not_recurse(tmp_path: Path) -> None:
    """No __main__ guard, in a script and in a module imported by name: each runs the check
    once; the fresh process imports by name and does nothing more."""
    module = _skeleton(tmp_path, "solo/widgets")
    log = tmp_path / "runs.log"
    code = textwrap.dedent(f"""
        from workgym import check_family
        from {module} import Widgets
        report = check_family(Widgets(), seeds=1, raise_on_failure=False,
                              only=["fresh-process"])
        with open({str(log)!r}, "a") as out:
            out.write(report.checks["fresh-process"].status + "\\n")
    """)
    (tmp_path / "selfcheck.py").write_text(code)
    as_script = _python([str(tmp_path / "selfcheck.py")], tmp_path, timeout=120)
    assert as_script.returncode == 0, as_script.stderr
    as_module = _python(["-c", "import selfcheck"], tmp_path, cwd=tmp_path, timeout=120)
    assert as_module.returncode == 0, as_module.stderr
    # one line per run the caller started; the fresh process imported the family's module
    # only (never selfcheck), so nothing else ran
    assert log.read_text().split() == ["ok", "ok"]

    # the family and the top-level call in one module: the fresh process imports it by
    # name, and check_family there returns at once (it logs "skipped"), so one child only
    log.unlink()
    family_code = (tmp_path / "solo" / "widgets.py").read_text()
    (tmp_path / "selfdef.py").write_text(family_code + code.replace(
        f"from {module} import Widgets\n", ""))
    both = _python(["-c", "import selfdef"], tmp_path, cwd=tmp_path, timeout=120)
    assert both.returncode == 0, both.stderr
    assert log.read_text().split() == ["skipped", "ok"]

    inline = tmp_path / "inline.py"
    inline.write_text(Path(_family.__file__).parents[3].joinpath(
        "examples", "minimal_family.py").read_text().replace(
            'if __name__ == "__main__":', "if True:").replace("seeds=20", "seeds=1"))
    ran = _python([str(inline)], tmp_path, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "fresh-process: not run: the family is defined in __main__" in ran.stdout
