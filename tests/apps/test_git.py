import os
import shutil
import subprocess
import time
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from dulwich.objects import Blob

from workgym.apps.git import (
    MAX_OUTPUT_CHARS,
    CommitSpec,
    GitStore,
    _Ignores,
    _parse_ignore,
    repo_history,
    repo_status,
    repo_tree,
    repository_files,
)
from workgym.core import Episode, GradeError
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)
ME = "Lena Novak <lena.novak@example.org>"
HAS_GIT = shutil.which("git") is not None


def _history() -> list[CommitSpec]:
    return [
        CommitSpec("Initial commit", {"README.md": "# Demo\n", "src/app.py": "print('hi')\n",
                                      ".gitignore": "__pycache__/\n*.log\n!keep.log\n"},
                   datetime(2026, 2, 1, 10, tzinfo=CET), author="Omar Haddad <omar@example.org>"),
        CommitSpec("Add config", {"config.yaml": "port: 80\n"}, datetime(2026, 2, 2, 10, tzinfo=CET)),
        CommitSpec("Feature work", {"src/feature.py": "x = 1\n"},
                   datetime(2026, 2, 3, 10, tzinfo=CET), branch="feature"),
        CommitSpec("Bump port", {"config.yaml": "port: 8080\n", "README.md": None},
                   datetime(2026, 2, 4, 10, tzinfo=CET)),
    ]


def _files() -> dict[str, bytes]:
    return repository_files(_history(), author=ME, root="repo")


@pytest.fixture
def ep(start_episode):
    return start_episode(("git",), family="tests/git", now=NOW, files=_files(),
                         stores={"git": GitStore(path="repo", author=ME)})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    assert ep.world.digest() == before
    return result.text


def write(ep: Episode, rel: str, text: str | bytes) -> None:
    path = ep.world.workspace / "repo" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)


def cli(root, *args: str, **extra: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, **extra}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_builder_is_deterministic_and_real_git():
    files = _files()
    assert files == _files()
    assert files["repo/.git/HEAD"] == b"ref: refs/heads/main\n"
    assert files["repo/config.yaml"] == b"port: 8080\n" and "repo/README.md" not in files
    assert "repo/src/feature.py" not in files  # on the feature branch only
    with pytest.raises(ValueError, match="no commits"):
        repository_files(_history(), author=ME, head="nope")
    with pytest.raises(ValueError, match="timezone-aware"):
        repository_files([CommitSpec("x", {"a": "b"}, datetime(2026, 1, 1))])
    with pytest.raises(ValueError, match="author must look like"):
        repository_files(_history(), author="nobody")
    with pytest.raises(ValueError, match="not a valid branch name"):
        repository_files([CommitSpec("x", {"a": "b"}, NOW, branch="bad name")])


@pytest.mark.skipif(not HAS_GIT, reason="needs the git CLI")
def test_git_cli_reads_the_built_repository(tmp_path):
    for rel, data in _files().items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    repo = tmp_path / "repo"
    cli(repo, "fsck", "--strict")
    assert cli(repo, "status", "--porcelain") == ""
    assert cli(repo, "log", "--format=%s|%an|%aI", "main").splitlines() == [
        "Bump port|Lena Novak|2026-02-04T10:00:00+01:00",
        "Add config|Lena Novak|2026-02-02T10:00:00+01:00",
        "Initial commit|Omar Haddad|2026-02-01T10:00:00+01:00"]
    assert cli(repo, "log", "--format=%s", "feature").splitlines() == [
        "Feature work", "Add config", "Initial commit"]


def test_status_sees_every_kind_of_change(ep):
    assert ok(ep, "git.status") == {"branch": "main", "detached": False,
                                    "head": repo_history(ep.world)[0].id, "staged": [],
                                    "unstaged": [], "untracked": [], "clean": True}
    write(ep, "src/app.py", "print('hello')\n")
    os.remove(ep.world.workspace / "repo/config.yaml")
    write(ep, "notes.txt", "n\n")
    write(ep, "debug.log", "ignored\n")
    write(ep, "keep.log", "negated, so not ignored\n")
    write(ep, "src/__pycache__/app.pyc", b"\0\1")
    write(ep, "build/__pycache__/x.pyc", b"\0")
    state = ok(ep, "git.status")
    assert state["unstaged"] == [{"path": "config.yaml", "change": "deleted"},
                                 {"path": "src/app.py", "change": "modified"}]
    assert state["untracked"] == ["keep.log", "notes.txt"] and not state["clean"]
    os.chmod(ep.world.workspace / "repo/src/app.py", 0o755)
    ok(ep, "git.add", paths=["src"])
    assert ok(ep, "git.status")["staged"] == [{"path": "src/app.py", "change": "modified"}]


def test_reads_change_nothing(ep):
    write(ep, "src/app.py", "print('hello')\n")
    before = ep.world.digest()
    for tool, args in [("git.status", {}), ("git.log", {}), ("git.diff", {}),
                       ("git.diff", {"staged": True}), ("git.show", {}), ("git.branch", {}),
                       ("git.show", {"revision": "HEAD~1", "path": "config.yaml"})]:
        ok(ep, tool, **args)
    assert ep.world.digest() == before


def test_add_commit_and_log(ep):
    write(ep, "src/app.py", "print('hello')\n")
    write(ep, "notes.txt", "n\n")
    write(ep, "debug.log", "x\n")
    before = ep.world.digest()
    staged = ok(ep, "git.add", paths=["."])
    assert staged == {"staged": [{"path": "notes.txt", "change": "added"},
                                 {"path": "src/app.py", "change": "modified"}]}
    assert ep.world.digest() != before
    made = ok(ep, "git.commit", message="Say hello  \n\n\nWith a body.\n\n")
    assert made["branch"] == "main" and made["subject"] == "Say hello"
    assert made["files_changed"] == 2
    top = repo_history(ep.world)[0]
    assert top.id == made["commit"] and top.author == ME
    assert top.date == "2026-03-02T09:00:00+01:00"
    assert top.message == "Say hello\n\nWith a body.\n"
    assert ok(ep, "git.status")["clean"] is True  # debug.log is ignored
    log = ok(ep, "git.log", limit=2)
    assert [c["message"].split("\n")[0] for c in log["commits"]] == ["Say hello", "Bump port"]
    assert log["more"] is True
    assert [c["message"] for c in ok(ep, "git.log", limit=5, offset=2)["commits"]] == [
        "Add config\n", "Initial commit\n"]
    assert [c["message"] for c in ok(ep, "git.log", path="config.yaml")["commits"]] == [
        "Bump port\n", "Add config\n"]
    assert [c["message"] for c in ok(ep, "git.log", revision="feature")["commits"]] == [
        "Feature work\n", "Add config\n", "Initial commit\n"]
    assert repo_tree(ep.world)["notes.txt"] == b"n\n"
    err(ep, "git.commit", "nothing to commit", message="again")
    err(ep, "git.commit", "must not be empty", message=" \n ")
    err(ep, "git.add", "ignored by .gitignore", paths=["debug.log"])
    err(ep, "git.add", "did not match any files", paths=["nope.txt"])
    err(ep, "git.add", "leaves the repository", paths=["../x"])
    err(ep, "git.add", "inside .git", paths=[".git/config"])
    err(ep, "git.add", "at least one", paths=[])
    err(ep, "git.log", "between 1 and 100", limit=0)
    err(ep, "git.log", "unknown revision", revision="nope")


def test_status_after_commit_lists_only_untracked(ep):
    write(ep, "keep.log", "k\n")
    write(ep, "src/app.py", "print(1)\n")
    ok(ep, "git.commit", message="Change app", all=True)
    assert ok(ep, "git.status")["untracked"] == ["keep.log"]
    assert repo_tree(ep.world)["src/app.py"] == b"print(1)\n"
    os.remove(ep.world.workspace / "repo/src/app.py")
    ok(ep, "git.commit", message="Drop app", all=True)
    assert "src/app.py" not in repo_tree(ep.world)


def test_commit_ids_are_deterministic(start_episode):
    made = []
    for _ in range(2):
        ep = start_episode(("git",), family="tests/git", now=NOW, files=_files(),
                           stores={"git": GitStore(path="repo", author=ME)})
        start = ep.world.digest()
        write(ep, "src/app.py", "print('hello')\n")
        ok(ep, "git.add", paths=["src/app.py"])
        sha = ok(ep, "git.commit", message="Say hello")["commit"]
        ok(ep, "git.checkout", target="topic", create=True)
        made.append((start, sha, ep.world.digest()))
    assert made[0] == made[1]


@pytest.mark.skipif(not HAS_GIT, reason="needs the git CLI")
def test_commit_id_equals_the_git_cli(ep, tmp_path):
    for rel, data in _files().items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (tmp_path / "repo/src/app.py").write_text("print('hello')\n")
    when = NOW.isoformat()
    cli(tmp_path / "repo", "add", "src/app.py")
    cli(tmp_path / "repo", "commit", "-q", "-m", "Say hello", GIT_AUTHOR_NAME="Lena Novak",
        GIT_AUTHOR_EMAIL="lena.novak@example.org", GIT_COMMITTER_NAME="Lena Novak",
        GIT_COMMITTER_EMAIL="lena.novak@example.org", GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_DATE=when)
    expected = cli(tmp_path / "repo", "rev-parse", "HEAD").strip()
    write(ep, "src/app.py", "print('hello')\n")
    ok(ep, "git.add", paths=["src/app.py"])
    assert ok(ep, "git.commit", message="Say hello")["commit"] == expected
    cli(ep.world.workspace / "repo", "fsck", "--strict")
    assert cli(ep.world.workspace / "repo", "status", "--porcelain") == ""


def test_diff_modes(ep):
    assert ok(ep, "git.diff") == "no changes"
    write(ep, "src/app.py", "print('hi')\nprint('more')")
    unstaged = ok(ep, "git.diff")
    new_id = Blob.from_string(b"print('hi')\nprint('more')").id.decode()[:7]
    assert unstaged.splitlines() == [
        "diff --git a/src/app.py b/src/app.py", f"index 9f1b437..{new_id} 100644",
        "--- a/src/app.py", "+++ b/src/app.py", "@@ -1 +1,2 @@", " print('hi')",
        "+print('more')", "\\ No newline at end of file"]
    assert ok(ep, "git.diff", staged=True) == "no changes"
    ok(ep, "git.add", paths=["src/app.py"])
    assert ok(ep, "git.diff") == "no changes"
    assert ok(ep, "git.diff", staged=True) == unstaged
    assert ok(ep, "git.diff", base="HEAD~1", name_only=True) == \
        "D\tREADME.md\nM\tconfig.yaml\nM\tsrc/app.py"
    between = ok(ep, "git.diff", base="HEAD~1", target="HEAD")
    assert "deleted file mode 100644" in between and "-port: 80\n+port: 8080" in between
    assert ok(ep, "git.diff", base="HEAD~1", target="HEAD", path="config.yaml").startswith(
        "diff --git a/config.yaml")
    assert ok(ep, "git.diff", base="main", target="feature", name_only=True) == \
        "A\tREADME.md\nM\tconfig.yaml\nA\tsrc/feature.py"
    assert ok(ep, "git.diff", base="HEAD", name_only=True) == "M\tsrc/app.py"
    write(ep, "data.bin", b"\0\1\2")
    ok(ep, "git.add", paths=["data.bin"])
    assert "Binary files /dev/null and b/data.bin differ" in ok(ep, "git.diff", staged=True)
    err(ep, "git.diff", "target needs base", target="HEAD")
    err(ep, "git.diff", "between 0 and 20", context=21)


def test_diff_context_and_size_limit(ep):
    pad = "x" * 30
    write(ep, "big.txt", "".join(f"line {i} {pad}\n" for i in range(1500)))
    ok(ep, "git.add", paths=["big.txt"])
    ok(ep, "git.commit", message="Big file")
    write(ep, "big.txt", "".join(f"line {i} {pad}{'!' if i % 2 else ''}\n" for i in range(1500)))
    text = ok(ep, "git.diff")
    assert len(text) <= MAX_OUTPUT_CHARS + 200 and "diff cut at" in text
    write(ep, "big.txt", "".join(f"line {i} {pad}{'!' if i == 10 else ''}\n"
                                 for i in range(1500)))
    hunk = ok(ep, "git.diff", context=1).splitlines()
    assert hunk[4:] == ["@@ -10,3 +10,3 @@", f" line 9 {pad}", f"-line 10 {pad}",
                        f"+line 10 {pad}!", f" line 11 {pad}"]


def test_show_commits_and_files(ep):
    text = ok(ep, "git.show")
    assert text.startswith(f"commit {repo_history(ep.world)[0].id}\nAuthor: {ME}\n"
                           "Date:   2026-02-04T10:00:00+01:00\n\n    Bump port\n\n")
    assert "diff --git a/README.md b/README.md\ndeleted file mode 100644" in text
    root = ok(ep, "git.show", revision=repo_history(ep.world)[-1].id[:8])
    assert "new file mode 100644" in root and "+# Demo" in root
    assert ok(ep, "git.show", revision="HEAD~1", path="config.yaml") == "port: 80\n"
    assert ok(ep, "git.show", revision="feature", path="src") == "src/app.py\nsrc/feature.py"
    err(ep, "git.show", "does not exist at", path="README.md")
    err(ep, "git.show", "goes past the first commit", revision="HEAD~9")
    err(ep, "git.show", "not valid", revision="HEAD~x")


def test_branches_and_checkout(ep):
    listed = ok(ep, "git.branch")
    assert [(b["name"], b["current"], b["subject"]) for b in listed["branches"]] == [
        ("feature", False, "Feature work"), ("main", True, "Bump port")]
    assert ok(ep, "git.create_branch", name="fix/port", start_point="HEAD~1").startswith(
        "Created branch 'fix/port' at ")
    err(ep, "git.create_branch", "already exists", name="fix/port")
    err(ep, "git.create_branch", "not a valid branch name", name="bad name")
    err(ep, "git.create_branch", "not a valid branch name", name="-x")
    err(ep, "git.create_branch", "clashes", name="fix")
    assert ok(ep, "git.checkout", target="fix/port") == "Switched to branch 'fix/port'"
    assert (ep.world.workspace / "repo/config.yaml").read_text() == "port: 80\n"
    assert (ep.world.workspace / "repo/README.md").read_text() == "# Demo\n"
    assert ok(ep, "git.status")["clean"]
    assert ok(ep, "git.checkout", target="fix/port") == "Already on 'fix/port'"
    ok(ep, "git.checkout", target="feature")
    assert (ep.world.workspace / "repo/src/feature.py").exists()
    ok(ep, "git.checkout", target="main")
    assert not (ep.world.workspace / "repo/src/feature.py").exists()
    detached = ok(ep, "git.checkout", target="HEAD~1")
    assert detached.startswith("Switched to detached HEAD at ")
    assert ok(ep, "git.status")["detached"] is True
    write(ep, "notes.txt", "n\n")
    ok(ep, "git.add", paths=["notes.txt"])
    made = ok(ep, "git.commit", message="On a detached HEAD")
    assert made["branch"] is None and repo_history(ep.world)[0].id == made["commit"]
    err(ep, "git.checkout", "unknown revision", target="nope")


def test_checkout_keeps_or_refuses_local_changes(ep):
    write(ep, "src/app.py", "print('wip')\n")
    # the file is the same on both commits, so the change comes along
    text = ok(ep, "git.checkout", target="topic", create=True)
    assert text.startswith("Switched to a new branch 'topic'") and "src/app.py" in text
    assert (ep.world.workspace / "repo/src/app.py").read_text() == "print('wip')\n"
    write(ep, "config.yaml", "port: 1\n")
    err(ep, "git.checkout", "would overwrite local changes or files in the way: config.yaml",
        target="feature")
    write(ep, "config.yaml", "port: 8080\n")
    write(ep, "src/feature.py", "untracked in the way\n")
    err(ep, "git.checkout", "src/feature.py", target="feature")
    err(ep, "git.checkout", "already exists", target="main", create=True)


def test_reset_unstages(ep):
    write(ep, "src/app.py", "print('hello')\n")
    write(ep, "notes.txt", "n\n")
    ok(ep, "git.add", paths=["."])
    assert ok(ep, "git.reset", paths=["notes.txt"]) == {"unstaged": ["notes.txt"]}
    assert ok(ep, "git.status")["staged"] == [{"path": "src/app.py", "change": "modified"}]
    assert ok(ep, "git.reset") == {"unstaged": ["src/app.py"]}
    state = ok(ep, "git.status")
    assert state["staged"] == [] and state["untracked"] == ["notes.txt"]
    assert (ep.world.workspace / "repo/src/app.py").read_text() == "print('hello')\n"


def test_no_repository_and_damaged_ones(start_episode, tmp_path):
    bare = start_episode(("git",), family="tests/git", now=NOW, files={"a.txt": b"a"},
                         stores={"git": GitStore(path=".")})
    err(bare, "git.status", "no Git repository at the workspace root")
    linked = start_episode(("git",), family="tests/git", now=NOW, files={},
                           stores={"git": GitStore(path="repo")})
    os.makedirs(linked.world.workspace / "repo")
    os.symlink(tmp_path, linked.world.workspace / "repo/.git")
    err(linked, "git.status", "no Git repository")
    with pytest.raises(GradeError, match="no Git repository"):
        repo_status(bare.world)


def test_hostile_repository_content_is_contained(ep, tmp_path):
    git_dir = ep.world.workspace / "repo/.git"
    marker = tmp_path / "ran"
    hook = git_dir / "hooks/pre-commit"
    hook.parent.mkdir()
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with open(git_dir / "config", "a") as handle:
        handle.write(f"\tfsmonitor = touch {marker}\n\thooksPath = hooks\n")
    write(ep, "src/app.py", "print('hello')\n")
    ok(ep, "git.add", paths=["."])
    ok(ep, "git.commit", message="Hooks do not run")
    assert not marker.exists()
    # objects elsewhere are never consulted: an alternates file cannot stand in for one
    sha = repo_history(ep.world)[0].id
    other = tmp_path / "other/objects"
    shutil.copytree(git_dir / "objects", other)
    (git_dir / "objects/info").mkdir(exist_ok=True)
    (git_dir / "objects/info/alternates").write_text(f"{other}\n")
    moved = git_dir / f"objects/{sha[:2]}/{sha[2:]}"
    kept = moved.read_bytes()
    moved.unlink()
    err(ep, "git.log", f"object {sha} is missing")
    moved.write_bytes(kept)
    # a decompression bomb stops at the size limit
    bomb = git_dir / f"objects/{sha[:2]}/{sha[2:]}"
    bomb.chmod(0o644)
    bomb.write_bytes(zlib.compress(b"blob 99999999\0" + b"\0" * 30_000_000, 9))
    started = time.monotonic()
    err(ep, "git.log", "damaged")
    assert time.monotonic() - started < 5
    # an emptied object file: dulwich's own error class, a damaged repository all the same
    bomb.write_bytes(b"")
    err(ep, "git.log", "damaged")
    with pytest.raises(GradeError, match="damaged"):
        repo_history(ep.world)


def test_graders_read_the_repository(ep):
    history = repo_history(ep.world)
    assert [c.message for c in history] == ["Bump port\n", "Add config\n", "Initial commit\n"]
    assert history[-1].author == "Omar Haddad <omar@example.org>"
    assert repo_tree(ep.world, "feature")["src/feature.py"] == b"x = 1\n"
    assert repo_status(ep.world)["untracked"] == []
    with pytest.raises(GradeError, match="unknown revision"):
        repo_tree(ep.world, "nope")


def test_gitignore_rules():
    rules = _Ignores(_parse_ignore(
        "# comment\n*.pyc\n/build/\ndocs/**/*.tmp\n!important.pyc\nlogs/**\n\\#hash\n"
        "a/**/b\n[abc]x.txt\n", ""))
    ignored = ["x.pyc", "deep/er/y.pyc", "build/out.o", "docs/a/b/c.tmp", "docs/c.tmp",
               "logs/today.txt", "#hash", "a/b", "a/x/y/b", "bx.txt"]
    kept = ["important.pyc", "src/build/out.o", "build", "docs.tmp", "logs", "hash",
            "a/c", "dx.txt"]
    assert [p for p in ignored if not rules.ignored(p)] == []
    assert [p for p in kept if rules.ignored(p)] == []
    nested = _Ignores(_parse_ignore("*.log\n", "") + _parse_ignore("!keep.log\n", "sub"))
    assert nested.ignored("a.log") and nested.ignored("keep.log")
    assert not nested.ignored("sub/keep.log") and nested.ignored("sub/other.log")


def test_gitignore_matching_stays_linear():
    rules = _Ignores(_parse_ignore("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n" * 50, ""))
    started = time.monotonic()
    assert not rules.ignored("a" * 200)
    assert time.monotonic() - started < 2


def test_costly_gitignore_rules_hit_a_budget(ep):
    write(ep, ".gitignore", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*?\n" * 400)
    for i in range(10):
        write(ep, f"{'b' * 200}{i}", "x\n")
    started = time.monotonic()
    err(ep, "git.status", "simplify them")
    assert time.monotonic() - started < 10


async def test_mcp_path_gives_the_same_results(start_episode):
    served, direct = (start_episode(("git",), family="tests/git", now=NOW, files=_files(),
                                    stores={"git": GitStore(path="repo", author=ME)})
                      for _ in range(2))
    for ep in (served, direct):
        write(ep, "src/app.py", "print('ünïcode ✓')\n")
    calls = [("git.status", {}), ("git.diff", {}), ("git.add", {"paths": ["."]}),
             ("git.commit", {"message": "Unicode greeting"}), ("git.log", {"limit": 2}),
             ("git.checkout", {"target": "feature"}), ("git.show", {"revision": "main"}),
             ("git.add", {"paths": ["nope"]})]
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name.replace(".", "_"), args)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text)
    assert served.world.digest() == direct.world.digest()


@pytest.mark.skipif(not HAS_GIT, reason="needs the git CLI")
def test_packs_are_refused_with_the_way_back(ep):
    repo = ep.world.workspace / "repo"
    cli(repo, "gc", "-q")
    text = err(ep, "git.log", "pack files")
    command = text.split("in the terminal: ", 1)[1]
    done = subprocess.run(["sh", "-c", command], cwd=repo, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "HOME": str(repo)}, check=False)
    assert done.returncode == 0, done.stderr
    assert [c["message"] for c in ok(ep, "git.log")["commits"]] == [
        "Bump port\n", "Add config\n", "Initial commit\n"]  # packed-refs are read too
