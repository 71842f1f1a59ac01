"""The mailbox builder every family fills its mail store with.

Mails are collected in any order and filed by date: ids (``m0001`` upwards) follow the
order of arrival, so an id says nothing about which mails matter (no side channel).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workgym.apps.mail import Attachment, MailStore
from workgym.content.people import Person


def sender(who: Person | str) -> str:
    """A From header: ``Name <address>`` for a person, a given text as it is."""
    return who if isinstance(who, str) else f"{who.name} <{who.email}>"


@dataclass(frozen=True)
class _Draft:
    order: tuple[datetime, str]
    key: str
    fields: dict[str, object]
    reply_to: str | None


@dataclass
class Mailbox:
    """Collects mails to (and from) one person, then builds the ``MailStore``.

    Example:
        >>> box = Mailbox(me)
        >>> box.receive(head, "Shelf purge", "Hi ...", when, key="purge")
        >>> store, ids = box.build()
        >>> ids["purge"]
        'm0003'
    """

    owner: Person | str
    """Whose mailbox it is (a person, or a bare address)."""
    _drafts: list[_Draft] = field(default_factory=list)

    @property
    def address(self) -> str:
        return self.owner if isinstance(self.owner, str) else self.owner.email

    def receive(
        self,
        who: Person | str,
        subject: str,
        body: str,
        when: datetime,
        *,
        attachments: Iterable[Attachment] = (),
        key: str | None = None,
        reply_to: str | None = None,
        to: Sequence[str] | None = None,
        cc: Sequence[str] = (),
        folder: str = "inbox",
    ) -> str:
        """File a mail from ``who`` (to the owner unless ``to`` says otherwise).

        Args:
            who: the sender (a person becomes ``Name <address>``; text is used as is).
            subject: the subject.
            body: the text.
            when: an aware datetime.
            attachments: files attached.
            key: a name for the mail, to find its id after ``build`` (and to order mails
                of the same time); by default its place in the order of filing.
            reply_to: the key of the mail it answers.
            to: the recipients (default: the owner).
            cc: copies.
            folder: ``inbox``, ``sent`` or any other folder.

        Returns:
            The key.
        """
        if when.tzinfo is None:
            raise ValueError(f"mail {subject!r}: the date needs a time zone")
        name = key if key is not None else f"{len(self._drafts):06d}"
        if any(d.key == name for d in self._drafts):
            raise ValueError(f"two mails have the key {name!r}")
        fields: dict[str, object] = {
            "sender": sender(who), "to": list(to) if to is not None else [self.address],
            "cc": list(cc), "subject": subject, "body": body, "date": when,
            "attachments": list(attachments), "folder": folder}
        self._drafts.append(_Draft((when, name), name, fields, reply_to))
        return name

    def __len__(self) -> int:
        return len(self._drafts)

    def build(self) -> tuple[MailStore, dict[str, str]]:
        """The store, mails filed by (date, key), and each key's message id.

        Raises:
            ValueError: a mail replies to a key that no mail has.
        """
        store = MailStore(address=self.address)
        ids: dict[str, str] = {}
        for draft in sorted(self._drafts, key=lambda d: d.order):
            if draft.reply_to is not None and draft.reply_to not in ids:
                raise ValueError(f"mail {draft.key!r} replies to {draft.reply_to!r}, which is "
                                 "not an earlier mail")
            message = store.add(**draft.fields,  # type: ignore[arg-type]
                                in_reply_to=ids.get(draft.reply_to or ""))
            ids[draft.key] = message.id
        return store, ids
