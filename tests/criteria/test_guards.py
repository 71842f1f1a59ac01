"""Guards: paths, folders, stores, records, and nothing outside the artifacts."""

from workgym.core import Criterion
from workgym.criteria import new_records, nothing_else_changed, unchanged

FILES = {"in/a.txt": b"a\n", "in/b.txt": b"b\n", "keep.txt": b"k\n"}


def write(path, text="x"):
    return ("files.write", {"path": path, "content": text})


def test_unchanged_paths_and_folders(judge):
    guards = [unchanged("keep", paths=["keep.txt"]), unchanged("inputs", folders=["in"])]
    fine = judge(guards, [write("out.txt")], files=FILES)
    assert fine["keep"].passed and fine["inputs"].passed and fine["keep"].guard
    hit = judge(guards, [write("in/a.txt"), write("in/new.txt"),
                         ("files.delete", {"path": "keep.txt"})], files=FILES)
    assert hit["keep"].evidence == "keep.txt removed"
    assert hit["inputs"].evidence == "in/a.txt changed, in/new.txt added"


def test_change_then_restore_passes_and_everywhere_means_the_whole_workspace(judge):
    guard = [unchanged("all", folders=[""])]
    restored = judge(guard, [write("in/a.txt", "z"), write("in/a.txt", "a\n")], files=FILES)
    assert restored["all"].passed
    assert not judge(guard, [write("new.txt")], files=FILES)["all"].passed


def test_records_kept_and_stores_unchanged(judge):
    inbox = [{"subject": "first"}, {"subject": "second"}]
    guards = [unchanged("mails kept", records=[("mail", "messages")]),
              unchanged("mail store", stores=["mail"])]
    send = ("mail.send", {"to": ["x@example.org"], "subject": "hi", "body": "b"})
    sent = judge(guards, [send], messages=inbox)
    assert sent["mails kept"].passed  # new records may be added
    assert not sent["mail store"].passed and sent["mail store"].evidence == "store mail changed"


def test_new_records_are_the_ones_added(judge):
    seen = Criterion("new", lambda ctx: (True, ",".join(
        m.subject for m in new_records(ctx, "mail", "messages"))))
    send = ("mail.send", {"to": ["x@example.org"], "subject": "hi", "body": "b"})
    assert judge([seen], [send], messages=[{"subject": "old"}])["new"].evidence == "hi"


def test_nothing_else_changed_allows_artifacts_scratch_and_named_stores(judge):
    guard = [nothing_else_changed("rest", ["out.txt"], scratch=["tmp"], changing=["mail"])]
    send = ("mail.send", {"to": ["x@example.org"], "subject": "hi", "body": "b"})
    fine = judge(guard, [write("out.txt"), write("tmp/scratch.txt"), send], files=FILES)
    assert fine["rest"].passed
    bad = judge(guard, [write("in/b.txt"), write("notes.txt")], files=FILES)
    assert bad["rest"].evidence == "in/b.txt changed, notes.txt added"
    strict = [nothing_else_changed("rest", ["out.txt"])]
    assert judge(strict, [send], files=FILES)["rest"].evidence == "store mail changed"
