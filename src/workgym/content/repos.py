"""Git repositories for tasks: the id a planned commit will get, and what a branch holds.

Families that ask for work on a branch need two things the git app leaves to them: the
commit id the reference's own commit will have (so a reference can name it in a ticket
comment or a chat post before it exists), and, for graders, the commits a branch added on
top of where it started, with the tree at its tip. Both go through the git app's own
builder and readers, so the ids agree byte for byte with what ``git.commit`` makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workgym.apps.git import CommitInfo, CommitSpec, repo_history, repo_tree, repository_files
from workgym.core import GradeError, World

__all__ = ["BranchWork", "branch_head", "branch_work", "planned_commit", "ref_tip"]

MAX_NEW_COMMITS = 50
"""Most commits a branch may add for a grader to read them."""


def ref_tip(files: dict[str, bytes], branch: str, root: str = "") -> str:
    """The commit a branch points at in ``repository_files`` output."""
    prefix = f"{root.strip('/')}/" if root.strip("/") else ""
    return files[f"{prefix}.git/refs/heads/{branch}"].decode("ascii").strip()


def planned_commit(history: Sequence[CommitSpec], commit: CommitSpec, *, author: str) -> str:
    """The id ``git.commit`` will give ``commit`` when it is made on top of ``history``
    (its branch starting at main's tip), with ``commit.author`` as the store's author and
    ``commit.date`` as the world's clock."""
    return ref_tip(repository_files([*history, commit], author=author), commit.branch)


@dataclass(frozen=True)
class BranchWork:
    """What a branch added on top of its base."""

    tip: str
    """The branch's commit id."""
    commits: tuple[CommitInfo, ...]
    """The commits after the base, newest first (first parents)."""
    tree: dict[str, bytes]
    """Every file at the tip."""

    def subjects(self) -> list[str]:
        return [c.message.split("\n", 1)[0] for c in self.commits]

    def changed(self, base: dict[str, bytes]) -> dict[str, bytes | None]:
        """Paths whose content differs from ``base`` (None: deleted at the tip)."""
        out: dict[str, bytes | None] = {}
        for path in sorted(set(base) | set(self.tree)):
            if base.get(path) != self.tree.get(path):
                out[path] = self.tree.get(path)
        return out


def branch_work(world: World, branch: str, base: str) -> BranchWork:
    """The commits ``branch`` holds on top of commit ``base`` (for graders).

    Raises:
        GradeError: no such branch, a branch that does not descend from ``base`` along
            first parents within ``MAX_NEW_COMMITS``, no new commit, or damaged data.
    """
    ref = f"refs/heads/{branch}"
    try:
        history = repo_history(world, ref, limit=MAX_NEW_COMMITS + 1)
    except GradeError as exc:
        raise GradeError(f"branch {branch!r}: {exc}") from None
    ids = [c.id for c in history]
    if base not in ids:
        raise GradeError(f"branch {branch!r} does not start from main's commit {base[:7]} "
                         f"(or adds more than {MAX_NEW_COMMITS} commits)")
    new = tuple(history[:ids.index(base)])
    if not new:
        raise GradeError(f"branch {branch!r} has no commit of its own")
    return BranchWork(tip=new[0].id, commits=new, tree=repo_tree(world, ref))


def branch_head(world: World, branch: str) -> str:
    """The commit a branch points at (for graders).

    Raises:
        GradeError: no such branch, or damaged data.
    """
    return repo_history(world, f"refs/heads/{branch}", limit=1)[0].id
