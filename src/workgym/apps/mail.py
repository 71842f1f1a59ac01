"""mail: the agent's mailbox (search, read, send, reply, forward, attachments).

Reading never changes the store (there are no read flags), so a policy that only reads
leaves the world digest unchanged. New messages get ids ``m0001`` upwards and the date of
the world's frozen clock.
"""

from __future__ import annotations

import base64
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workgym.core import MAX_FILE_BYTES, App, Store, ToolError, tool

__all__ = ["Attachment", "MailApp", "MailStore", "Message", "address_of", "tokens"]

MAX_RESULTS = 100
MAX_RECIPIENTS = 50
MAX_SUBJECT_CHARS = 500
MAX_BODY_CHARS = 50_000
"""Longest body a tool sends (a forward adds the quoted original, itself this long at
most): graders read every body, so bodies are bounded."""
MAX_STORED_BODY_CHARS = 3 * MAX_BODY_CHARS
"""Longest body a message may have, quoted text included."""
MAX_ATTACHMENTS = 20
MAX_SENT = 200
"""Most messages one episode may send."""
MAX_SENT_CHARS = 2_000_000
"""Most characters of body all the messages one episode sends may hold together: a
grader reads every one of them."""
MAX_QUERY_CHARS = 1_000
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ID = re.compile(r"^m(\d+)$")
_WORD = re.compile(r"[^\W_]+")
_CONTENT_TYPES = {
    ".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown", ".json": "application/json",
    ".html": "text/html", ".ics": "text/calendar", ".pdf": "application/pdf",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_STANDARD_FOLDERS = ("inbox", "sent")


class Attachment(BaseModel):
    """A file attached to a message. The bytes are kept base64 so the store dumps to JSON."""

    model_config = ConfigDict(extra="forbid")

    filename: str
    content_type: str = "application/octet-stream"
    data_b64: str = ""
    """The file's bytes, base64-encoded."""

    @classmethod
    def from_bytes(cls, filename: str, data: bytes, content_type: str | None = None) -> Attachment:
        """An attachment of ``data``; the content type follows the file name unless given."""
        kind = content_type or _CONTENT_TYPES.get(PurePosixPath(filename).suffix.lower(),
                                                  "application/octet-stream")
        return cls(filename=filename, content_type=kind,
                   data_b64=base64.b64encode(data).decode("ascii"))

    def data(self) -> bytes:
        """The attachment's bytes."""
        return base64.b64decode(self.data_b64)

    @property
    def size(self) -> int:
        return len(self.data_b64) * 3 // 4 - self.data_b64[-2:].count("=")


class Message(BaseModel):
    """One mail message."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Deterministic id, ``m0001`` upwards."""
    folder: str = "inbox"
    """``inbox``, ``sent``, or any other folder name."""
    sender: str
    """The From header: an address, or ``Name <address>``."""
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    date: str
    """ISO 8601 with an offset, e.g. ``2026-03-02T09:00:00+01:00``."""
    attachments: list[Attachment] = Field(default_factory=list)
    in_reply_to: str | None = None
    """Id of the message this one answers."""

    @property
    def sender_address(self) -> str:
        return address_of(self.sender)

    def recipients(self) -> list[str]:
        """Every address in To and Cc, lower-cased."""
        return [address_of(a) for a in [*self.to, *self.cc]]

    def when(self) -> datetime:
        return datetime.fromisoformat(self.date)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "folder": self.folder, "from": self.sender, "to": self.to,
                "subject": self.subject, "date": self.date,
                "attachments": [a.filename for a in self.attachments]}

    def full(self) -> dict[str, Any]:
        return {"id": self.id, "folder": self.folder, "from": self.sender, "to": self.to,
                "cc": self.cc, "subject": self.subject, "date": self.date, "body": self.body,
                "attachments": [{"filename": a.filename, "content_type": a.content_type,
                                 "size": a.size} for a in self.attachments],
                "in_reply_to": self.in_reply_to}


class MailStore(Store):
    """The mailbox of one address."""

    address: str = "me@example.org"
    """The agent's own address (the sender of what it sends)."""
    messages: list[Message] = Field(default_factory=list)

    def next_id(self) -> str:
        numbers = [int(m.group(1)) for msg in self.messages if (m := _ID.match(msg.id))]
        return f"m{max(numbers, default=0) + 1:04d}"

    def add(
        self,
        *,
        sender: str,
        to: Sequence[str],
        subject: str,
        body: str,
        date: datetime | str,
        folder: str = "inbox",
        cc: Sequence[str] = (),
        attachments: Iterable[Attachment] = (),
        in_reply_to: str | None = None,
    ) -> Message:
        """Add a message with the next free id (for families building a mailbox, and tools)."""
        when = date.isoformat() if isinstance(date, datetime) else date
        if datetime.fromisoformat(when).tzinfo is None:
            raise ValueError(f"message date {when!r} needs a UTC offset")
        message = Message(id=self.next_id(), folder=folder, sender=sender, to=list(to),
                          cc=list(cc), subject=subject, body=body, date=when,
                          attachments=list(attachments), in_reply_to=in_reply_to)
        self.messages.append(message)
        return message

    def get(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def in_folder(self, folder: str) -> list[Message]:
        return [m for m in self.messages if m.folder == folder]


def address_of(text: str) -> str:
    """The lower-cased address in ``Name <address>`` or a bare address."""
    return parseaddr(text)[1].strip().lower()


def tokens(text: str) -> list[str]:
    """Search tokens: case- and accent-folded runs of letters and digits."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(plain)


class MailApp(App):
    """Your mailbox. Messages have ids like "m0001"; addresses look like "name@example.org"."""

    name = "mail"

    @property
    def store(self) -> MailStore:
        return self.world.store("mail", MailStore)

    @tool(read_only=True)
    def list_folders(self) -> dict[str, Any]:
        """Your own address and the mail folders with how many messages each holds."""
        counts: dict[str, int] = dict.fromkeys(_STANDARD_FOLDERS, 0)
        for message in self.store.messages:
            counts[message.folder] = counts.get(message.folder, 0) + 1
        order = [*_STANDARD_FOLDERS, *sorted(set(counts) - set(_STANDARD_FOLDERS))]
        return {"address": self.store.address,
                "folders": [{"name": f, "messages": counts[f]} for f in order]}

    @tool(read_only=True)
    def search(
        self,
        query: str = "",
        folder: str | None = None,
        sender: str | None = None,
        to: str | None = None,
        since: str | None = None,
        until: str | None = None,
        has_attachment: bool | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Find messages, newest first. Every word of the query must occur as a word of the
        subject, body, sender or attachment names (case-insensitive; end a word with * to
        match its prefix). Filters narrow the search further.

        Args:
            query: words to look for, e.g. "invoice march"; empty matches every message.
            folder: only this folder, e.g. "inbox" or "sent".
            sender: only messages whose sender contains this text (a name or an address).
            to: only messages whose To or Cc contains this text.
            since: only messages on or after this date or time (ISO 8601).
            until: only messages on or before this date or time (ISO 8601; a date means the
                whole day).
            has_attachment: only messages with (true) or without (false) attachments.
            limit: most results to return (1-100).
        """
        if not 1 <= limit <= MAX_RESULTS:
            raise ToolError(f"limit must be between 1 and {MAX_RESULTS}")
        for name, value in (("query", query), ("sender", sender), ("to", to)):
            if value is not None and len(value) > MAX_QUERY_CHARS:
                raise ToolError(f"{name} is longer than {MAX_QUERY_CHARS} characters")
        terms = [(word.rstrip("*"), word.endswith("*")) for word in query.split()]
        wanted: list[tuple[str, bool]] = []
        for word, prefix in terms:
            parts = tokens(word)
            wanted.extend((p, prefix and i == len(parts) - 1) for i, p in enumerate(parts))
        start = self._time(since, "since", end_of_day=False) if since else None
        end = self._time(until, "until", end_of_day=True) if until else None
        found = []
        for message in self.store.messages:
            if folder is not None and message.folder != folder:
                continue
            if sender is not None and sender.strip().lower() not in message.sender.lower():
                continue
            if to is not None and not any(to.strip().lower() in a.lower()
                                          for a in [*message.to, *message.cc]):
                continue
            if has_attachment is not None and bool(message.attachments) != has_attachment:
                continue
            when = message.when()
            if (start and when < start) or (end and when >= end):
                continue
            if wanted and not _matches(message, wanted):
                continue
            found.append(message)
        found.sort(key=lambda m: (m.when(), m.id), reverse=True)
        return [m.summary() for m in found[:limit]]

    @tool(read_only=True)
    def read(self, message_id: str) -> dict[str, Any]:
        """Read a whole message: headers, body, and the names and sizes of its attachments.

        Args:
            message_id: the message's id, e.g. "m0003".
        """
        return self._message(message_id).full()

    @tool(destructive=False)
    def send(self, to: list[str], subject: str, body: str, cc: list[str] | None = None,
             attachments: list[str] | None = None) -> dict[str, Any]:
        """Send a new message from your address.

        Args:
            to: recipient addresses.
            subject: the subject line.
            body: the message text.
            cc: addresses to copy.
            attachments: workspace paths of files to attach.
        """
        _check_body(body)
        recipients = self._addresses(to, "to", required=True)
        copies = self._addresses(cc or [], "cc")
        files = self._files(attachments or [])
        return self._deliver(recipients, copies, subject, body, files, None)

    @tool(destructive=False)
    def reply(self, message_id: str, body: str, reply_all: bool = False,
              attachments: list[str] | None = None) -> dict[str, Any]:
        """Reply to a message (to its sender; with reply_all, also to everyone it was sent to).

        Args:
            message_id: the message to answer, e.g. "m0003".
            body: the reply text.
            reply_all: also send to the original's other recipients (as Cc).
            attachments: workspace paths of files to attach.
        """
        _check_body(body)
        original = self._message(message_id)
        own = self.store.address.lower()
        if original.folder == "sent":
            recipients = [address_of(a) for a in original.to]
        else:
            recipients = [original.sender_address]
        copies: list[str] = []
        if reply_all:
            for address in original.recipients():
                if address != own and address not in recipients and address not in copies:
                    copies.append(address)
        subject = original.subject if original.subject.lower().startswith("re:") \
            else f"Re: {original.subject}"
        files = self._files(attachments or [])
        return self._deliver(recipients, copies, subject, body, files, original.id)

    @tool(destructive=False)
    def forward(self, message_id: str, to: list[str], body: str = "") -> dict[str, Any]:
        """Forward a message, with its attachments, to other people.

        Args:
            message_id: the message to forward, e.g. "m0003".
            to: recipient addresses.
            body: text to put above the forwarded message.
        """
        _check_body(body)
        original = self._message(message_id)
        recipients = self._addresses(to, "to", required=True)
        quoted = (f"---------- Forwarded message ----------\nFrom: {original.sender}\n"
                  f"Date: {original.date}\nSubject: {original.subject}\n"
                  f"To: {', '.join(original.to)}\n\n{original.body}")
        text = f"{body}\n\n{quoted}" if body else quoted
        subject = original.subject if original.subject.lower().startswith("fwd:") \
            else f"Fwd: {original.subject}"
        files = [a.model_copy() for a in original.attachments]
        return self._deliver(recipients, [], subject, text, files, None)

    @tool(idempotent=True)
    def save_attachment(self, message_id: str, filename: str, path: str,
                        overwrite: bool = False) -> str:
        """Save a message's attachment as a file in the workspace.

        Args:
            message_id: the message holding the attachment, e.g. "m0003".
            filename: the attachment's file name, as read shows it.
            path: where to save it, relative to the workspace root (an existing folder
                keeps the attachment's file name).
            overwrite: replace an existing file.
        """
        message = self._message(message_id)
        attachment = next((a for a in message.attachments if a.filename == filename), None)
        if attachment is None:
            names = ", ".join(repr(a.filename) for a in message.attachments) or "none"
            raise ToolError(f"{message_id} has no attachment named {filename!r} "
                            f"(its attachments: {names})")
        target = self.world.resolve(path)
        if target.is_dir():
            safe = PurePosixPath(filename.replace("\\", "/")).name
            if not safe or safe in (".", ".."):
                raise ToolError(f"give a file path: {filename!r} is no usable file name")
            target = self.world.resolve(f"{self.world.relative(target)}/{safe}")
        if os.path.lexists(target) and not overwrite:
            raise ToolError(f"{self.world.relative(target)!r} exists; pass overwrite=true to "
                            "replace it")
        if target.is_dir():
            raise ToolError(f"{self.world.relative(target)!r} is a folder")
        data = attachment.data()
        self.world.write_file(self.world.relative(target), data, overwrite=overwrite)
        return f"saved {filename} ({len(data)} bytes) to {self.world.relative(target)}"

    # -- helpers -------------------------------------------------------------------------

    def _message(self, message_id: str) -> Message:
        message = self.store.get(message_id.strip())
        if message is None:
            raise ToolError(f"no message with id {message_id!r}; ids look like 'm0001' "
                            "(search lists them)")
        return message

    def _addresses(self, given: list[str], field: str, required: bool = False) -> list[str]:
        if required and not given:
            raise ToolError(f"{field} must name at least one address")
        if len(given) > MAX_RECIPIENTS:
            raise ToolError(f"{field} names more than {MAX_RECIPIENTS} addresses")
        result: list[str] = []
        for text in given:
            address = address_of(text)
            if not _EMAIL.match(address):
                raise ToolError(f"{text!r} in {field} is not an e-mail address "
                                "(expected something like 'name@example.org')")
            if address not in result:
                result.append(address)
        return result

    def _files(self, paths: list[str]) -> list[Attachment]:
        if len(paths) > MAX_ATTACHMENTS:
            raise ToolError(f"at most {MAX_ATTACHMENTS} attachments")
        found: list[Attachment] = []
        total = 0
        for rel in paths:
            try:
                target = self.world.resolve(rel, must_exist=True)
                data = self.world.read_file(rel)
            except ToolError as exc:
                raise ToolError(f"cannot attach {rel!r}: {exc}") from None
            total += len(data)
            if total > MAX_FILE_BYTES:
                raise ToolError(f"attachments exceed {MAX_FILE_BYTES} bytes in all")
            if any(a.filename == target.name for a in found):
                raise ToolError(f"two attachments are named {target.name!r}")
            found.append(Attachment.from_bytes(target.name, data))
        return found

    def _deliver(self, to: list[str], cc: list[str], subject: str, body: str,
                 attachments: list[Attachment], in_reply_to: str | None) -> dict[str, Any]:
        if len(subject) > MAX_SUBJECT_CHARS:
            raise ToolError(f"subject is longer than {MAX_SUBJECT_CHARS} characters")
        if len(body) > MAX_STORED_BODY_CHARS:
            raise ToolError(f"the message would be longer than {MAX_STORED_BODY_CHARS} "
                            "characters; forward a shorter message or write a new one")
        sent = [m for m in self.store.messages if m.folder == "sent"]
        if len(sent) >= MAX_SENT:
            raise ToolError(f"this mailbox has sent {MAX_SENT} messages, the most one task "
                            "allows")
        if sum(len(m.body) for m in sent) + len(body) > MAX_SENT_CHARS:
            raise ToolError(f"the messages sent would hold more than {MAX_SENT_CHARS} "
                            "characters in all, the most one task allows; write shorter ones")
        message = self.store.add(sender=self.store.address, to=to, cc=cc, subject=subject,
                                 body=body, date=self.world.now, folder="sent",
                                 attachments=attachments, in_reply_to=in_reply_to)
        return {"sent": message.id, **message.summary(), "cc": message.cc}

    def _time(self, text: str, field: str, end_of_day: bool) -> datetime:
        """The bound ``text`` names; for ``until`` the first instant after it."""
        try:
            if len(text) > 64:
                raise ValueError("too long")
            value = datetime.fromisoformat(text.strip())
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.world.now.tzinfo)
            if not end_of_day:
                return value
            is_date = len(text.strip()) == 10
            return value + (timedelta(days=1) if is_date else timedelta(microseconds=1))
        except (ValueError, OverflowError):  # OverflowError: a day after 9999-12-31
            shown = text if len(text) <= 64 else text[:61] + "..."
            raise ToolError(f"{field} must be an ISO 8601 date or time such as '2026-03-02' "
                            f"or '2026-03-02T09:00', got {shown!r}") from None


def _check_body(body: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise ToolError(f"body is longer than {MAX_BODY_CHARS} characters")


def _matches(message: Message, wanted: list[tuple[str, bool]]) -> bool:
    words = set(tokens(" ".join([message.subject, message.body, message.sender,
                                 *(a.filename for a in message.attachments)])))
    return all(word in words if not prefix else any(w.startswith(word) for w in words)
               for word, prefix in wanted)
