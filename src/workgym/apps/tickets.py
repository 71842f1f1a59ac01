"""tickets: an issue tracker with projects, workflows, assignees, labels, priorities,
comments and links.

Each project has its own workflow: a set of states, the state new tickets start in, which
states count as closed, and the transitions allowed from each state; ``transition``
refuses any other move and names the allowed ones. Tickets have ids like ``OPS-12`` (the
project key and a number in sequence); comments ``cm0001`` upwards. Every change the
tools make is recorded in the ticket's history with the world's frozen clock, so graders
can check what changed and in which order. Search is a full-text index (SQLite FTS5) over
titles, descriptions and comments, ranked by BM25, ties by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import TextIndex
from workgym.apps.mail import address_of
from workgym.core import App, Store, ToolError, World, tool

__all__ = ["DEFAULT_CLOSED", "DEFAULT_TRANSITIONS", "PRIORITIES", "Change", "Comment", "Link",
           "LinkKind", "Priority", "Project", "Ticket", "TicketUser", "TicketsApp",
           "TicketsStore"]

Priority = Literal["urgent", "high", "medium", "low"]
PRIORITIES: tuple[str, ...] = get_args(Priority)
"""Most urgent first."""
LinkKind = Literal["blocks", "blocked_by", "relates_to", "duplicates", "duplicated_by"]
_INVERSE: dict[str, LinkKind] = {
    "blocks": "blocked_by", "blocked_by": "blocks", "relates_to": "relates_to",
    "duplicates": "duplicated_by", "duplicated_by": "duplicates",
}
Sort = Literal["relevance", "id", "priority", "updated", "due"]

DEFAULT_TRANSITIONS: dict[str, list[str]] = {
    "Backlog": ["To Do", "Cancelled"],
    "To Do": ["In Progress", "Backlog", "Cancelled"],
    "In Progress": ["In Review", "To Do", "Cancelled"],
    "In Review": ["Done", "In Progress"],
    "Done": ["To Do"],
    "Cancelled": ["Backlog"],
}
"""The workflow a project gets unless it names its own; it starts in ``Backlog``."""
DEFAULT_CLOSED = ("Done", "Cancelled")

MAX_TICKETS = 2_000
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_COMMENT = 10_000
MAX_COMMENTS = 200
"""Most comments on one ticket."""
MAX_HISTORY = 500
"""Most recorded changes of one ticket."""
MAX_LINKS = 50
MAX_LABELS = 20
MAX_LABEL = 40
MAX_WRITTEN_CHARS = 2_000_000
"""Most characters of descriptions and comments the tools may write in one episode."""
MAX_RESULTS = 100
_SHOWN_HISTORY = 50
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_:/.")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]
Key = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(max_length=200)]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Labels = Annotated[list[Annotated[str, Field(max_length=MAX_LABEL)]],
                   Field(max_length=MAX_LABELS)]


class TicketUser(BaseModel):
    """Someone who can report, be assigned or comment."""

    model_config = ConfigDict(extra="forbid")

    email: str
    name: str


class Project(BaseModel):
    """A project and its workflow."""

    model_config = ConfigDict(extra="forbid")

    key: str
    """Upper-case letters and digits, e.g. ``OPS``; the prefix of its ticket ids."""
    name: str
    description: str = ""
    states: list[str]
    """Every state, in workflow order."""
    initial: str
    """The state new tickets start in."""
    closed: list[str] = Field(default_factory=list)
    """States that count as closed (done or dropped)."""
    transitions: dict[str, list[str]]
    """State -> the states a ticket in it may move to."""
    members: list[str] = Field(default_factory=list)
    """E-mails of the people tickets can be assigned to."""

    def state(self, name: str) -> str | None:
        """The state called ``name`` (case-insensitive)."""
        wanted = " ".join(name.split()).casefold()
        return next((s for s in self.states if s.casefold() == wanted), None)


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    """``cm0001`` upwards, across the tracker."""
    author: str
    body: str
    at: str


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LinkKind
    """What this ticket is to the target: it ``blocks`` it, is ``blocked_by`` it, ..."""
    target: str
    """The other ticket's id."""


class Change(BaseModel):
    """One recorded change of a ticket."""

    model_config = ConfigDict(extra="forbid")

    field: str
    """``created``, ``state``, ``assignee``, ``priority``, ``title``, ``description``,
    ``labels``, ``due``, ``comment`` or ``link``."""
    old: str | None = None
    new: str | None = None
    by: str
    at: str


class Ticket(BaseModel):
    """One ticket."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``{project}-{number}``, e.g. ``OPS-12``."""
    project: str
    number: int
    title: str
    description: str = ""
    state: str
    priority: Priority = "medium"
    assignee: str | None = None
    """E-mail of the person it is assigned to."""
    reporter: str
    labels: list[str] = Field(default_factory=list)
    """Lower-case, sorted."""
    created: str
    updated: str
    due: str | None = None
    """ISO date, e.g. ``2026-03-20``."""
    comments: list[Comment] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    history: list[Change] = Field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "state": self.state,
                "priority": self.priority, "assignee": self.assignee, "labels": self.labels,
                "due": self.due, "updated": self.updated}


class TicketsStore(Store):
    """The tracker: people, projects and tickets."""

    me: str = "me@example.org"
    """The agent's e-mail: the reporter and author of what it creates."""
    users: list[TicketUser] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    tickets: list[Ticket] = Field(default_factory=list)
    next_comment: int = 1
    """Number of the next comment id; ``add_comment`` keeps it, so add comments that way."""
    written: int = 0
    """Characters of text the tools have written (bounded by ``MAX_WRITTEN_CHARS``)."""

    def model_post_init(self, context: Any, /) -> None:
        # a store built with comments already in it numbers on after the highest
        self.next_comment = max(self.next_comment, 1 + max(
            (int(c.id[2:]) for t in self.tickets for c in t.comments
             if c.id.startswith("cm") and c.id[2:].isdigit()), default=0))

    # -- building (for families; the tools validate before they change anything) --------

    def add_user(self, email: str, name: str) -> TicketUser:
        """Add a person.

        Raises:
            ValueError: a malformed or repeated address.
        """
        address = address_of(email)
        if "@" not in address:
            raise ValueError(f"{email!r} is not an e-mail address")
        if self.user(address) is not None:
            raise ValueError(f"{address} is listed twice")
        person = TicketUser(email=address, name=name)
        self.users.append(person)
        return person

    def add_project(
        self,
        key: str,
        name: str,
        members: Iterable[str] = (),
        description: str = "",
        transitions: Mapping[str, Sequence[str]] | None = None,
        initial: str | None = None,
        closed: Sequence[str] | None = None,
    ) -> Project:
        """Add a project; its workflow is ``DEFAULT_TRANSITIONS`` unless given.

        Args:
            key: upper-case letters and digits, starting with a letter (2-10 of them).
            name: the project's name.
            members: e-mails of the people its tickets can be assigned to.
            description: what the project is.
            transitions: state -> the states it may move to; its keys, in order, are the
                states.
            initial: the state new tickets start in; default the first state.
            closed: the states that count as closed.

        Raises:
            ValueError: a bad or taken key, an unknown member, or a workflow that names a
                state it does not have.
        """
        if not (2 <= len(key) <= 10 and set(key) <= _KEY_CHARS and key[0].isalpha()):
            raise ValueError(f"project key {key!r} must be 2-10 upper-case letters or digits, "
                             "starting with a letter")
        if self.project(key) is not None:
            raise ValueError(f"project {key} exists")
        flow = {s: list(t) for s, t in (transitions or DEFAULT_TRANSITIONS).items()}
        states = list(flow)
        if not states or len({s.casefold() for s in states}) != len(states):
            raise ValueError("a workflow needs states with distinct names")
        for source, targets in flow.items():
            for target in targets:
                if target not in flow:
                    raise ValueError(f"transition {source!r} -> {target!r} names an unknown "
                                     "state")
        start = initial if initial is not None else states[0]
        done = list(closed) if closed is not None else \
            [s for s in DEFAULT_CLOSED if s in flow] if transitions is None else []
        for state in [start, *done]:
            if state not in flow:
                raise ValueError(f"state {state!r} is not in the workflow")
        people = sorted({address_of(m) for m in members})
        for person in people:
            if self.user(person) is None:
                raise ValueError(f"member {person} is not a user; add_user first")
        project = Project(key=key, name=name, description=description, states=states,
                          initial=start, closed=done, transitions=flow, members=people)
        self.projects.append(project)
        return project

    def add_ticket(
        self,
        project: str,
        title: str,
        created: datetime | str,
        description: str = "",
        state: str | None = None,
        priority: Priority = "medium",
        assignee: str | None = None,
        reporter: str | None = None,
        labels: Iterable[str] = (),
        due: str | None = None,
    ) -> Ticket:
        """Add a ticket with the project's next number (in any state of its workflow).

        Raises:
            ValueError: an unknown project, state, priority or person, a bad label or date.
        """
        where = self.project(project)
        if where is None:
            raise ValueError(f"no project {project!r}")
        status = where.state(state) if state is not None else where.initial
        if status is None:
            raise ValueError(f"{where.key} has no state {state!r}")
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        when = _stamp(created)
        author = address_of(reporter) if reporter else self.me
        owner = address_of(assignee) if assignee else None
        if owner is not None and owner not in where.members:
            raise ValueError(f"{owner} is not a member of {where.key}")
        number = 1 + max((t.number for t in self.tickets if t.project == where.key), default=0)
        ticket = Ticket(id=f"{where.key}-{number}", project=where.key, number=number,
                        title=title, description=description, state=status, priority=priority,
                        assignee=owner, reporter=author, labels=_labels(labels),
                        created=when, updated=when, due=_due(due) if due else None,
                        history=[Change(field="created", new=status, by=author, at=when)])
        self.tickets.append(ticket)
        return ticket

    def add_comment(self, ticket: str, author: str, body: str, at: datetime | str) -> Comment:
        """Add a comment with the next id.

        Raises:
            ValueError: an unknown ticket, or a time without an offset.
        """
        found = self.ticket(ticket)
        if found is None:
            raise ValueError(f"no ticket {ticket!r}")
        comment = Comment(id=f"cm{self.next_comment:04d}", author=address_of(author),
                          body=body, at=_stamp(at))
        found.comments.append(comment)
        self.next_comment += 1
        return comment

    def add_link(self, ticket: str, kind: LinkKind, target: str) -> None:
        """Link two tickets both ways (``A blocks B`` also records ``B blocked_by A``).

        Raises:
            ValueError: an unknown ticket or kind, a ticket linked to itself, or a link
                that exists.
        """
        a, b = self.ticket(ticket), self.ticket(target)
        if a is None or b is None:
            raise ValueError(f"no ticket {ticket if a is None else target!r}")
        if kind not in _INVERSE:
            raise ValueError(f"link kind must be one of {', '.join(_INVERSE)}")
        if a.id == b.id:
            raise ValueError("a ticket cannot link to itself")
        if any(link.target == b.id and link.kind == kind for link in a.links):
            raise ValueError(f"{a.id} already {kind} {b.id}")
        a.links.append(Link(kind=kind, target=b.id))
        b.links.append(Link(kind=_INVERSE[kind], target=a.id))

    # -- reading (for tools and graders) -------------------------------------------------

    def user(self, email: str) -> TicketUser | None:
        wanted = address_of(email)
        return next((u for u in self.users if u.email == wanted), None)

    def project(self, key: str) -> Project | None:
        wanted = key.strip().upper()
        return next((p for p in self.projects if p.key == wanted), None)

    def ticket(self, ticket_id: str) -> Ticket | None:
        """A ticket by id (case-insensitive, e.g. ``ops-12``)."""
        wanted = ticket_id.strip().upper()
        return next((t for t in self.tickets if t.id == wanted), None)

    def transitions_of(self, ticket_id: str) -> list[tuple[str, str]]:
        """The (from, to) state moves recorded for a ticket, in order."""
        found = self.ticket(ticket_id)
        if found is None:
            return []
        return [(c.old or "", c.new or "") for c in found.history if c.field == "state"]

    def is_closed(self, ticket: Ticket) -> bool:
        project = self.project(ticket.project)
        return project is not None and ticket.state in project.closed


def _stamp(value: datetime | str) -> str:
    when = value.isoformat() if isinstance(value, datetime) else value
    if datetime.fromisoformat(when).tzinfo is None:
        raise ValueError(f"time {when!r} needs a UTC offset")
    return when


def _labels(labels: Iterable[str]) -> list[str]:
    clean = sorted({_label(text) for text in labels})
    if len(clean) > MAX_LABELS:
        raise ValueError(f"a ticket has at most {MAX_LABELS} labels")
    return clean


def _label(text: str) -> str:
    """A label in its stored form: lower-case, spaces as hyphens.

    Raises:
        ValueError: an empty or too long label, or one with other characters.
    """
    label = "-".join(text.strip().lower().split())
    if not label or len(label) > MAX_LABEL or not set(label) <= _LABEL_CHARS:
        raise ValueError(f"label {text!r} must be 1-{MAX_LABEL} letters, digits, '-', '_', "
                         "':', '/' or '.'")
    return label


def _due(text: str) -> str:
    """An ISO date.

    Raises:
        ValueError: anything but ``YYYY-MM-DD``.
    """
    try:
        if len(text.strip()) != 10:
            raise ValueError
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise ValueError(f"due must be a date such as '2026-03-20', got {text!r}") from None


class TicketsApp(App):
    """The issue tracker: projects (keys like "OPS"), tickets (ids like "OPS-12"), their
    workflow states, assignees, labels, priorities (urgent, high, medium, low), comments
    and links."""

    name = "tickets"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._index = TextIndex(columns=2, weights=(3.0, 1.0))

    @property
    def store(self) -> TicketsStore:
        return self.world.store("tickets", TicketsStore)

    @tool(read_only=True)
    def list_projects(self) -> list[dict[str, Any]]:
        """The projects, by key, with how many tickets each has and how many are open."""
        store = self.store
        rows = []
        for p in sorted(store.projects, key=lambda p: p.key):
            mine = [t for t in store.tickets if t.project == p.key]
            rows.append({"key": p.key, "name": p.name, "description": p.description,
                         "tickets": len(mine),
                         "open": sum(t.state not in p.closed for t in mine)})
        return rows

    @tool(read_only=True)
    def get_project(self, project: Key) -> dict[str, Any]:
        """A project's workflow and people: every state (in order) with whether it counts
        as closed and the states a ticket in it may move to, the state new tickets start
        in, the priorities, the labels in use, and the members tickets can be assigned to.

        Args:
            project: the project's key, e.g. "OPS" (list_projects lists them).
        """
        p = self._project(project)
        labels = sorted({label for t in self.store.tickets if t.project == p.key
                         for label in t.labels})
        return {"key": p.key, "name": p.name, "description": p.description,
                "initial_state": p.initial,
                "states": [{"name": s, "closed": s in p.closed, "next": p.transitions.get(s, [])}
                           for s in p.states],
                "priorities": list(PRIORITIES), "labels": labels,
                "members": [{"email": m, "name": self._name(m)} for m in p.members]}

    @tool(read_only=True)
    def search(
        self,
        query: Annotated[str, Field(max_length=500)] = "",
        project: Key | None = None,
        state: Key | None = None,
        is_open: bool | None = None,
        assignee: Key | None = None,
        reporter: Key | None = None,
        label: Key | None = None,
        priority: Priority | None = None,
        sort: Sort | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Find tickets. With a query, every word must occur as a word of the title,
        description or comments (case- and accent-insensitive; end a word with * to match
        its prefix), best match first; filters narrow the search.

        Returns ``{"total", "offset", "results": [{id, title, state, priority, assignee,
        labels, due, updated}]}``; with a query each result also has a ``snippet`` with
        the matched words in [brackets].

        Args:
            query: words to look for, e.g. "login timeout"; empty matches every ticket.
            project: only this project's tickets (its key).
            state: only tickets in this state, e.g. "In Progress".
            is_open: only tickets that are open (true) or closed (false).
            assignee: only tickets assigned to this e-mail; "me" for yours, "none" for
                unassigned ones.
            reporter: only tickets reported by this e-mail ("me" for yours).
            label: only tickets with this label.
            priority: only tickets of this priority.
            sort: "relevance" (the default with a query), "id" (the default without),
                "priority" (most urgent first), "updated" (newest first) or "due"
                (soonest first, undated last).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        key = self._project(project).key if project is not None else None
        wanted_state = self._state(state, key) if state is not None else None
        owner = self._who(assignee, "assignee", allow_none=True) if assignee is not None else ""
        author = self._who(reporter, "reporter") if reporter is not None else None
        tag = _tool_label(label) if label is not None else None
        texts: list[tuple[str, str]] = []
        if query.strip():
            texts = [(t.title, "\n".join([t.description, *(c.body for c in t.comments)]))
                     for t in store.tickets]
            order = self._index.search(texts, query)
        else:
            order = list(range(len(store.tickets)))
        found: list[tuple[int, Ticket]] = []
        for position in order:
            t = store.tickets[position]
            if key is not None and t.project != key:
                continue
            if wanted_state is not None and t.state.casefold() != wanted_state:
                continue
            if is_open is not None and store.is_closed(t) == is_open:
                continue
            if owner != "" and t.assignee != owner:
                continue
            if author is not None and t.reporter != author:
                continue
            if tag is not None and tag not in t.labels:
                continue
            if priority is not None and t.priority != priority:
                continue
            found.append((position, t))
        chosen = sort or ("relevance" if query.strip() else "id")
        if chosen != "relevance" or not query.strip():
            found.sort(key=_sort_key("id" if chosen == "relevance" else chosen))
        page = found[offset:offset + limit]
        snippets = self._index.snippets(texts, query, [p for p, _ in page]) if texts else {}
        rows = []
        for position, t in page:
            row = t.summary()
            if texts:
                row["snippet"] = snippets.get(position, "")
            rows.append(row)
        return {"total": len(found), "offset": offset, "results": rows}

    @tool(read_only=True)
    def get(self, ticket_id: Key) -> dict[str, Any]:
        """One ticket in full: fields, description, comments (oldest first), links (with
        the linked tickets' titles and states), the states it may move to next, and its
        latest recorded changes.

        Args:
            ticket_id: the ticket's id, e.g. "OPS-12".
        """
        store = self.store
        t = self._ticket(ticket_id)
        project = self._project(t.project)
        links = []
        for link in t.links:
            other = store.ticket(link.target)
            links.append({"kind": link.kind, "ticket": link.target,
                          "title": other.title if other else None,
                          "state": other.state if other else None})
        return {**t.summary(), "project": t.project, "description": t.description,
                "reporter": t.reporter, "created": t.created,
                "closed": t.state in project.closed,
                "next_states": project.transitions.get(t.state, []),
                "comments": [c.model_dump() for c in t.comments], "links": links,
                "history_total": len(t.history),
                "history": [c.model_dump() for c in t.history[-_SHOWN_HISTORY:]]}

    @tool(destructive=False)
    def create(
        self,
        project: Key,
        title: Title,
        description: Description = "",
        priority: Priority = "medium",
        assignee: Name | None = None,
        labels: Labels | None = None,
        due: Name | None = None,
    ) -> dict[str, Any]:
        """Create a ticket, reported by you, in the project's initial state.

        Returns the new ticket's ``{id, title, state, priority, assignee, labels, due,
        updated}``.

        Args:
            project: the project's key, e.g. "OPS".
            title: a one-line summary (at most 200 characters).
            description: the details.
            priority: "urgent", "high", "medium" or "low".
            assignee: e-mail of a project member to assign it to (get_project lists them);
                "me" for yourself.
            labels: labels to put on it, e.g. ["bug", "payments"].
            due: due date, e.g. "2026-03-20".
        """
        store = self.store
        p = self._project(project)
        clean_title = _title(title)
        owner = self._member(p, assignee) if assignee is not None and assignee.strip() else None
        tags = self._labels(labels or [])
        when = _tool_due(due) if due is not None and due.strip() else None
        if len(store.tickets) >= MAX_TICKETS:
            raise ToolError(f"the tracker holds {MAX_TICKETS} tickets, the most it can")
        self._check_room(len(description))
        ticket = store.add_ticket(p.key, clean_title, self.world.now, description=description,
                                  priority=priority, assignee=owner, reporter=store.me,
                                  labels=tags, due=when)
        store.written += len(description)
        return ticket.summary()

    @tool(idempotent=True)
    def update(
        self,
        ticket_id: Key,
        title: Title | None = None,
        description: Description | None = None,
        priority: Priority | None = None,
        assignee: Name | None = None,
        add_labels: Labels | None = None,
        remove_labels: Labels | None = None,
        due: Name | None = None,
    ) -> dict[str, Any]:
        """Change a ticket's fields; only the fields given change (the state changes with
        transition).

        Returns the ticket's ``{id, title, state, priority, assignee, labels, due,
        updated}`` and the names of the fields that changed.

        Args:
            ticket_id: the ticket's id, e.g. "OPS-12".
            title: a new one-line summary.
            description: a new description (replaces the old one).
            priority: "urgent", "high", "medium" or "low".
            assignee: e-mail of a project member ("me" for yourself); "" unassigns.
            add_labels: labels to add.
            remove_labels: labels to remove (each must be on the ticket).
            due: a new due date such as "2026-03-20"; "" clears it.
        """
        t = self._ticket(ticket_id)
        p = self._project(t.project)
        new: dict[str, Any] = {}
        if title is not None:
            new["title"] = _title(title)
        if description is not None:
            new["description"] = description
        if priority is not None:
            new["priority"] = priority
        if assignee is not None:
            new["assignee"] = self._member(p, assignee) if assignee.strip() else None
        if add_labels is not None or remove_labels is not None:
            adding = self._labels(add_labels or [])
            removing = self._labels(remove_labels or [])
            both = sorted(set(adding) & set(removing))
            if both:
                raise ToolError(f"label {both[0]!r} is both added and removed")
            missing = [label for label in removing if label not in t.labels]
            if missing:
                raise ToolError(f"{t.id} has no label {missing[0]!r}; its labels: "
                                f"{', '.join(t.labels) or '(none)'}")
            labels = sorted((set(t.labels) | set(adding)) - set(removing))
            if len(labels) > MAX_LABELS:
                raise ToolError(f"a ticket has at most {MAX_LABELS} labels")
            new["labels"] = labels
        if due is not None:
            new["due"] = _tool_due(due) if due.strip() else None
        if not new:
            raise ToolError("nothing to update: give at least one field to change")
        changed = [name for name, value in new.items() if getattr(t, name) != value]
        if not changed:
            raise ToolError(f"{t.id} already has those values; nothing changed")
        self._check_history(t, len(changed))
        if "description" in changed:
            self._check_room(len(new["description"]))
        for name in changed:
            old, value = getattr(t, name), new[name]
            shown = (None, None) if name == "description" else (_shown(old), _shown(value))
            setattr(t, name, value)
            self._record(t, name, *shown)
        if "description" in changed:
            self.store.written += len(new["description"])
        return {**t.summary(), "changed": changed}

    @tool(idempotent=True)
    def transition(self, ticket_id: Key, state: Key,
                   comment: Annotated[str, Field(max_length=MAX_COMMENT)] | None = None
                   ) -> dict[str, Any]:
        """Move a ticket to another state of its project's workflow. Only the moves the
        workflow allows from the current state are accepted (get shows them as
        next_states).

        Returns the ticket's ``{id, title, state, priority, assignee, labels, due,
        updated}`` and the state it left.

        Args:
            ticket_id: the ticket's id, e.g. "OPS-12".
            state: the state to move to, e.g. "In Review".
            comment: a comment to add with the move.
        """
        t = self._ticket(ticket_id)
        p = self._project(t.project)
        target = p.state(state)
        if target is None:
            raise ToolError(f"{p.key} has no state {state!r}; its states: "
                            f"{', '.join(p.states)}")
        allowed = p.transitions.get(t.state, [])
        if target == t.state:
            raise ToolError(f"{t.id} is already in {target!r}")
        if target not in allowed:
            raise ToolError(f"{t.id} cannot move from {t.state!r} to {target!r}; from "
                            f"{t.state!r} it can move to: "
                            f"{', '.join(repr(s) for s in allowed) or 'nothing'}")
        text = comment.strip() if comment is not None else ""
        self._check_history(t, 2 if text else 1)
        if text:
            self._check_comment(t, text)
        previous = t.state
        t.state = target
        self._record(t, "state", previous, target)
        if text:
            self._comment(t, text)
        return {**t.summary(), "from": previous}

    @tool(destructive=False)
    def comment(self, ticket_id: Key,
                body: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT)]
                ) -> dict[str, Any]:
        """Add a comment to a ticket, as you.

        Returns the comment: ``{ticket, id, author, body, at}``.

        Args:
            ticket_id: the ticket's id, e.g. "OPS-12".
            body: the comment text (at most 10000 characters).
        """
        t = self._ticket(ticket_id)
        text = body.strip()
        self._check_history(t, 1)
        self._check_comment(t, text)
        return {"ticket": t.id, **self._comment(t, text).model_dump()}

    @tool(destructive=False, idempotent=True)
    def link(self, ticket_id: Key, kind: LinkKind, target_id: Key) -> dict[str, Any]:
        """Link two tickets; the other ticket gets the inverse link (a ticket that
        ``blocks`` another makes it ``blocked_by`` this one).

        Returns both tickets' links: ``{ticket: [{kind, ticket}], target: [...]}``.

        Args:
            ticket_id: the ticket the link starts from, e.g. "OPS-12".
            kind: "blocks", "blocked_by", "relates_to", "duplicates" or "duplicated_by":
                what ticket_id is to target_id.
            target_id: the other ticket, e.g. "OPS-9".
        """
        a, b = self._ticket(ticket_id), self._ticket(target_id)
        if a.id == b.id:
            raise ToolError("a ticket cannot link to itself; give two different tickets")
        if any(link.target == b.id and link.kind == kind for link in a.links):
            raise ToolError(f"{a.id} already {kind} {b.id}")
        for t in (a, b):
            if len(t.links) >= MAX_LINKS:
                raise ToolError(f"{t.id} has {MAX_LINKS} links, the most a ticket holds")
            self._check_history(t, 1)
        self.store.add_link(a.id, kind, b.id)
        self._record(a, "link", None, f"{kind} {b.id}")
        self._record(b, "link", None, f"{_INVERSE[kind]} {a.id}")
        return {a.id: [{"kind": x.kind, "ticket": x.target} for x in a.links],
                b.id: [{"kind": x.kind, "ticket": x.target} for x in b.links]}

    # -- helpers -------------------------------------------------------------------------

    def _project(self, key: str) -> Project:
        found = self.store.project(key)
        if found is None:
            known = ", ".join(sorted(p.key for p in self.store.projects)) or "(none)"
            raise ToolError(f"no project {key!r}; projects: {known}")
        return found

    def _ticket(self, ticket_id: str) -> Ticket:
        found = self.store.ticket(ticket_id)
        if found is None:
            raise ToolError(f"no ticket {ticket_id!r}; ids look like 'OPS-12' (search lists "
                            "them)")
        return found

    def _state(self, state: str, project: str | None) -> str:
        projects = [self._project(project)] if project else self.store.projects
        for p in projects:
            found = p.state(state)
            if found is not None:
                return found.casefold()
        known = sorted({s for p in projects for s in p.states})
        raise ToolError(f"no state {state!r}; states: {', '.join(known) or '(none)'}")

    def _who(self, key: str, field: str, allow_none: bool = False) -> str | None:
        text = key.strip().lower()
        if text == "me":
            return self.store.me
        if allow_none and text == "none":
            return None
        found = self.store.user(text)
        if found is None:
            extra = ', "none"' if allow_none else ""
            raise ToolError(f"{field} {key!r} is not a known person; give an e-mail address, "
                            f'"me"{extra} (get_project lists a project\'s members)')
        return found.email

    def _member(self, project: Project, key: str) -> str:
        text = key.strip().lower()
        email = self.store.me if text == "me" else address_of(text)
        if email not in project.members:
            names = ", ".join(project.members) or "(none)"
            raise ToolError(f"{key!r} is not a member of {project.key} and cannot be assigned; "
                            f"its members: {names}")
        return email

    def _labels(self, labels: list[str]) -> list[str]:
        return sorted({_tool_label(text) for text in labels})

    def _name(self, email: str) -> str | None:
        found = self.store.user(email)
        return found.name if found else None

    def _record(self, t: Ticket, field: str, old: str | None, new: str | None) -> None:
        when = self.world.now.isoformat()
        t.history.append(Change(field=field, old=old, new=new, by=self.store.me, at=when))
        t.updated = when

    def _comment(self, t: Ticket, text: str) -> Comment:
        comment = self.store.add_comment(t.id, self.store.me, text, self.world.now)
        self.store.written += len(text)
        self._record(t, "comment", None, comment.id)
        return comment

    def _check_comment(self, t: Ticket, text: str) -> None:
        if not text:
            raise ToolError("the comment must not be blank")
        if len(t.comments) >= MAX_COMMENTS:
            raise ToolError(f"{t.id} has {MAX_COMMENTS} comments, the most a ticket holds")
        self._check_room(len(text))

    def _check_history(self, t: Ticket, more: int) -> None:
        if len(t.history) + more > MAX_HISTORY:
            raise ToolError(f"{t.id} has {MAX_HISTORY} recorded changes, the most a ticket "
                            "holds")

    def _check_room(self, more: int) -> None:
        # counted as the tools write, not summed over the tracker on every write
        if self.store.written + more > MAX_WRITTEN_CHARS:
            raise ToolError(f"{MAX_WRITTEN_CHARS} characters of descriptions and comments "
                            "have been written, the most one task allows")


def _sort_key(sort: str) -> Any:
    def by_id(item: tuple[int, Ticket]) -> tuple[str, int]:
        return (item[1].project, item[1].number)

    if sort == "priority":
        return lambda item: (PRIORITIES.index(item[1].priority), by_id(item))
    if sort == "updated":
        # newest first, then by id: negate the time rather than reverse the whole order
        return lambda item: (-datetime.fromisoformat(item[1].updated).timestamp(), by_id(item))
    if sort == "due":
        return lambda item: (item[1].due is None, item[1].due or "", by_id(item))
    return by_id


def _title(title: str) -> str:
    clean = " ".join(title.split())
    if not clean:
        raise ToolError("title must not be blank")
    return clean


def _tool_label(text: str) -> str:
    try:
        return _label(text)
    except ValueError as exc:
        raise ToolError(str(exc)) from None


def _tool_due(text: str) -> str:
    try:
        return _due(text)
    except ValueError as exc:
        raise ToolError(str(exc)) from None


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)
