"""Shared fixtures: the sample corpus and one index of it, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
DOC_683 = SAMPLE / "2017-03-28_683-CV-HU_Hon-Quan.txt"
DOC_27 = SAMPLE / "2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW.txt"


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    from index.build import build

    out = tmp_path_factory.mktemp("index") / "sample"
    build([SAMPLE], out)
    return out


@pytest.fixture(scope="session")
def searcher(sample_index):
    from search import Searcher

    return Searcher.load(sample_index)
