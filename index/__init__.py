"""Turn documents into an index folder: read, split, tokenize, embed, store.

``readers`` (files to documents), ``chunking`` (documents to passages), ``text`` (passages to
index terms), ``encoders`` (passages to vectors), ``stores`` (the folder, BM25, FAISS, Milvus),
``build`` (the whole write, and changes in place), ``ingest`` (workers feeding a Milvus
collection), ``library``/``users``/``access``/``worker`` (what the app's server keeps).
docs/architecture.md draws the flow.

Heavy libraries (torch, sentence-transformers, underthesea) load only when used; so do the
names below.  The previous release's module paths (``index.store``, ``index.milvus`` ...) keep
working for one release (:mod:`index.moved`).
"""

from __future__ import annotations

from index.lazy import lazy_names
from index.moved import install

install()

_HOMES = {"add": "build", "remove": "build", "rebuild": "build",
          "publish": "build", "BuildReport": "build", "Document": "readers.documents",
          "DocumentError": "readers.documents", "read_file": "readers.documents",
          "Passage": "chunking", "split_document": "chunking", "Analyzer": "text",
          "Embedder": "encoders.embeddings", "IndexData": "stores.folder",
          "load_index": "stores.loading", "IndexFolderError": "stores.versions",
          "IndexBusyError": "stores.versions", "MilvusStore": "stores.milvus",
          "MilvusConfig": "stores.milvus", "MilvusUnavailable": "stores.milvus"}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
