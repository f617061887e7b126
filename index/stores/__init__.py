"""Where an index lives: ``folder`` (the index folder and its manifest; ``versions``: its
versions and writer lock; ``loading``: reading it back), ``bm25``
(sparse BM25 arrays), ``dense`` (the FAISS index) and ``milvus`` (a Milvus collection that
serves the same searches)."""
