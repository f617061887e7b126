"""The command lines as a user runs them (subprocesses, real index, real model)."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT


def run(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("module", ["search", "index", "eval"])
def test_help_does_not_load_torch(module):
    result = run("-X", "importtime", "-m", module, "--help")
    assert result.returncode == 0 and "usage" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "torch" not in imported and "sentence_transformers" not in imported
    assert "underthesea" not in imported


def test_a_search_loads_neither_torch_nor_transformers(sample_index):
    """underthesea's package would import its translation model's code (torch, transformers:
    about 270 MB in every server) though only word segmentation is used."""
    result = run("-X", "importtime", "-m", "search", "thời hạn báo cáo của chi bộ",
                 "--index", str(sample_index))
    assert result.returncode == 0 and "683-CV/HU" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "underthesea" in imported and "onnxruntime" in imported
    assert not imported & {"torch", "transformers", "sentence_transformers"}


def test_missing_index_is_one_clear_line(tmp_path):
    result = run("-m", "search", "chi bộ", "--index", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no index here" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,message", [
    (["   "], "empty query"),
    (["chi bộ", "--mode", "fuzzy"], "unknown mode"),
    (["chi bộ", "--filter", "year=abc"], "bad year filter"),
])
def test_bad_input_exits_non_zero_without_traceback(args, message, sample_index):
    result = run("-m", "search", *args, "--index", str(sample_index))
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_search_json_with_network_off(sample_index):
    """The whole query path runs with the hub off and every socket connection refused."""
    code = ("import socket, sys, runpy\n"
            "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "sys.argv = ['search', 'thời hạn báo cáo của chi bộ', '--index', sys.argv[1], "
            "'--json', '--k', '3']\n"
            "runpy.run_module('search', run_name='__main__')\n")
    result = run("-c", code, str(sample_index), env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["query"] == "thời hạn báo cáo của chi bộ" and len(out["hits"]) == 3
    hit = out["hits"][0]
    for key in ("doc_id", "title", "citation", "section", "text", "start", "end", "score"):
        assert key in hit
    assert "683-CV/HU" in hit["citation"]
    answer = out["answer"]
    assert not answer["abstained"] and "Định kỳ" in answer["text"]
    assert answer["obligations"] and all(o["citation"] for o in answer["obligations"])


@pytest.mark.slow
def test_open_a_cited_passage_and_abstain(sample_index):
    result = run("-m", "search", "tỉ lệ kết nạp đảng viên mới", "--index", str(sample_index),
                 "--json", "--k", "1")
    hit = json.loads(result.stdout)["hits"][0]
    result = run("-m", "search", "--open", hit["passage_id"], "--index", str(sample_index),
                 "--json")
    opened = json.loads(result.stdout)
    assert opened["text"][opened["start"]:opened["end"]] == hit["text"]
    result = run("-m", "search", "--open", hit["passage_id"], "--index", str(sample_index))
    assert f"⟦{hit['text']}⟧" in result.stdout
    result = run("-m", "search", "--open", "nope#1", "--index", str(sample_index))
    assert result.returncode == 1 and "no passage 'nope#1'" in result.stderr
    result = run("-m", "search", "Công thức nấu phở bò Nam Định", "--index", str(sample_index))
    assert result.returncode == 0
    assert "Không tìm thấy căn cứ trong các văn bản đã lập chỉ mục" in result.stdout


@pytest.mark.slow
def test_index_build_add_remove_inspect(tmp_path):
    sample = ROOT / "data" / "sample"
    out = tmp_path / "idx"
    files = sorted(sample.iterdir())
    result = run("-m", "index", "build", str(files[0]), str(tmp_path / "missing.txt"),
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 files skipped" in result.stdout and "missing.txt" in result.stderr
    result = run("-m", "index", "add", str(files[1]), "--index", str(out))
    assert result.returncode == 0 and "Added 1 documents" in result.stdout
    result = run("-m", "index", "remove", files[0].stem, "--index", str(out))
    assert result.returncode == 0 and "1 documents" in result.stdout
    result = run("-m", "index", "inspect", str(files[0]), "--json")
    data = json.loads(result.stdout)
    assert data["metadata"]["code"] == "683-CV/HU" and data["passages"]
