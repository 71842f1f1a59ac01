"""Task families, their levels, the registry (built-in, imported and installed), and ``make``."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import os
import pkgutil
import re
import sys
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel

from workgym.core._app import App
from workgym.core._episode import Episode
from workgym.core._grading import Criterion
from workgym.core._spec import DIFFICULTIES, Difficulty, TaskSpec
from workgym.core._variant import Instructions, paraphrase, parse_variant
from workgym.core._world import WorldTemplate

ENTRY_POINT_GROUP = "workgym.families"
"""Installed packages register families under this entry-point group (see docs/families.md)."""
HARD_MIN_CALLS = 25
"""Fewest tool calls a ``hard`` reference solution may take."""
_ID = re.compile(r"^(?P<family>[a-z0-9_-]+/[a-z0-9_-]+?)-v(?P<version>\d+)$")

K = TypeVar("K", bound=BaseModel)


@dataclass(frozen=True)
class ToolCall:
    """One step of a reference solution."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    items: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """Arguments that carry required items of the answer, for ``check_family``'s near-miss
    probe: each maps to the items it holds (whole lines of a text, elements of a list,
    entries of a dict, or the scalar itself); an empty tuple means all of them. The probe
    makes one item wrong, drops one, or repeats one, and the grade must notice."""


@dataclass(frozen=True)
class Task:
    """A generated task: prompt, world template, criteria and reference solution."""

    spec: TaskSpec
    prompt: str
    apps: tuple[str, ...]
    template: WorldTemplate
    criteria: tuple[Criterion, ...]
    reference: tuple[ToolCall, ...]
    """A plan of tool calls that solves the task."""
    reference_answer: str | None = None
    artifacts: tuple[str, ...] = ()
    """Workspace files the task requires the agent to write or change (task closure)."""
    instructions: Instructions | None = None
    """The prompt declared in parts (``prompt`` is then ``instructions.text()``), so that
    phrasings can reword requirements and reorder them; see ``workgym.core.paraphrase``."""

    def __post_init__(self) -> None:
        if self.instructions is not None and self.instructions.text() != self.prompt:
            raise ValueError("a Task with instructions needs prompt=instructions.text()")

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def blocking(self) -> bool:
        """Whether an app of the task may hold a call for long (``App.blocking``): the
        episode loop then runs the task's world work in a thread."""
        return any(app in App.registry and App.registry[app].blocking for app in self.apps)

    def start(self, root: Path | None = None) -> Episode:
        """A fresh episode over a newly materialized world."""
        world = self.template.materialize(root)
        # a new folder holds exactly the template's files: their hashes need no read-back
        hashes = self.template.fresh_file_hashes() if root is None else None
        return Episode(self, world, hashes)


@dataclass(frozen=True)
class Level(Generic[K]):
    """One named difficulty: its knobs, and what its reference solution takes.

    ``check_family`` holds every task of the level to ``calls`` and ``apps``.
    """

    knobs: K
    calls: int
    """Fewest tool calls the reference solution takes at this level (``hard``: 25+)."""
    apps: int | None = None
    """Fewest distinct apps the reference solution uses; None: every app of the family."""

    def __post_init__(self) -> None:
        if not isinstance(self.knobs, BaseModel):
            raise TypeError("Level knobs must be a pydantic model, got "
                            f"{type(self.knobs).__name__}")
        if self.calls < 1:
            raise ValueError(f"Level calls must be at least 1, got {self.calls}")
        if self.apps is not None and self.apps < 1:
            raise ValueError(f"Level apps must be at least 1, got {self.apps}")


@dataclass(frozen=True)
class Levels(Generic[K]):
    """The three named levels of a family, each a :class:`Level` over one knobs type.

    Example:
        >>> levels = Levels(easy=Level(Knobs(items=3), calls=4),
        ...                 medium=Level(Knobs(items=8), calls=10),
        ...                 hard=Level(Knobs(items=24), calls=26))
    """

    easy: Level[K]
    medium: Level[K]
    hard: Level[K]

    def __getitem__(self, difficulty: Difficulty) -> Level[K]:
        if difficulty not in DIFFICULTIES:
            raise KeyError(f"no level {difficulty!r}; levels are {', '.join(DIFFICULTIES)}")
        level: Level[K] = getattr(self, difficulty)
        return level

    def __iter__(self) -> Iterator[Difficulty]:
        return iter(DIFFICULTIES)

    def items(self) -> list[tuple[Difficulty, Level[K]]]:
        return [(d, self[d]) for d in DIFFICULTIES]


class TaskFamily(ABC, Generic[K]):
    """A procedural generator of tasks, generic over its knobs type.

    Subclass ``TaskFamily[Knobs]``, set the class attributes, implement ``generate`` and
    decorate with ``@register_family``; docs/families.md walks through it.
    """

    name: ClassVar[str]
    """``category/name``."""
    version: ClassVar[int]
    apps: ClassVar[tuple[str, ...]]
    levels: Levels[K]
    """The knobs and reference length of ``easy``, ``medium`` and ``hard``."""
    variants: ClassVar[tuple[str, ...]] = ("default",)
    """Interface variants the family generates; a spec naming another is refused."""
    transfer_side: ClassVar[Literal["train", "test"] | None] = None
    """Which side of the ``transfer`` split the family is on (``workgym.agent.SPLITS``):
    None leaves it to the category (``workgym.agent.TRANSFER_TEST_CATEGORIES``)."""

    @classmethod
    def family_id(cls) -> str:
        return f"{cls.name}-v{cls.version}"

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def knobs(self, spec: TaskSpec) -> K:
        """The knobs of ``spec``'s level."""
        return self.levels[spec.difficulty].knobs

    def spec(
        self,
        seed: int,
        difficulty: Difficulty = "medium",
        richness: float = 0.5,
        variant: str = "default",
    ) -> TaskSpec:
        return TaskSpec(
            family=self.name,
            version=self.version,
            seed=seed,
            difficulty=difficulty,
            richness=richness,
            variant=variant,
        )

    def task(self, spec: TaskSpec) -> Task:
        """The task for ``spec`` (generated once, then cached).

        The spec's dialect and phrasing (``workgym.core.Variant``) apply to every family:
        ``generate`` sees the spec with only the family's own variant, and the prompt of
        the task it returns is paraphrased; the episode applies the dialect.

        Raises:
            ValueError: the spec is for another family or names a variant this family
                does not generate.
        """
        if spec.family_id != self.family_id():
            raise ValueError(f"spec is for {spec.family_id}, not {self.family_id()}")
        variant = parse_variant(spec.variant)
        if variant.family not in self.variants:
            raise ValueError(f"{self.family_id()} has no variant {variant.family!r}; "
                             f"its variants are {', '.join(self.variants)} (dialect= and "
                             "phrasing= apply to every family)")
        if variant.interface_only:
            return _generate(self, spec)
        return _interface(self, spec)

    @abstractmethod
    def generate(self, spec: TaskSpec) -> Task:
        """Build the task: a pure function of ``spec``."""


@functools.lru_cache(maxsize=1024)
def _generate(family: TaskFamily[Any], spec: TaskSpec) -> Task:
    return family.generate(spec)


@functools.lru_cache(maxsize=1024)
def _interface(family: TaskFamily[Any], spec: TaskSpec) -> Task:
    """The task of the family's own variant, posed through the spec's dialect and
    phrasing: the same world, criteria and reference, its prompt paraphrased (the
    episode applies the dialect)."""
    variant = parse_variant(spec.variant)
    plain = _generate(family, spec.model_copy(update={"variant": variant.family}))
    prompt = paraphrase(plain.prompt, variant.phrasing, instructions=plain.instructions,
                        key=(spec.family, spec.version, spec.seed, spec.difficulty))
    instructions = plain.instructions if variant.phrasing == 0 else None
    return dataclasses.replace(plain, spec=spec, prompt=prompt, instructions=instructions)


class UnknownFamilyError(LookupError):
    """An id that is not registered; the message lists what exists."""


@dataclass(frozen=True)
class DiscoveryProblem:
    """Something that kept families from loading: the others load all the same."""

    where: str
    """The module, folder or entry point concerned."""
    message: str
    """What went wrong and how to fix it."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class FamilyDiscoveryWarning(UserWarning):
    """A family module failed to import, or a family folder lacks ``__init__.py``."""


_REGISTRY: dict[str, type[TaskFamily[Any]]] = {}
_INSTANCES: dict[str, TaskFamily[Any]] = {}
_PROBLEMS: dict[str, DiscoveryProblem] = {}
_discovered = False
_lock = threading.RLock()

F = TypeVar("F", bound=type[TaskFamily[Any]])


def register_family(cls: F) -> F:
    """Class decorator: register a TaskFamily under ``category/name-vN``.

    Raises:
        TypeError: a class attribute is missing or ``levels`` is not a ``Levels``.
        ValueError: a malformed name or variant list, or an id registered twice.
    """
    for attr in ("name", "version", "apps", "levels"):
        if not hasattr(cls, attr):
            raise TypeError(f"{cls.__name__} must set class attribute {attr!r}")
    if not re.match(r"^[a-z0-9_-]+/[a-z0-9_-]+$", cls.name):
        raise ValueError(f"family name must look like 'category/name', got {cls.name!r}")
    levels = vars(cls).get("levels", getattr(cls, "levels", None))
    if not isinstance(levels, Levels):
        raise TypeError(
            f"{cls.name}: levels must be a Levels, got {type(levels).__name__}; declare "
            "levels = Levels(easy=Level(Knobs(...), calls=N), medium=..., hard=...)")
    if "default" not in cls.variants or len(set(cls.variants)) != len(cls.variants):
        raise ValueError(f"{cls.name}: variants must be distinct and include 'default', "
                         f"got {cls.variants}")
    key = cls.family_id()
    existing = _REGISTRY.get(key)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"{key} is registered twice ({existing.__module__}, {cls.__module__})")
    _REGISTRY[key] = cls
    _INSTANCES.pop(key, None)
    return cls


def _problem(where: str, message: str) -> None:
    if where not in _PROBLEMS:
        _PROBLEMS[where] = DiscoveryProblem(where, message)
        warnings.warn(f"{where}: {message}", FamilyDiscoveryWarning, stacklevel=3)


def _import_error(exc: BaseException) -> str:
    return f"failed to import ({type(exc).__name__}: {exc}); its families are not registered"


def load_family_package(package: str) -> list[DiscoveryProblem]:
    """Import every module of ``package`` and its sub-packages, registering their families.

    A module that fails to import is reported (and skipped) while the others load; so is
    a folder with Python files but no ``__init__.py``, whose modules would otherwise be
    skipped without a word.

    Returns:
        The problems found in this package (also kept for :func:`discovery_problems`).
    """
    with _lock:
        before = set(_PROBLEMS)
        try:
            root = importlib.import_module(package)
        except Exception as exc:  # noqa: BLE001 - reported by name, the others still load
            _problem(package, _import_error(exc))
            return [_PROBLEMS[k] for k in _PROBLEMS if k not in before]
        paths = list(getattr(root, "__path__", []))
        for base in paths:
            for folder, dirs, files in os.walk(base):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
                if folder != base and "__init__.py" not in files and any(
                        f.endswith(".py") for f in files):
                    rel = os.path.relpath(folder, base).replace(os.sep, "/")
                    _problem(f"{package}/{rel}", "folder has Python files but no __init__.py, "
                             "so its families are not loaded; add an empty __init__.py")
                    dirs[:] = []

        def failed_package(name: str) -> None:
            _problem(name, _import_error(sys.exc_info()[1] or ImportError(name)))

        for info in pkgutil.walk_packages(paths, root.__name__ + ".", onerror=failed_package):
            if info.name in sys.modules:
                continue
            try:
                importlib.import_module(info.name)
            except Exception as exc:  # noqa: BLE001 - reported by name, the others still load
                _problem(info.name, _import_error(exc))
        return [_PROBLEMS[k] for k in _PROBLEMS if k not in before]


def import_families(modules: Sequence[str]) -> None:
    """Import modules (or packages, walked like the built-in one) that register families,
    as ``--import`` does. The current folder is searched first, as ``python -m`` does; a
    path to a ``.py`` file is imported by its name from its folder.

    Raises:
        ImportError: a module cannot be imported; the message says how to fix it.
    """
    for given in modules:
        name = given
        if given.endswith(".py"):
            path = Path(given).resolve()
            if not path.is_file():
                raise ImportError(f"--import {given!r}: no such file")
            folder, name = str(path.parent), path.stem
        else:
            folder = os.getcwd()
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise ImportError(
                f"--import {given!r} failed: {type(exc).__name__}: {exc}. Give a module name "
                "that Python can import from the current folder or PYTHONPATH (or a path to "
                "a .py file), or install the package that holds it.") from exc
        if hasattr(module, "__path__"):
            load_family_package(name)
    _discover()


def _discover() -> None:
    """Import built-in families (package scan) and third-party ones (entry points)."""
    global _discovered
    with _lock:
        if _discovered:
            return
        _discovered = True
        load_family_package("workgym.families")
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = ep.load()
            except Exception as exc:  # noqa: BLE001 - reported by name, the others still load
                _problem(f"entry point {ep.name} = {ep.value}", _import_error(exc))
                continue
            module = getattr(loaded, "__name__", "")
            if hasattr(loaded, "__path__") and module:
                load_family_package(module)


def discovery_problems() -> list[DiscoveryProblem]:
    """What kept families from loading (failed imports, folders without ``__init__.py``)."""
    _discover()
    return list(_PROBLEMS.values())


def family_ids() -> list[str]:
    """Every registered family id, sorted."""
    _discover()
    return sorted(_REGISTRY)


def get_family(family_id: str) -> TaskFamily[Any]:
    """The family registered as ``family_id`` (e.g. ``office/library-catalogue-v1``).

    Raises:
        UnknownFamilyError: unknown or outdated id, with the ids that exist.
    """
    _discover()
    if family_id in _REGISTRY:
        with _lock:
            if family_id not in _INSTANCES:
                _INSTANCES[family_id] = _REGISTRY[family_id]()
            return _INSTANCES[family_id]
    known = sorted(_REGISTRY)
    match = _ID.match(family_id)
    base = match.group("family") if match else family_id
    versions = sorted((k for k in known if k.rsplit("-v", 1)[0] == base),
                      key=lambda k: int(k.rsplit("-v", 1)[1]))
    if versions:
        hint = (f"{family_id!r} is not a current version; use {versions[-1]!r}"
                if match else f"{family_id!r} needs a version; use {versions[-1]!r}")
        raise UnknownFamilyError(hint)
    listing = "\n  ".join(known) or "(none)"
    failed = "".join(f"\n  {p}" for p in _PROBLEMS.values())
    raise UnknownFamilyError(
        f"unknown task family {family_id!r}. Registered families:\n  {listing}\n"
        "Ids look like 'category/name-vN'; run 'workgym list' to see them."
        + (f"\nThese sources of families did not load:{failed}" if failed else "")
    )


def make(
    family_id: str,
    seed: int = 0,
    difficulty: Difficulty = "medium",
    richness: float = 0.5,
    variant: str = "default",
) -> Task:
    """Generate the task ``family_id`` at ``seed``.

    Example:
        >>> task = make("office/library-catalogue-v1", seed=7, difficulty="hard")
        >>> ep = task.start()
    """
    family = get_family(family_id)
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
    return family.task(family.spec(seed, difficulty, richness, variant))


def make_from_spec(spec: TaskSpec) -> Task:
    return get_family(spec.family_id).task(spec)


def run_plan(task: Task, calls: Sequence[ToolCall] | None = None) -> Episode:
    """Start an episode and execute a plan of calls (by default the reference solution)."""
    episode = task.start()
    for step in task.reference if calls is None else calls:
        # a plan is canonical; the episode is called as a model would call it
        try:
            name, args = episode.to_wire(step.name, dict(step.args))
        except ValueError:
            name, args = step.name, dict(step.args)  # an unknown tool: the call says so
        episode.call(name, args)
    episode.finish(task.reference_answer if calls is None else None)
    return episode
