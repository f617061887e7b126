"""The previous release's import paths keep working for one release (index.moved)."""

import importlib
import sys

import pytest

OLD_NAMES = [  # what a user of the previous release imported, and where it lives now
    ("index.documents", "read_file", "index.readers.documents", "read_file"),
    ("index.documents", "Document", "index.readers.documents", "Document"),
    ("index.external", "ocr_pdf_page", "index.readers.external", "ocr_pdf_page"),
    ("index.metadata", "parse_metadata", "index.readers.metadata", "parse_metadata"),
    ("index.metadata", "citation", "search.citation", "citation"),
    ("index.metadata", "year_range", "search.filters", "year_range"),
    ("index.scan", "regions", "index.readers.scan_regions", "regions"),
    ("index.scan", "lay_out", "index.readers.scan", "lay_out"),
    ("index.documents", "read_sources", "index.readers.sources", "read_sources"),
    ("index.e5_model", "ensure_default_model", "index.encoders.e5_model", "ensure_default_model"),
    ("index.onnx_model", "OnnxEncoder", "index.encoders.onnx_model", "OnnxEncoder"),
    ("index.embeddings", "Embedder", "index.encoders.embeddings", "Embedder"),
    ("index.embeddings", "EmbeddingCache", "index.encoders.embeddings", "EmbeddingCache"),
    ("index.store", "load_index", "index.stores.loading", "load_index"),
    ("index.store", "writer_lock", "index.stores.versions", "writer_lock"),
    ("index.store", "IndexData", "index.stores.folder", "IndexData"),
    ("index.bm25", "BM25", "index.stores.bm25", "BM25"),
    ("index.dense", "FaissIndex", "index.stores.dense", "FaissIndex"),
    ("index.milvus", "MilvusStore", "index.stores.milvus", "MilvusStore"),
    ("index.milvus", "filter_expression", "search.filters", "filter_expression"),
    ("index.retrieval", "EmbeddedRetrieval", "search.backends", "FolderBackend"),
    ("index.retrieval", "Retrieval", "search.backends", "Backend"),
    ("index.retrieval", "Where", "search.filters", "Where"),
    ("index.retrieval", "filter_value", "search.filters", "filter_value"),
]


@pytest.mark.parametrize("old, name, new, new_name", OLD_NAMES)
def test_old_import_paths_give_the_same_objects(old, name, new, new_name):
    module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), new_name)
    namespace: dict = {}
    exec(f"from {old} import {name} as found", namespace)
    assert namespace["found"] is getattr(importlib.import_module(new), new_name)


def test_an_old_path_warns_and_names_its_new_home():
    sys.modules.pop("index.store", None)
    with pytest.warns(DeprecationWarning, match=r"index\.store moved to index\.stores\.folder"):
        importlib.import_module("index.store")
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        importlib.import_module("index.store").nothing_here


def test_the_packages_export_their_main_names():
    import index
    import search
    from index.stores.loading import load_index
    assert index.load_index is load_index
    assert "Searcher" in search.__all__ and search.Searcher.__name__ == "Searcher"
    with pytest.raises(AttributeError):
        index.no_such_name
