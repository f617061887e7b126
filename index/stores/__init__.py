"""Where an index lives: ``folder`` (the index folder: manifest, versions, locks), ``bm25``
(sparse BM25 arrays), ``dense`` (the FAISS index) and ``milvus`` (a Milvus collection that
serves the same searches)."""
