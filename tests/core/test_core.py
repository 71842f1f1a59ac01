import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from minimal_family import NoteTotal
from pydantic import ValidationError

from workgym.checks import FamilyCheckError, check_family
from workgym.core import (
    App,
    Grade,
    Store,
    TaskSpec,
    UnknownFamilyError,
    get_family,
    make,
    run_plan,
    tool,
)
from workgym.core._grading import Criterion, CriterionResult, InvalidGradeError


def test_spec_round_trip_and_content_hash():
    spec = TaskSpec(family="office/x", version=2, seed=7, difficulty="hard", richness=0.25)
    again = TaskSpec.from_json(spec.to_json())
    assert again == spec and again.id == spec.id
    assert spec.family_id == "office/x-v2"
    assert spec.id != spec.model_copy(update={"seed": 8}).id
    with pytest.raises(ValueError):
        TaskSpec(family="no-category", version=1, seed=0)
    with pytest.raises(ValidationError):
        spec.seed = 3  # frozen


def test_unknown_and_outdated_ids_list_what_exists():
    with pytest.raises(UnknownFamilyError, match="Registered families"):
        get_family("nope/nothing-v1")
    with pytest.raises(UnknownFamilyError, match="examples/note-total-v1"):
        get_family("examples/note-total-v9")
    with pytest.raises(UnknownFamilyError, match="needs a version"):
        get_family("examples/note-total")


def test_episode_calls_grades_and_logs():
    task = make("examples/note-total-v1", seed=3, difficulty="easy")
    with task.start() as ep:
        assert {t["function"]["name"] for t in ep.tools("openai")} >= {"files_read", "files_write"}
        assert {t["name"] for t in ep.tools("mcp")} >= {"files_read", "files_write"}
        assert ep.grade().score == 0.0
        text = ep.call("files_read", '{"path": "notes/amounts.txt"}').text
        total = sum(int(line.split(": ")[1]) for line in text.splitlines())
        assert ep.call("files.write", {"path": "total.txt", "content": str(total)}).ok
        grade = ep.grade()
        assert grade.passed and grade.score == 1.0 and grade.reward("binary") == 1.0
        assert [c.name for c in ep.calls] == ["files.read", "files.write"]


def test_bad_calls_are_tool_errors_and_the_episode_goes_on():
    with make("examples/note-total-v1", seed=1).start() as ep:
        cases = [
            ("files.read", "{not json", "invalid_json"),
            ("files.nope", {}, "unknown_tool"),
            ("files.read", {}, "invalid_args"),
            ("files.read", {"path": 5}, "invalid_args"),
            ("files.read", {"path": "x", "extra": 1}, "invalid_args"),
            ("files.read", {"path": "../etc/passwd"}, "tool_error"),
            ("files.read", {"path": "/etc/passwd"}, "tool_error"),
            ("files.read", {"path": "missing.txt"}, "tool_error"),
        ]
        for name, args, kind in cases:
            result = ep.call(name, args)
            assert not result.ok and result.text.startswith("error:"), (name, args)
            assert ep.calls[-1].error == kind, (name, args, ep.calls[-1])
        assert ep.call("files.read", {"path": "notes/amounts.txt"}).ok


def test_symlink_escape_is_refused_and_graded_closed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("42")
    with make("examples/note-total-v1", seed=1).start() as ep:
        (ep.world.workspace / "total.txt").symlink_to(secret)
        assert not ep.call("files.read", {"path": "total.txt"}).ok
        result = ep.grade().criteria[0]
        assert result.passed is False and "symbolic link" in result.evidence


def test_guard_gates_and_reward_schemes():
    def result(name, passed, guard=False, weight=1.0):
        return CriterionResult(name=name, kind="state", weight=weight, guard=guard,
                               passed=passed, evidence="")

    grade = Grade(criteria=[result("a", True), result("b", False, weight=3)], n_calls=5,
                  reference_calls=3)
    assert grade.score == 0.25 and grade.reward("binary") == 0.0 and grade.reward("gamma") == 0.0
    gated = Grade(criteria=[result("a", True), result("g", False, guard=True)])
    assert gated.score == 0.0 and gated.gated
    full = Grade(criteria=[result("a", True)], n_calls=5, reference_calls=3)
    assert full.reward("gamma", gamma=0.5) == 0.25
    unscored = Grade(criteria=[result("a", True), result("b", None)])
    assert unscored.unscored == ["b"] and not unscored.valid and not unscored.passed
    with pytest.raises(InvalidGradeError):  # never rescaled over the scored criteria
        unscored.reward("dense")
    assert json.loads(full.model_dump_json())["score"] == 1.0
    with pytest.raises(ValueError):
        full.reward("sparse")  # type: ignore[arg-type]


def test_grader_exception_is_unscored_not_zero():
    def broken(ctx):
        raise KeyError("bug")

    crit = Criterion("broken", broken)
    task = make("examples/note-total-v1", seed=0)
    with task.start() as ep:
        from workgym.core import GradeContext

        ctx = GradeContext(ep.world, ep.calls, None, ep.world.snapshot())
        assert crit.evaluate(ctx).passed is None


def test_digest_tracks_every_change():
    task = make("examples/note-total-v1", seed=2)
    with task.start() as a, task.start() as b:
        assert a.world.digest() == b.world.digest()
        a.call("files.write", {"path": "x.txt", "content": "hi"})
        assert a.world.digest() != b.world.digest()
    with run_plan(task) as solved:
        assert solved.grade().passed


def test_check_family_passes_a_good_family_and_catches_a_bad_one():
    assert check_family(NoteTotal(), seeds=5).ok

    class Broken(NoteTotal):
        def generate(self, spec):
            task = super().generate(spec)
            return type(task)(**{**task.__dict__, "reference": task.reference[:1]})

    with pytest.raises(FamilyCheckError, match="reference scores 0.000"):
        check_family(Broken(), seeds=2, fresh_process=False)


def test_closure_needs_the_artifact_written():
    task = make("examples/note-total-v1", seed=2)
    with task.start() as ep:
        assert ep.artifacts_written() is False
        ep.call("files.write", {"path": "total.txt", "content": "1"})
        assert ep.artifacts_written() is True


def test_closure_refuses_an_artifact_that_is_a_link_or_a_folder():
    task = make("examples/note-total-v1", seed=2)
    with task.start() as ep:
        (ep.world.workspace / "elsewhere.txt").write_text("1")
        (ep.world.workspace / "total.txt").symlink_to("elsewhere.txt")
        assert ep.artifacts_written() is False
    with task.start() as ep:
        (ep.world.workspace / "total.txt").mkdir()
        assert ep.artifacts_written() is False


class _Counter(App):
    """A test app whose tool updates world state in two steps (read, then write)."""

    name = "counter"

    @tool
    def bump(self) -> int:
        """Add one to the counter."""
        store = self.world.stores.setdefault("counter", _CounterStore())
        seen = store.value
        time.sleep(0.002)  # let another thread in between the read and the write
        store.value = seen + 1
        return store.value


class _CounterStore(Store):
    value: int = 0


def test_calls_of_one_episode_take_turns_unless_marked_concurrent():
    from workgym.core import Task, TaskSpec, WorldTemplate

    spec = TaskSpec(family="tests/counter", version=1, seed=0)
    task = Task(spec=spec, prompt="Count.", apps=("counter", "files"),
                template=WorldTemplate(now=datetime(2026, 1, 5, tzinfo=UTC)), criteria=(),
                reference=())
    with task.start() as ep, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ep.call("counter.bump", {}), range(16)))
        assert sorted(r.value for r in results) == list(range(1, 17))
        assert ep.apps["files"].tool_specs()["read"].concurrent
        assert not ep.apps["files"].tool_specs()["write"].concurrent
