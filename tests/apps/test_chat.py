from datetime import UTC, datetime, timedelta, timezone

import pytest

from workgym.apps import chat
from workgym.apps.chat import ChatApp, ChatStore
from workgym.core import Episode
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)
ME = "lena.novak"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _store() -> ChatStore:
    store = ChatStore(me=ME)
    store.add_user(ME, "Lena Novak", "lena.novak@example.org")
    store.add_user("vera.jensen", "Vera Jensen", "vera.jensen@example.org")
    store.add_user("omar", "Omar Haddad", "omar.haddad@example.org")
    store.add_user("ines", "Inês Costa")
    everyone = [ME, "vera.jensen", "omar", "ines"]
    store.add_channel("general", everyone, topic="Company-wide")               # C0001
    store.add_channel("incidents", ["omar", "ines"], topic="Outages")         # C0002
    store.add_channel("leads", [ME, "vera.jensen"], private=True)            # C0003
    store.add_channel("hr-private", ["omar", "ines"], private=True)          # C0004
    store.add_channel("old-launch", everyone, archived=True)                 # C0005
    store.add_direct([ME, "vera.jensen"])                                    # D0001
    store.add_direct(["omar", "ines"])                                       # D0002
    store.add_message("general", "vera.jensen", "Welcome to the spring planning week!",
                      at(1, 8))                                              # msg0001
    store.add_message("incidents", "omar", "Payments rollback started for R-4821",
                      at(1, 9))                                              # msg0002
    store.add_message("incidents", "ines", "Rollback done, café checkout is back",
                      at(1, 9, 30), thread="msg0002")                        # msg0003
    store.add_message("incidents", "omar", "thanks, closing the rollback", at(1, 9, 45),
                      thread="msg0002")                                      # msg0004
    store.add_message("hr-private", "omar", "rollback of the salary sheet", at(1, 10))  # 5
    store.add_message("leads", "vera.jensen", "Budget review moved to Friday", at(1, 11))
    store.add_message("D0001", "vera.jensen", "Can you send the rollback notes?", at(1, 12))
    store.add_message("D0002", "ines", "rollback lunch?", at(1, 12))          # msg0008
    store.add_message("general", "omar", "Planning doc is in the wiki", at(1, 13))  # 9
    store.add_message("old-launch", "ines", "Launch retro notes", at(1, 7))   # msg0010
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("chat",), family="tests/chat", now=NOW, stores={"chat": _store()})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok and match in result.text, result.text
    assert ep.calls[-1].error in ("tool_error", "invalid_args")
    assert ep.world.digest() == before
    return result.text


def ids(rows) -> list[str]:
    return [r["id"] for r in rows]


def test_list_channels_shows_only_what_you_can_see(ep):
    listed = ok(ep, "chat.list_channels")
    assert [(c["name"], c["member"], c["messages"]) for c in listed["results"]] == [
        ("general", True, 2), ("incidents", False, 1), ("leads", True, 1),
        ("old-launch", True, 1)]
    assert listed["results"][3]["archived"] and listed["results"][2]["private"]
    with_direct = ok(ep, "chat.list_channels", include_direct=True)
    assert with_direct["total"] == 5
    assert with_direct["results"][-1] == {
        "id": "D0001", "kind": "direct", "name": "@vera.jensen", "topic": "", "private": False,
        "archived": False, "member": True, "members": 2, "messages": 1}
    assert ids(ok(ep, "chat.list_channels", limit=2, offset=1)["results"]) == ["C0002", "C0003"]


def test_read_channel_newest_first_with_reply_counts(ep):
    page = ok(ep, "chat.read_channel", channel="#general")
    assert page["channel"]["members"] == ["ines", ME, "omar", "vera.jensen"]
    assert page["total"] == 2 and ids(page["messages"]) == ["msg0009", "msg0001"]
    incidents = ok(ep, "chat.read_channel", channel="C0002")
    assert incidents["messages"] == [{
        "id": "msg0002", "user": "omar", "name": "Omar Haddad", "at": "2026-03-01T09:00:00+00:00",
        "text": "Payments rollback started for R-4821", "reactions": [], "replies": 2}]
    assert ids(ok(ep, "chat.read_channel", channel="general", limit=1, offset=1)["messages"]) \
        == ["msg0001"]
    direct = ok(ep, "chat.read_channel", channel="@vera.jensen")
    assert direct["channel"]["id"] == "D0001" and ids(direct["messages"]) == ["msg0007"]
    assert ok(ep, "chat.read_channel", channel="#leads")["total"] == 1


def test_read_thread_from_the_parent_or_a_reply(ep):
    thread = ok(ep, "chat.read_thread", message_id="msg0002")
    assert thread["channel"] == "#incidents" and thread["parent"]["replies"] == 2
    assert ids(thread["replies"]) == ["msg0003", "msg0004"]
    assert thread["replies"][0]["thread"] == "msg0002"
    assert ok(ep, "chat.read_thread", message_id="msg0004")["parent"]["id"] == "msg0002"
    assert ids(ok(ep, "chat.read_thread", message_id="msg0002", offset=1)["replies"]) == [
        "msg0004"]
    assert ok(ep, "chat.read_thread", message_id="msg0001")["total"] == 0


def test_search_is_ranked_full_text_over_visible_messages(ep):
    found = ok(ep, "chat.search", query="rollback")
    # BM25: the shortest message that has the word ranks first; hr-private and the others'
    # direct conversation stay hidden
    assert ids(found["results"]) == ["msg0004", "msg0002", "msg0003", "msg0007"]
    assert found["results"][0] == {
        "id": "msg0004", "channel": "#incidents", "thread": "msg0002", "user": "omar",
        "name": "Omar Haddad", "at": "2026-03-01T09:45:00+00:00",
        "text": "thanks, closing the rollback", "snippet": "thanks, closing the [rollback]"}
    assert found["results"][3]["channel"] == "D0001"
    assert ids(ok(ep, "chat.search", query="cafe")["results"]) == ["msg0003"]  # accents fold
    assert ids(ok(ep, "chat.search", query="roll")["results"]) == []  # no substrings
    assert ids(ok(ep, "chat.search", query="roll*")["results"]) == ids(found["results"])
    assert ids(ok(ep, "chat.search", query="r-4821")["results"]) == ["msg0002"]
    assert ids(ok(ep, "chat.search", query="rollback payments")["results"]) == ["msg0002"]


def test_search_filters(ep):
    assert ids(ok(ep, "chat.search", query="rollback", channel="#incidents",
                  user="omar")["results"]) == ["msg0004", "msg0002"]
    assert ids(ok(ep, "chat.search", query="rollback", channel="@vera.jensen")["results"]) == [
        "msg0007"]
    assert ids(ok(ep, "chat.search", query="rollback", since="2026-03-01T09:30:00Z",
                  until="2026-03-01T10:45:00+01:00")["results"]) == ["msg0004", "msg0003"]
    assert ok(ep, "chat.search", query="rollback", until="2026-02-28")["total"] == 0
    assert ok(ep, "chat.search", query="rollback", since="2026-03-01")["total"] == 4
    last = ok(ep, "chat.search", query="rollback", limit=1, offset=3)
    assert last["total"] == 4 and ids(last["results"]) == ["msg0007"]


def test_search_ranks_deterministically_with_ties_by_id(start_episode):
    store = ChatStore(me=ME)
    store.add_user(ME, "Lena")
    store.add_channel("general", [ME])
    for hour in range(3):
        store.add_message("general", ME, "same words here", at(1, hour))
    store.add_message("general", ME, "here here here here", at(1, 5))
    episode = start_episode(("chat",), family="tests/chat", now=NOW, stores={"chat": store})
    assert ids(ok(episode, "chat.search", query="same")["results"]) == [
        "msg0001", "msg0002", "msg0003"]
    assert ids(ok(episode, "chat.search", query="here")["results"])[0] == "msg0004"


def test_post_reply_and_their_effect(ep):
    before = ep.world.digest()
    posted = ok(ep, "chat.post", channel="#general", text="Agenda is up")
    assert posted == {"id": "msg0011", "channel": "#general", "user": ME, "name": "Lena Novak",
                      "at": NOW.isoformat(), "text": "Agenda is up", "reactions": [],
                      "replies": 0}
    assert ep.world.digest() != before
    assert ids(ok(ep, "chat.read_channel", channel="#general")["messages"])[0] == "msg0011"
    reply = ok(ep, "chat.reply", message_id="msg0003", text="Great, thanks")
    assert reply["thread"] == "msg0002" and reply["channel"] == "#incidents"
    assert ids(ok(ep, "chat.read_thread", message_id="msg0002")["replies"])[-1] == reply["id"]
    assert ok(ep, "chat.search", query="agenda")["results"][0]["id"] == "msg0011"  # reindexed
    store = ep.world.store("chat", ChatStore)
    assert [m.id for m in store.sent_by(ME)] == ["msg0011", "msg0012"]
    assert [m.id for m in store.replies_to("msg0002")][-1] == "msg0012"


def test_react_adds_once_per_person(ep):
    reacted = ok(ep, "chat.react", message_id="msg0001", emoji=":Tada:")
    assert reacted == {"message": "msg0001",
                       "reactions": [{"emoji": "tada", "count": 1, "users": [ME]}]}
    err(ep, "chat.react", "already reacted with :tada:", message_id="msg0001", emoji="tada")
    store = ep.world.store("chat", ChatStore)
    store.messages[8].reactions.append(chat.Reaction(emoji="eyes", users=["omar"]))
    assert ok(ep, "chat.react", message_id="msg0009", emoji="eyes")["reactions"] == [
        {"emoji": "eyes", "count": 2, "users": ["omar", ME]}]
    shown = ok(ep, "chat.read_channel", channel="#general")["messages"]
    assert shown[1]["reactions"] == [{"emoji": "tada", "count": 1, "users": [ME]}]


def test_send_direct_reuses_or_starts_a_conversation(ep):
    again = ok(ep, "chat.send_direct", to=["@vera.jensen"], text="Notes attached")
    assert again["channel"] == "D0001"
    group = ok(ep, "chat.send_direct", to=["omar.haddad@example.org", "ines", ME], text="Sync?")
    assert group["channel"] == "D0003"
    store = ep.world.store("chat", ChatStore)
    assert store.direct_with("omar", "ines") is not None
    assert store.direct_with("omar", "ines").members == ["ines", ME, "omar"]  # type: ignore
    assert ok(ep, "chat.send_direct", to=["ines", "omar"], text="Later")["channel"] == "D0003"
    listed = ok(ep, "chat.list_channels", include_direct=True)["results"]
    assert [c["name"] for c in listed if c["kind"] == "direct"] == ["@vera.jensen",
                                                                     "@ines, @omar"]


def test_reads_change_nothing(ep):
    before = ep.world.digest()
    ok(ep, "chat.list_channels", include_direct=True)
    ok(ep, "chat.list_users")
    ok(ep, "chat.read_channel", channel="#general")
    ok(ep, "chat.read_thread", message_id="msg0002")
    ok(ep, "chat.search", query="rollback")
    assert ep.world.digest() == before


def test_list_users(ep):
    users = ok(ep, "chat.list_users")
    assert users["you"] == ME and [u["handle"] for u in users["results"]] == [
        "ines", ME, "omar", "vera.jensen"]
    assert [u["handle"] for u in ok(ep, "chat.list_users", query="ines")["results"]] == ["ines"]
    assert [u["handle"] for u in ok(ep, "chat.list_users", query="hadd*")["results"]] == ["omar"]


@pytest.mark.parametrize(("tool", "args", "match"), [
    ("chat.read_channel", {"channel": "#hr-private"}, "no channel or conversation"),
    ("chat.read_channel", {"channel": "C0004"}, "no channel or conversation"),
    ("chat.read_channel", {"channel": "D0002"}, "no channel or conversation"),
    ("chat.read_channel", {"channel": "#nope"}, "list_channels lists them"),
    ("chat.read_channel", {"channel": "@omar"}, "no direct conversation with @omar"),
    ("chat.read_channel", {"channel": "@ghost"}, "no user '@ghost'"),
    ("chat.read_thread", {"message_id": "msg0005"}, "no message with id 'msg0005'"),
    ("chat.read_thread", {"message_id": "msg9999"}, "no message with id"),
    ("chat.post", {"channel": "#old-launch", "text": "hi"}, "archived"),
    ("chat.post", {"channel": "#hr-private", "text": "hi"}, "no channel or conversation"),
    ("chat.post", {"channel": "#general", "text": "   "}, "must not be blank"),
    ("chat.post", {"channel": "#general", "text": ""}, "invalid arguments"),
    ("chat.post", {"channel": "#general", "text": "x" * 4001}, "at most 4000 characters"),
    ("chat.reply", {"message_id": "msg0010", "text": "hi"}, "archived"),
    ("chat.reply", {"message_id": "msg0008", "text": "hi"}, "no message with id"),
    ("chat.react", {"message_id": "msg0001", "emoji": "thumbs up"}, "must be a name"),
    ("chat.react", {"message_id": "msg0001", "emoji": "::"}, "must be a name"),
    ("chat.react", {"message_id": "msg0010", "emoji": "eyes"}, "archived"),
    ("chat.send_direct", {"to": [ME], "text": "hi"}, "someone other than yourself"),
    ("chat.send_direct", {"to": ["ghost"], "text": "hi"}, "no user 'ghost'"),
    ("chat.send_direct", {"to": [], "text": "hi"}, "invalid arguments"),
    ("chat.send_direct", {"to": [f"u{i}" for i in range(9)], "text": "hi"}, "at most 8"),
    ("chat.search", {"query": "***"}, "no words to search for"),
    ("chat.search", {"query": "rollback", "since": "yesterday"}, "ISO 8601"),
    ("chat.search", {"query": "rollback", "user": "ghost"}, "no user 'ghost'"),
    ("chat.search", {"query": "w " * 40}, "more than 32 words"),
    ("chat.search", {"query": "rollback", "limit": 101}, "invalid arguments"),
    ("chat.list_channels", {"offset": -1}, "invalid arguments"),
])
def test_errors_are_tool_errors_and_change_nothing(ep, tool, args, match):
    err(ep, tool, match, **args)


def test_message_limits(ep, monkeypatch):
    monkeypatch.setattr(chat, "MAX_MESSAGES", 11)
    ok(ep, "chat.post", channel="#general", text="one more")
    err(ep, "chat.post", "holds 11 messages", channel="#general", text="too many")
    err(ep, "chat.send_direct", "holds 11 messages", to=["omar"], text="too many")
    assert ep.world.store("chat", ChatStore).direct_with("omar") is None  # nothing half-made
    monkeypatch.setattr(chat, "MAX_MESSAGES", 100)
    monkeypatch.setattr(chat, "MAX_WRITTEN_CHARS", 400)
    ok(ep, "chat.reply", message_id="msg0001", text="y" * 390)  # 8 were written above
    err(ep, "chat.reply", "400 characters of messages", message_id="msg0001", text="y" * 3)
    assert ep.world.store("chat", ChatStore).written == 398
    monkeypatch.setattr(chat, "MAX_REACTIONS", 1)
    ok(ep, "chat.react", message_id="msg0001", emoji="a")
    err(ep, "chat.react", "1 kinds of reaction", message_id="msg0001", emoji="b")


def test_store_builders_refuse_bad_data():
    store = _store()
    with pytest.raises(ValueError, match="taken"):
        store.add_user("omar", "Omar Again")
    with pytest.raises(ValueError, match="lower-case"):
        store.add_user("Omar H", "Omar")
    with pytest.raises(ValueError, match="exists"):
        store.add_channel("#general")
    with pytest.raises(ValueError, match="no user"):
        store.add_channel("new", ["ghost"])
    with pytest.raises(ValueError, match="at least two"):
        store.add_direct([ME])
    with pytest.raises(ValueError, match="UTC offset"):
        store.add_message("general", ME, "x", "2026-03-01T09:00")
    with pytest.raises(ValueError, match="no top-level message"):
        store.add_message("general", ME, "x", at(1, 9), thread="msg0003")
    with pytest.raises(ValueError, match="no conversation"):
        store.add_message("nowhere", ME, "x", at(1, 9))
    assert store.add_direct(["vera.jensen", ME]).id == "D0001"
    assert ChatStore.model_validate_json(store.model_dump_json()) == store
    assert [m.id for m in store.messages_in("#general")] == ["msg0001", "msg0009"]


def test_same_actions_give_the_same_digest(start_episode):
    digests = set()
    for _ in range(2):
        episode = start_episode(("chat",), family="tests/chat", now=NOW,
                                stores={"chat": _store()})
        ok(episode, "chat.post", channel="#general", text="hello")
        ok(episode, "chat.reply", message_id="msg0002", text="ack")
        ok(episode, "chat.react", message_id="msg0002", emoji="eyes")
        ok(episode, "chat.send_direct", to=["omar"], text="hi")
        digests.add(episode.world.digest())
    assert len(digests) == 1


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("chat.list_channels", {"include_direct": True}),
             ("chat.search", {"query": "rollback"}),
             ("chat.post", {"channel": "#general", "text": "über ✓"}),
             ("chat.reply", {"message_id": "msg0002", "text": "ack"}),
             ("chat.react", {"message_id": "msg0002", "emoji": "eyes"}),
             ("chat.read_thread", {"message_id": "msg0002"}),
             ("chat.post", {"channel": "#old-launch", "text": "x"})]
    served, direct = (start_episode(("chat",), family="tests/chat", now=NOW,
                                    stores={"chat": _store()}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_reads_are_marked_read_only_and_run_beside_other_calls():
    specs = ChatApp.tool_specs()
    assert sorted(n for n, s in specs.items() if s.read_only) == ['list_channels', 'list_users', 'read_channel', 'read_thread', 'search']
    assert all(s.concurrent == s.read_only for s in specs.values())


def test_control_characters_in_messages_and_queries(ep):
    ok(ep, "chat.post", channel="#general", text="zeta\x00omega")
    found = ok(ep, "chat.search", query="omega\x00")
    assert ids(found["results"]) == ["msg0011"]
    assert found["results"][0]["snippet"] == "zeta [omega]"
    assert found["results"][0]["text"] == "zeta\x00omega"
