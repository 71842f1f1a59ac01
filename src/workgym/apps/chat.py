"""chat: team messaging with channels, threads, reactions and direct messages.

The agent is the user ``ChatStore.me``. It sees the public channels, the private channels
it is a member of, and its own direct conversations; nothing else exists for its tools.
Channel ids look like ``C0001``, direct conversations ``D0001``, messages ``msg0001``.
Messages the agent posts carry the world's frozen clock; lists order messages by time,
then id. Search is a full-text index (SQLite FTS5) over the messages, ranked by BM25.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import TextIndex, matches_terms, word_terms
from workgym.apps.mail import address_of
from workgym.core import App, Store, ToolError, World, tool

__all__ = ["ChatApp", "ChatMessage", "ChatStore", "ChatUser", "Conversation", "Reaction"]

MAX_TEXT = 4_000
"""Longest message."""
MAX_MESSAGES = 5_000
"""Most messages a workspace holds."""
MAX_WRITTEN_CHARS = 1_000_000
"""Most characters of message text the tools may write in one episode."""
MAX_REACTIONS = 50
"""Most distinct reactions on one message."""
MAX_DIRECT = 8
"""Most other people in one direct conversation."""
MAX_RESULTS = 100

ConversationKind = Literal["channel", "direct"]
Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Key = Annotated[str, Field(min_length=1, max_length=200)]
_HANDLE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
_EMOJI_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_+-")


class ChatUser(BaseModel):
    """Someone in the workspace."""

    model_config = ConfigDict(extra="forbid")

    handle: str
    """Unique, lower-case letters, digits, ``.``, ``_`` and ``-``, e.g. ``lena.novak``."""
    name: str
    """Display name."""
    email: str = ""


class Conversation(BaseModel):
    """A channel or a direct conversation."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``C0001`` upwards for channels, ``D0001`` upwards for direct conversations."""
    kind: ConversationKind
    name: str = ""
    """A channel's unique name without ``#``, e.g. ``incidents``; empty for direct ones."""
    topic: str = ""
    private: bool = False
    """A private channel is visible to its members only."""
    archived: bool = False
    """An archived channel can be read but not posted to."""
    members: list[str] = Field(default_factory=list)
    """Handles, sorted."""

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.kind == "channel" else self.id


class Reaction(BaseModel):
    """One emoji on a message and who added it."""

    model_config = ConfigDict(extra="forbid")

    emoji: str
    """Its name without colons, e.g. ``thumbsup``."""
    users: list[str] = Field(default_factory=list)


class ChatMessage(BaseModel):
    """One message, at the top of a conversation or as a reply in a thread."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """``msg0001`` upwards."""
    conversation: str
    """The conversation's id."""
    user: str
    """The author's handle."""
    text: str
    at: str
    """ISO 8601 with an offset."""
    thread: str | None = None
    """Id of the top-level message this one replies to; None at the top level."""
    reactions: list[Reaction] = Field(default_factory=list)

    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


class ChatStore(Store):
    """The workspace: users, conversations and messages."""

    me: str = "me"
    """The agent's own handle."""
    users: list[ChatUser] = Field(default_factory=list)
    conversations: list[Conversation] = Field(default_factory=list)
    messages: list[ChatMessage] = Field(default_factory=list)
    next_message: int = 1
    """Number of the next message id; ``add_message`` keeps it, so add messages that way."""
    written: int = 0
    """Characters of text the tools have written (bounded by ``MAX_WRITTEN_CHARS``)."""

    def model_post_init(self, context: Any, /) -> None:
        # a store built with messages already in it numbers on after the highest
        self.next_message = max(self.next_message, 1 + max(map(_number, (
            m.id for m in self.messages)), default=0))

    # -- building (for families; tools validate before they call these) -----------------

    def add_user(self, handle: str, name: str, email: str = "") -> ChatUser:
        """Add a user.

        Raises:
            ValueError: a malformed or taken handle.
        """
        if not handle or not set(handle) <= _HANDLE_CHARS:
            raise ValueError(f"handle {handle!r} must be lower-case letters, digits, '.', '_' "
                             "or '-'")
        if self.user(handle) is not None:
            raise ValueError(f"handle {handle!r} is taken")
        user = ChatUser(handle=handle, name=name, email=address_of(email) if email else "")
        self.users.append(user)
        return user

    def add_channel(self, name: str, members: Iterable[str] = (), topic: str = "",
                    private: bool = False, archived: bool = False) -> Conversation:
        """Add a channel with the next ``C`` id.

        Raises:
            ValueError: a malformed or taken name, or an unknown member.
        """
        name = name.strip().lstrip("#")
        if not name or not set(name) <= _HANDLE_CHARS:
            raise ValueError(f"channel name {name!r} must be lower-case letters, digits, '.', "
                             "'_' or '-'")
        if self.channel(name) is not None:
            raise ValueError(f"channel #{name} exists")
        channel = Conversation(id=self._next("C"), kind="channel", name=name, topic=topic,
                               private=private, archived=archived,
                               members=self._members(members))
        self.conversations.append(channel)
        return channel

    def add_direct(self, members: Iterable[str]) -> Conversation:
        """The direct conversation of exactly these people (``me`` may be among them),
        created with the next ``D`` id if it does not exist.

        Raises:
            ValueError: an unknown member, or fewer than two people.
        """
        people = self._members(members)
        if len(people) < 2:
            raise ValueError("a direct conversation needs at least two people")
        existing = next((c for c in self.conversations
                         if c.kind == "direct" and c.members == people), None)
        if existing is not None:
            return existing
        direct = Conversation(id=self._next("D"), kind="direct", members=people)
        self.conversations.append(direct)
        return direct

    def add_message(self, conversation: str, user: str, text: str, at: datetime | str,
                    thread: str | None = None) -> ChatMessage:
        """Add a message with the next id.

        Args:
            conversation: a conversation id, or a channel name.
            user: the author's handle.
            text: the message.
            at: when, with a UTC offset.
            thread: the top-level message this one replies to.

        Raises:
            ValueError: an unknown conversation, user or thread, or a time without offset.
        """
        where = self.conversation(conversation)
        if where is None:
            raise ValueError(f"no conversation {conversation!r}")
        if user != self.me and self.user(user) is None:
            raise ValueError(f"no user {user!r}")
        when = at.isoformat() if isinstance(at, datetime) else at
        if datetime.fromisoformat(when).tzinfo is None:
            raise ValueError(f"message time {when!r} needs a UTC offset")
        if thread is not None:
            parent = self.message(thread)
            if parent is None or parent.thread is not None or parent.conversation != where.id:
                raise ValueError(f"{thread!r} is no top-level message of {where.label}")
        message = ChatMessage(id=f"msg{self.next_message:04d}", conversation=where.id,
                              user=user, text=text, at=when, thread=thread)
        self.messages.append(message)
        self.next_message += 1
        return message

    # -- reading (for tools and graders) -------------------------------------------------

    def user(self, handle: str) -> ChatUser | None:
        return next((u for u in self.users if u.handle == handle), None)

    def channel(self, name: str) -> Conversation | None:
        """A channel by name, with or without ``#`` (case-insensitive)."""
        wanted = name.strip().lstrip("#").lower()
        return next((c for c in self.conversations if c.kind == "channel" and c.name == wanted),
                    None)

    def conversation(self, key: str) -> Conversation | None:
        """A conversation by id, or a channel by name."""
        found = next((c for c in self.conversations if c.id == key.strip()), None)
        return found if found is not None else self.channel(key)

    def message(self, message_id: str) -> ChatMessage | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def messages_in(self, conversation: str) -> list[ChatMessage]:
        """The top-level messages of a conversation (id or channel name), oldest first."""
        where = self.conversation(conversation)
        if where is None:
            return []
        return _chronological(m for m in self.messages
                              if m.conversation == where.id and m.thread is None)

    def replies_to(self, message_id: str) -> list[ChatMessage]:
        """The replies in a message's thread, oldest first."""
        return _chronological(m for m in self.messages if m.thread == message_id)

    def direct_with(self, *handles: str) -> Conversation | None:
        """The direct conversation of ``me`` and exactly these people, if there is one."""
        people = sorted({self.me, *handles})
        return next((c for c in self.conversations
                     if c.kind == "direct" and c.members == people), None)

    def sent_by(self, handle: str) -> list[ChatMessage]:
        """Every message ``handle`` wrote, oldest first."""
        return _chronological(m for m in self.messages if m.user == handle)

    # -- helpers -------------------------------------------------------------------------

    def _next(self, prefix: str) -> str:
        numbers = [int(c.id[1:]) for c in self.conversations
                   if c.id.startswith(prefix) and c.id[1:].isdigit()]
        return f"{prefix}{max(numbers, default=0) + 1:04d}"

    def _members(self, handles: Iterable[str]) -> list[str]:
        people = sorted(set(handles))
        for handle in people:
            if handle != self.me and self.user(handle) is None:
                raise ValueError(f"no user {handle!r}")
        return people


def _chronological(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    return sorted(messages, key=lambda m: (m.when(), _number(m.id)))


def _number(message_id: str) -> int:
    digits = message_id[3:]
    return int(digits) if message_id.startswith("msg") and digits.isdigit() else 0


class ChatApp(App):
    """Team chat: channels (``#name`` or an id like ``C0001``), threads, reactions and
    direct messages (``D0001``, or ``@handle`` for the one with that person)."""

    name = "chat"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._index = TextIndex(columns=1)

    @property
    def store(self) -> ChatStore:
        return self.world.store("chat", ChatStore)

    @tool(read_only=True)
    def list_channels(self, include_direct: bool = False, limit: Limit = 100,
                      offset: Offset = 0) -> dict[str, Any]:
        """The channels you can see (public ones, and private ones you are in), by name;
        with include_direct, your direct conversations after them.

        Returns ``{"total", "offset", "results": [{id, kind, name, topic, private,
        archived, member, members, messages}]}``: ``member`` says whether you are in it,
        ``members`` how many people are, ``messages`` its top-level messages.

        Args:
            include_direct: also list your direct conversations (their ``name`` lists the
                other people's handles).
            limit: most conversations to return (1-100).
            offset: conversations to skip, for the next page.
        """
        store = self.store
        counts: dict[str, int] = {}
        for m in store.messages:
            if m.thread is None:
                counts[m.conversation] = counts.get(m.conversation, 0) + 1
        seen = [c for c in store.conversations if self._visible(c)
                and (include_direct or c.kind == "channel")]
        seen.sort(key=lambda c: (c.kind != "channel", c.name, c.id))
        rows = [{"id": c.id, "kind": c.kind,
                 "name": c.name if c.kind == "channel" else
                 ", ".join("@" + h for h in c.members if h != store.me),
                 "topic": c.topic, "private": c.private, "archived": c.archived,
                 "member": store.me in c.members, "members": len(c.members),
                 "messages": counts.get(c.id, 0)} for c in seen]
        return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}

    @tool(read_only=True)
    def list_users(self, query: Annotated[str, Field(max_length=200)] = "",
                   limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """People in the workspace, by handle. Every word of the query must equal a word of
        the handle, name or e-mail (case-insensitive; end a word with * for a prefix).

        Returns ``{"you", "total", "offset", "results": [{handle, name, email}]}``.

        Args:
            query: words, e.g. "vera"; empty lists everyone.
            limit: most people to return (1-100).
            offset: people to skip, for the next page.
        """
        wanted = word_terms(query)
        found = [u.model_dump() for u in sorted(self.store.users, key=lambda u: u.handle)
                 if not wanted or matches_terms(f"{u.handle} {u.name} {u.email}", wanted)]
        return {"you": self.store.me, "total": len(found), "offset": offset,
                "results": found[offset:offset + limit]}

    @tool(read_only=True)
    def read_channel(self, channel: Key, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """A conversation's top-level messages, newest first (thread replies are read with
        read_thread), and who is in it.

        Returns ``{"channel": {id, kind, name, topic, private, archived, members},
        "total", "offset", "messages": [{id, user, name, at, text, reactions, replies}]}``
        where ``replies`` counts the message's thread.

        Args:
            channel: "#name", a channel or conversation id such as "C0002", or "@handle"
                for your direct conversation with that person.
            limit: most messages to return (1-100).
            offset: newer messages to skip, for the next (older) page.
        """
        where = self._conversation(channel)
        top = self.store.messages_in(where.id)
        top.reverse()
        page = top[offset:offset + limit]
        counts = self._reply_counts()
        return {"channel": {"id": where.id, "kind": where.kind, "name": where.name,
                            "topic": where.topic, "private": where.private,
                            "archived": where.archived, "members": where.members},
                "total": len(top), "offset": offset,
                "messages": [self._render(m, counts) for m in page]}

    @tool(read_only=True)
    def read_thread(self, message_id: Key, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """A thread: its top-level message and the replies, oldest first. Given a reply,
        shows the thread it belongs to.

        Returns ``{"channel", "parent": {id, user, name, at, text, reactions, replies},
        "total", "offset", "replies": [...]}``.

        Args:
            message_id: a message id such as "msg0042".
            limit: most replies to return (1-100).
            offset: replies to skip, for the next page.
        """
        message = self._message(message_id)
        parent = self._message(message.thread) if message.thread else message
        replies = self.store.replies_to(parent.id)
        counts = self._reply_counts()
        where = self.store.conversation(parent.conversation)
        return {"channel": where.label if where else parent.conversation,
                "parent": self._render(parent, counts), "total": len(replies), "offset": offset,
                "replies": [self._render(m, counts) for m in replies[offset:offset + limit]]}

    @tool(read_only=True)
    def search(self, query: Annotated[str, Field(min_length=1, max_length=500)],
               channel: Key | None = None, user: Key | None = None,
               since: Key | None = None, until: Key | None = None,
               limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Search messages (top-level and replies) in the conversations you can see, best
        match first. Every word must occur as a word of the message (case- and
        accent-insensitive; end a word with * to match its prefix; "a-b" matches the
        words a b in a row).

        Returns ``{"total", "offset", "results": [{id, channel, thread, user, name, at,
        text, snippet}]}``; ``thread`` is the top-level message a reply belongs to, and
        the snippet marks the matched words with [brackets].

        Args:
            query: words to look for, e.g. "rollback payments".
            channel: only this conversation ("#name", an id, or "@handle").
            user: only messages by this handle.
            since: only messages at or after this date or time (ISO 8601).
            until: only messages at or before this date or time (ISO 8601; a date means
                the whole day).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        where = self._conversation(channel).id if channel is not None else None
        author = self._user(user) if user is not None else None
        start = self._time(since, "since", end_of_day=False) if since else None
        end = self._time(until, "until", end_of_day=True) if until else None
        visible = {c.id: c for c in store.conversations if self._visible(c)}
        rows = [(m.text,) for m in store.messages]
        found = []
        for position in self._index.search(rows, query):
            m = store.messages[position]
            if m.conversation not in visible or (where is not None and m.conversation != where):
                continue
            if author is not None and m.user != author:
                continue
            when = m.when()
            if (start is not None and when < start) or (end is not None and when >= end):
                continue
            found.append(position)
        page = found[offset:offset + limit]
        snippets = self._index.snippets(rows, query, page)
        results = []
        for position in page:
            m = store.messages[position]
            results.append({"id": m.id, "channel": visible[m.conversation].label,
                            "thread": m.thread, "user": m.user, "name": self._name(m.user),
                            "at": m.at, "text": m.text, "snippet": snippets.get(position, "")})
        return {"total": len(found), "offset": offset, "results": results}

    @tool(destructive=False)
    def post(self, channel: Key, text: Text) -> dict[str, Any]:
        """Post a message at the top level of a channel or conversation.

        Returns the new message: ``{id, channel, user, name, at, text, reactions,
        replies}``.

        Args:
            channel: "#name", a conversation id such as "C0002", or "@handle" for your
                direct conversation with that person.
            text: the message (at most 4000 characters).
        """
        where = self._conversation(channel)
        return self._post(where, text, None)

    @tool(destructive=False)
    def reply(self, message_id: Key, text: Text) -> dict[str, Any]:
        """Reply in a message's thread (given a reply, in the thread it belongs to).

        Returns the new message: ``{id, channel, thread, user, name, at, text, reactions,
        replies}``.

        Args:
            message_id: the message to answer, e.g. "msg0042".
            text: the reply (at most 4000 characters).
        """
        message = self._message(message_id)
        parent_id = message.thread or message.id
        where = self.store.conversation(message.conversation)
        if where is None:
            raise ToolError(f"{message_id} belongs to no conversation")
        return self._post(where, text, parent_id)

    @tool(destructive=False, idempotent=True)
    def react(self, message_id: Key, emoji: Annotated[str, Field(min_length=1, max_length=52)]
              ) -> dict[str, Any]:
        """Add your reaction to a message.

        Returns ``{"message", "reactions": [{emoji, count, users}]}``.

        Args:
            message_id: the message, e.g. "msg0042".
            emoji: the emoji's name, e.g. "thumbsup" or ":white_check_mark:".
        """
        message = self._message(message_id)
        name = emoji.strip().strip(":").lower()
        if not name or len(name) > 50 or not set(name) <= _EMOJI_CHARS:
            raise ToolError(f"emoji {emoji!r} must be a name like 'thumbsup' or "
                            "':white_check_mark:' (letters, digits, '_', '+', '-')")
        where = self.store.conversation(message.conversation)
        if where is not None and where.archived:
            raise ToolError(f"{where.label} is archived; its messages cannot get reactions")
        me = self.store.me
        existing = next((r for r in message.reactions if r.emoji == name), None)
        if existing is not None and me in existing.users:
            raise ToolError(f"you already reacted with :{name}: to {message.id}")
        if existing is None:
            if len(message.reactions) >= MAX_REACTIONS:
                raise ToolError(f"{message.id} has {MAX_REACTIONS} kinds of reaction, the most "
                                "one message holds")
            message.reactions.append(Reaction(emoji=name, users=[me]))
        else:
            existing.users.append(me)
        return {"message": message.id, "reactions": _reactions(message)}

    @tool(destructive=False)
    def send_direct(self, to: Annotated[list[Key], Field(min_length=1, max_length=MAX_DIRECT)],
                    text: Text) -> dict[str, Any]:
        """Send a direct message to one person, or to a small group (up to 8 people) in
        one conversation; the conversation is created the first time.

        Returns the new message: ``{id, channel, user, name, at, text, reactions,
        replies}``, where ``channel`` is the direct conversation's id.

        Args:
            to: the people's handles (with or without "@") or e-mail addresses.
            text: the message (at most 4000 characters).
        """
        store = self.store
        people = {self._user(key) for key in to} - {store.me}
        if not people:
            raise ToolError("to must name someone other than yourself")
        where = store.direct_with(*people)
        if where is None:
            self._check_room(text)
            where = store.add_direct([store.me, *people])
        return self._post(where, text, None)

    # -- helpers -------------------------------------------------------------------------

    def _visible(self, conversation: Conversation) -> bool:
        if conversation.kind == "direct" or conversation.private:
            return self.store.me in conversation.members
        return True

    def _conversation(self, key: str) -> Conversation:
        store = self.store
        text = key.strip()
        found: Conversation | None
        if text.startswith("@"):
            found = store.direct_with(self._user(text))
            if found is None:
                raise ToolError(f"you have no direct conversation with {text}; send_direct "
                                "starts one")
        else:
            found = store.conversation(text)
        if found is None or not self._visible(found):
            raise ToolError(f"no channel or conversation {key!r}; give '#name', an id such as "
                            "'C0001', or '@handle' (list_channels lists them)")
        return found

    def _message(self, message_id: str) -> ChatMessage:
        message = self.store.message(message_id.strip())
        where = self.store.conversation(message.conversation) if message else None
        if message is None or where is None or not self._visible(where):
            raise ToolError(f"no message with id {message_id!r}; ids look like 'msg0001' "
                            "(read_channel and search list them)")
        return message

    def _user(self, key: str) -> str:
        store = self.store
        text = key.strip().lstrip("@")
        if "@" in text:
            address = address_of(text)
            found = next((u for u in store.users if u.email and u.email == address), None)
        else:
            found = store.user(text.lower())
        if found is not None:
            return found.handle
        if text.lower() == store.me:
            return store.me
        raise ToolError(f"no user {key!r}; give a handle such as 'lena.novak' or an e-mail "
                        "address (list_users lists them)")

    def _name(self, handle: str) -> str | None:
        user = self.store.user(handle)
        return user.name if user else None

    def _reply_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.store.messages:
            if m.thread is not None:
                counts[m.thread] = counts.get(m.thread, 0) + 1
        return counts

    def _render(self, m: ChatMessage, counts: dict[str, int]) -> dict[str, Any]:
        shown: dict[str, Any] = {"id": m.id, "user": m.user, "name": self._name(m.user),
                                 "at": m.at, "text": m.text, "reactions": _reactions(m)}
        if m.thread is None:
            shown["replies"] = counts.get(m.id, 0)
        else:
            shown["thread"] = m.thread
        return shown

    def _check_room(self, text: str) -> None:
        store = self.store
        if not text.strip():
            raise ToolError("text must not be blank")
        if len(store.messages) >= MAX_MESSAGES:
            raise ToolError(f"the workspace holds {MAX_MESSAGES} messages, the most it can")
        # what the tools wrote is counted as they write it, rather than summing every
        # message on each post; what the family put there is bounded by the family
        if store.written + len(text) > MAX_WRITTEN_CHARS:
            raise ToolError(f"{MAX_WRITTEN_CHARS} characters of messages have been written, "
                            "the most one task allows")

    def _post(self, where: Conversation, text: str, thread: str | None) -> dict[str, Any]:
        if where.archived:
            raise ToolError(f"{where.label} is archived; nothing can be posted there")
        self._check_room(text)
        message = self.store.add_message(where.id, self.store.me, text, self.world.now,
                                         thread=thread)
        self.store.written += len(text)
        shown = self._render(message, {})  # a message just posted has no replies yet
        return {"id": message.id, "channel": where.label, **shown}

    def _time(self, text: str, field: str, end_of_day: bool) -> datetime:
        """The bound ``text`` names; for ``until`` the first instant after it."""
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ToolError(f"{field} must be an ISO 8601 date or time such as '2026-03-02' "
                            f"or '2026-03-02T09:00', got {text!r}") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.world.now.tzinfo)
        if not end_of_day:
            return value
        is_date = len(text.strip()) == 10
        return value + (timedelta(days=1) if is_date else timedelta(microseconds=1))


def _reactions(message: ChatMessage) -> list[dict[str, Any]]:
    return [{"emoji": r.emoji, "count": len(r.users), "users": r.users}
            for r in message.reactions]

