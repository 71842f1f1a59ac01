"""The shortcuts to file hashes give what walking and hashing the workspace gives."""

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import Field

import workgym  # noqa: F401  (registers the apps)
from workgym.core import Episode, Store, WorldTemplate, family_ids, get_family

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _odd_world(tmp_path):
    template = WorldTemplate(now=NOW, files={
        "z.txt": b"z", "a.txt": b"a", "docs/b.md": b"b", "docs/deep/c.csv": b"c",
        "docs/a-file": b"x", "docs-2/d.txt": b"d", "e f/ü.txt": "ü".encode()})
    world = template.materialize(tmp_path / "ws")
    ws = world.workspace
    os.symlink("a.txt", ws / "link-to-file")
    os.symlink("docs", ws / "link-to-dir")
    os.symlink("missing", ws / "docs" / "broken")
    os.mkfifo(ws / "docs" / "pipe")
    (ws / "empty").mkdir()
    return world


def test_file_hash_is_the_walked_hash(tmp_path):
    world = _odd_world(tmp_path)
    walked = world.file_hashes()
    assert {"link-to-file", "link-to-dir", "docs/broken", "docs/pipe"} <= set(walked)
    candidates = [*walked, "link-to-dir/b.md", "docs", "empty", "missing.txt", "docs/",
                  "./a.txt", "docs//b.md", "docs/../a.txt", "", "a.txt/x", "docs/deep"]
    for rel in candidates:
        assert world.file_hash(rel) == walked.get(rel), rel


def test_file_unchanged_sees_changes(tmp_path):
    from workgym.core import GradeContext

    world = _odd_world(tmp_path)
    ctx = GradeContext(world=world, calls=[], answer=None, initial=world.snapshot())
    (world.workspace / "docs" / "b.md").write_bytes(b"changed")
    (world.workspace / "z.txt").unlink()
    assert not ctx.file_unchanged("docs/b.md") and not ctx.file_unchanged("z.txt")
    assert ctx.file_unchanged("docs/deep/c.csv") and ctx.file_unchanged("link-to-dir")


@pytest.mark.parametrize("family_id", family_ids())
def test_fresh_hashes_are_the_walked_hashes_in_walk_order(family_id):
    fam = get_family(family_id)
    for level in ("easy", "hard"):
        task = fam.task(fam.spec(5, level))
        with task.start() as episode:
            walked = episode.world.file_hashes()
            fresh = task.template.fresh_file_hashes()
            assert fresh is not None and list(fresh.items()) == list(walked.items())
            # the episode's initial snapshot is the one a full walk gives
            plain = Episode(task, episode.world)
            assert plain._initial == episode._initial


def test_fresh_hashes_follow_the_template(tmp_path):
    template = WorldTemplate(now=NOW, files={"b/x.txt": b"1", "a.txt": b"2", "b/a/y.txt": b"3"})
    world = template.materialize(tmp_path / "ws")
    assert list(template.fresh_file_hashes().items()) == list(world.file_hashes().items())
    template.files["a.txt"] = b"changed"  # a template edited after its first use
    assert template.fresh_file_hashes()["a.txt"] == \
        template.materialize(tmp_path / "ws2").file_hashes()["a.txt"]
    assert WorldTemplate(now=NOW, files={"./a.txt": b"1"}).fresh_file_hashes() is None


class _Notes(Store):
    lines: list[list[str]] = Field(default_factory=list)
    blob: bytes = b""
    when: datetime | None = None


def test_materialized_stores_are_equal_and_share_nothing(tmp_path):
    template = WorldTemplate(now=NOW, stores={"notes": _Notes(lines=[["a"], ["b"]])})
    first, second = (template.materialize(tmp_path / n) for n in ("one", "two"))
    for world in (first, second):
        assert world.stores["notes"] == template.stores["notes"]
    first.stores["notes"].lines[0].append("changed")  # type: ignore[attr-defined]
    assert template.stores["notes"].lines == [["a"], ["b"]]  # type: ignore[attr-defined]
    assert second.stores["notes"].lines == [["a"], ["b"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("store", [
    _Notes(blob=b"\xff\xfe not UTF-8"),  # JSON cannot carry it: serializing raises
    _Notes(when=datetime(2026, 3, 29, 1, tzinfo=ZoneInfo("Europe/Berlin"))),  # zone lost
])
def test_a_store_json_cannot_copy_is_copied_faithfully(tmp_path, store):
    template = WorldTemplate(now=NOW, stores={"notes": store})
    for n in range(2):
        copy = template.materialize(tmp_path / str(n)).stores["notes"]
        assert copy == store and copy is not store
        assert copy.when is None or copy.when.tzinfo == ZoneInfo("Europe/Berlin")  # type: ignore[attr-defined]
