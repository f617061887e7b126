"""Users, sign-in throttling, the audit log, and replacing a document with its previous
version kept (index.users, index.library)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from index.users import FREE_FAILURES, UserError, UserStore, audit_csv, read_audit

from ..conftest import DOC_683, ROOT


def test_passwords_are_stored_as_argon2_hashes_only(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("maria", "mật-khẩu-dài", "editor", "kiem-tra, nhan-su")
    raw = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert "mật-khẩu-dài" not in raw and "$argon2id$" in raw
    assert oct((tmp_path / "users.json").stat().st_mode & 0o777) == "0o600"
    user, wait = store.verify("maria", "mật-khẩu-dài")
    assert user.name == "maria" and user.groups == ["kiem-tra", "nhan-su"] and wait == 0
    assert user.can("reader") and user.can("editor") and not user.can("admin")
    with pytest.raises(UserError, match="exists"):
        store.add("maria", "another-password")
    with pytest.raises(UserError, match="at least 8"):
        store.add("bob", "short")
    with pytest.raises(UserError, match="unknown role"):
        store.add("bob", "long-enough", "root")


def test_wrong_passwords_are_slowed_and_a_disabled_user_cannot_sign_in(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("an", "correct horse", "reader")
    now = 1_000_000.0
    for _ in range(FREE_FAILURES - 1):
        assert store.verify("an", "wrong", now) == (None, 0.0)
    user, wait = store.verify("an", "wrong", now)
    assert user is None and wait == 2.0
    # during the wait even the right password is not checked
    assert store.verify("an", "correct horse", now + 1)[0] is None
    assert store.verify("an", "wrong", now + 3) == (None, 4.0)  # twice as long each time
    assert store.verify("an", "correct horse", now + 8)[0].name == "an"
    store.set_disabled("an", True)
    assert store.verify("an", "correct horse", now + 9)[0] is None
    assert store.verify("nobody", "correct horse")[0] is None


def test_the_first_start_makes_one_admin_with_a_one_time_password(tmp_path):
    store = UserStore(tmp_path / "users.json")
    password = store.first_admin()
    assert len(password) >= 12 and store.verify("admin", password)[0].role == "admin"
    assert store.first_admin() is None  # never again, never a second admin


def test_the_shell_command_manages_users_and_reads_passwords_from_stdin(tmp_path):
    index = tmp_path / "index"

    def run(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "index", "users", "--index", str(index),
                               *args], input=stdin, capture_output=True, text=True, cwd=ROOT)

    assert run("add", "lan", "--role", "editor", "--groups", "to-chuc",
               stdin="mật khẩu của Lan\n").returncode == 0
    assert run("set", "lan", "--role", "admin", "--groups", "").returncode == 0
    assert run("disable", "lan").returncode == 0
    listed = run("list").stdout
    assert "lan" in listed and "admin" in listed and "disabled" in listed
    bad = run("add", "x y", stdin="long enough\n")
    assert bad.returncode == 1 and "bad user name" in bad.stderr
    store = UserStore(tmp_path / "users.json")
    assert store.get("lan").groups == [] and store.get("lan").disabled
    assert [r["action"] for r in read_audit(index)] == ["user add", "user set", "user disable"]


@pytest.mark.slow
def test_a_replacement_is_confirmed_kept_audited_and_restorable(sample_index, tmp_path):
    from index.library import list_versions, remove_document, restore_version, upload_documents
    from search import Searcher

    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    genuine = DOC_683.read_text(encoding="utf-8")
    forged = genuine.replace("báo cáo Huyện ủy", "không cần báo cáo Huyện ủy")
    upload = [(DOC_683.name, forged.encode("utf-8"))]
    # not confirmed: nothing changes
    outcome = upload_documents(upload, index, "maria")
    assert outcome.messages[0][0] == "warning"
    assert "không cần báo cáo" not in Searcher.load(index).document_text(DOC_683.stem)
    # a reader outside the group of a restricted document cannot overwrite it
    upload_documents([("mat.txt", genuine.encode("utf-8"))], index, "maria", access="kiem-tra")
    refused = upload_documents([("mat.txt", b"x" * 100)], index, "lan", groups=["to-chuc"],
                               confirmed={"mat"})
    assert refused.messages[0][0] == "error" and "không có quyền" in refused.messages[0][1]
    # confirmed: replaced, the genuine text kept as a version, both audited with hashes
    outcome = upload_documents(upload, index, "maria", confirmed={DOC_683.stem}, worker=True)
    assert outcome.messages[-1][0] == "success"
    assert "không cần báo cáo" in Searcher.load(index).document_text(DOC_683.stem)
    versions = list_versions(index)
    assert [v["doc_id"] for v in versions] == [DOC_683.stem]
    log = read_audit(index)
    assert [(r["user"], r["action"], r["doc_id"]) for r in log] == [
        ("maria", "upload", "mat"), ("maria", "replace", DOC_683.stem)]
    assert len(log[1]["sha256"]) == 64
    # the admin restores the genuine text; the forged one is kept in turn
    restore_version(versions[0], index, "admin", worker=True)  # as the app does
    from index.readers.documents import read_file

    assert Searcher.load(index).document_text(DOC_683.stem) == read_file(DOC_683).text
    assert len(list_versions(index)) == 2
    remove_document("mat", index, "lan", groups=["to-chuc"])  # cannot see it: not removed
    assert "mat" in Searcher.load(index).data.documents
    remove_document("mat", index, "maria", groups=["kiem-tra"], worker=True)
    assert "mat" not in Searcher.load(index).data.documents
    rows = read_audit(index)
    assert [r["action"] for r in rows[-2:]] == ["restore", "remove"]
    assert audit_csv(rows).splitlines()[0] == "time,user,action,doc_id,file,sha256,detail"
    assert json.loads(json.dumps(rows))  # plain JSON lines
