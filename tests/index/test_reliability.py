"""Nothing lost, nothing deleted that a build did not make: where an index may be written,
versions switched atomically, crashes at each write step, concurrent writers, readers during
writes (docs/reliability.md lists these tests and what they showed)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import index.stores.folder as store
import index.stores.versions as versions
from index.build import add, build, remove
from index.stores.loading import load_index
from index.stores.versions import (
    IndexBusyError,
    IndexFolderError,
    versions_dir,
    writer_lock,
)
from tests.conftest import ROOT

LETTERS = {
    "cv-1": "Số 1-CV/HU\nV/v báo cáo quý\nĐịnh kỳ hằng quý, chi bộ báo cáo Huyện ủy tình hình "
            "học tập nghị quyết.",
    "cv-2": "Số 2-CV/HU\nV/v đảng phí\nĐảng viên đóng đảng phí hằng tháng tại chi bộ nơi sinh "
            "hoạt.",
    "cv-3": "Số 3-CV/HU\nV/v sinh hoạt chi bộ\nChi bộ sinh hoạt thường kỳ mỗi tháng một lần.",
    "cv-4": "Số 4-CV/HU\nV/v kết nạp đảng viên\nChi bộ xét kết nạp quần chúng ưu tú vào Đảng.",
}


def _letters(folder: Path, names) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = folder / f"{name}.txt"
        path.write_text(LETTERS[name], encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def small_index(tmp_path) -> Path:
    out = tmp_path / "idx"
    build(_letters(tmp_path / "src", ["cv-1", "cv-2", "cv-3"]), out)
    return out


def _doc_ids(folder: Path) -> set[str]:
    return set(load_index(folder).documents)


# --- where an index may be written ---------------------------------------------------------

def test_build_refuses_a_folder_of_other_files(tmp_path):
    mine = tmp_path / "my-files"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("ghi chú", encoding="utf-8")
    (mine / "sub" / "plan.docx").write_bytes(b"not an index")
    src = _letters(tmp_path / "src", ["cv-1"])
    with pytest.raises(IndexFolderError, match="other files"):
        build(src, mine)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "ghi chú"
    assert (mine / "sub" / "plan.docx").exists()


def test_build_refuses_its_own_sources(tmp_path):
    src = tmp_path / "src"
    _letters(src, ["cv-1"])
    for out in (src, tmp_path, src / "index"):
        with pytest.raises(IndexFolderError, match="built from"):
            build([src], out)
    assert (src / "cv-1.txt").exists() and not (src / "index").exists()


def test_cli_refusal_is_one_line_and_keeps_the_files(tmp_path):
    mine = tmp_path / "my-files"
    mine.mkdir()
    (mine / "notes.txt").write_text("x", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "index", "build", str(ROOT / "data" / "sample"),
                             "--out", str(mine)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "other files" in result.stderr
    assert (mine / "notes.txt").exists()


def test_build_over_an_empty_folder_or_an_index(tmp_path, small_index):
    empty = tmp_path / "empty"
    empty.mkdir()
    build(_letters(tmp_path / "src2", ["cv-4"]), empty)
    assert _doc_ids(empty) == {"cv-4"}
    build(_letters(tmp_path / "src3", ["cv-2"]), small_index)
    assert _doc_ids(small_index) == {"cv-2"}


def test_an_index_of_plain_files_is_adopted_on_its_first_change(tmp_path, small_index):
    plain = tmp_path / "plain"
    plain.mkdir()
    for path in small_index.iterdir():  # an index as older versions wrote it
        (plain / path.name).write_bytes(path.read_bytes())
    assert _doc_ids(plain) == {"cv-1", "cv-2", "cv-3"}
    remove(["cv-3"], plain)
    assert plain.is_symlink() and _doc_ids(plain) == {"cv-1", "cv-2"}


# --- crashes at each write step ------------------------------------------------------------

STEPS = ["texts", "written", "versioned", "adopted", "switched"]


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_leaves_the_old_or_the_new_index(tmp_path, small_index,
                                                              monkeypatch, step):
    if step == "adopted":  # only an index of plain files is adopted: make one
        plain = tmp_path / "plain"
        plain.mkdir()
        for path in small_index.iterdir():
            (plain / path.name).write_bytes(path.read_bytes())
        small_index = plain

    def crash(at):
        if at == step:
            raise Crash(at)

    monkeypatch.setattr(versions, "crash_point", crash)
    with pytest.raises(Crash):
        remove(["cv-3"], small_index)
    monkeypatch.undo()
    after = _doc_ids(small_index)  # never missing, never damaged
    assert after in ({"cv-1", "cv-2", "cv-3"}, {"cv-1", "cv-2"})
    # the next writer finishes the work and clears what the crashed one left
    remove(["cv-1"], small_index)
    assert _doc_ids(small_index) == after - {"cv-1"}
    assert not list(versions_dir(small_index).glob(".tmp-*"))
    assert not list(small_index.parent.glob(f".{small_index.name}.link-*"))
    assert len(list(versions_dir(small_index).glob("v-*"))) <= versions.KEEP_VERSIONS


def test_a_failed_write_keeps_the_previous_version(small_index, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.FaissIndex, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        remove(["cv-2"], small_index)
    monkeypatch.undo()
    assert _doc_ids(small_index) == {"cv-1", "cv-2", "cv-3"}
    assert not list(versions_dir(small_index).glob(".tmp-*"))


# --- writers and readers at the same time --------------------------------------------------

def test_two_writer_threads_lose_nothing(tmp_path, small_index):
    sources = {name: _letters(tmp_path / name, [name]) for name in ("cv-4",)}
    sources["cv-2b"] = [tmp_path / "cv-2b.txt"]
    sources["cv-2b"][0].write_text(LETTERS["cv-2"].replace("2-CV", "5-CV"), encoding="utf-8")
    errors = []

    def run(paths):
        try:
            add(paths, small_index)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(paths,)) for paths in sources.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _doc_ids(small_index) == {"cv-1", "cv-2", "cv-3", "cv-4", "cv-2b"}


@pytest.mark.slow
def test_two_writer_processes_lose_nothing(tmp_path, small_index):
    first = _letters(tmp_path / "a", ["cv-4"])
    second = tmp_path / "b" / "cv-5.txt"
    second.parent.mkdir()
    second.write_text(LETTERS["cv-3"].replace("3-CV", "5-CV"), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, "-m", "index", "add", str(path), "--index",
                               str(small_index)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for path in (first[0], second)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert _doc_ids(small_index) == {"cv-1", "cv-2", "cv-3", "cv-4", "cv-5"}


def test_a_second_writer_waits_then_gives_up_clearly(small_index):
    held, release = threading.Event(), threading.Event()

    def holder():
        with writer_lock(small_index):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)
    heard = []
    try:
        with pytest.raises(IndexBusyError, match="another change"):
            with writer_lock(small_index, wait=0.3, say=heard.append):
                pass
    finally:
        release.set()
        t.join()
    assert heard and "waiting" in heard[0]
    with writer_lock(small_index, wait=1):  # free again
        pass


def test_readers_never_see_a_missing_or_damaged_index(tmp_path, small_index):
    extra = _letters(tmp_path / "extra", ["cv-4"])
    stop, seen, errors = threading.Event(), [], []

    def reader():
        while not stop.is_set():
            try:
                seen.append(len(load_index(small_index).documents))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(4):
            add(extra, small_index)
            remove(["cv-4"], small_index)
    finally:
        stop.set()
        t.join()
    assert not errors, errors[:3]
    assert seen and set(seen) <= {3, 4}


# --- integrity: damaged files are named on one line, never used ----------------------------

def _damage_texts(folder: Path) -> None:
    path = folder / "texts.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("báo cáo", "bỏ qua", 1), encoding="utf-8")  # same length


def _truncate(name: str):
    def damage(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_bytes()[:-8])
    return damage


def _passage_out_of_range(folder: Path) -> None:
    path = folder / "passages.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["end"] = 999999
    path.write_text("\n".join([json.dumps(row, ensure_ascii=False)] + lines[1:]) + "\n",
                    encoding="utf-8")


def _delete(name: str):
    return lambda folder: (folder / name).unlink()


def _manifest_without_model(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["model"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("damage, named", [
    (_damage_texts, "texts.txt"),
    (_truncate("bm25_vocab.txt"), "bm25_vocab.txt"),
    (_truncate("bm25_indptr.npy"), "bm25_indptr.npy"),
    (_passage_out_of_range, "passages.jsonl"),
    (_delete("folded_tf.npy"), "folded_tf.npy"),
    (_truncate("dense.faiss"), "dense.faiss"),
    (_manifest_without_model, "model"),
])
def test_a_damaged_index_is_refused_on_one_line_naming_the_damage(small_index, damage, named):
    damage(small_index)
    with pytest.raises(IndexFolderError, match=named) as caught:
        load_index(small_index)
    assert "\n" not in str(caught.value) and "rebuild" in str(caught.value)
    result = subprocess.run([sys.executable, "-m", "search", "chi bộ", "--index",
                             str(small_index)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert named in result.stderr


def test_verify_reads_every_checksum(small_index):
    ok = subprocess.run([sys.executable, "-m", "index", "verify", "--index", str(small_index)],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0 and "every file matches" in ok.stdout
    path = small_index / "dense.faiss"  # same size, other bytes: loads, but is not the index
    data = bytearray(path.read_bytes())
    data[-4:] = bytes(4) if data[-4:] != bytes(4) else b"\x01\x02\x03\x04"
    path.write_bytes(bytes(data))
    assert len(load_index(small_index).documents) == 3  # sizes are checked on load, not this
    bad = subprocess.run([sys.executable, "-m", "index", "verify", "--index", str(small_index)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "dense.faiss does not match its checksum" in bad.stderr


def test_a_full_disk_is_one_line_on_the_command_line(small_index, monkeypatch, capsys):
    from index.__main__ import main

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.FaissIndex, "save", full_disk)
    assert main(["remove", "cv-3", "--index", str(small_index)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "No space left on device" in err and "unchanged" in err
    monkeypatch.undo()
    assert _doc_ids(small_index) == {"cv-1", "cv-2", "cv-3"}



def test_an_index_without_checksums_is_still_checked_as_it_is_read(small_index):
    manifest = json.loads((small_index / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]  # as written before checksums were recorded
    (small_index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    path = small_index / "passages.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["doc_id"] = "khong-co"
    path.write_text("\n".join([json.dumps(row)] + lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(IndexFolderError, match="points outside the documents"):
        load_index(small_index)
    result = subprocess.run([sys.executable, "-m", "index", "verify", "--index",
                             str(small_index)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1 and "before checksums were recorded" in result.stderr
