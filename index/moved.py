"""Module paths of the previous release, kept for one release (until 0.3).

The index package was split by role (``index.readers``, ``index.encoders``, ``index.stores``)
and its query-time pieces moved to ``search``.  ``import index.store`` and the other old paths
still work: a finder on ``sys.meta_path`` makes each old module a view of its new homes (with a
``DeprecationWarning`` naming them), and the two renamed classes answer to their old names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {  # old module -> its new modules, searched in order
    "index.documents": ("index.readers.documents", "index.readers.sources"),
    "index.external": ("index.readers.external",),
    "index.metadata": ("index.readers.metadata", "search.citation", "search.filters"),
    "index.scan": ("index.readers.scan", "index.readers.scan_header",
                   "index.readers.scan_regions"),
    "index.e5_model": ("index.encoders.e5_model",),
    "index.onnx_model": ("index.encoders.onnx_model",),
    "index.embeddings": ("index.encoders.embeddings",),
    "index.store": ("index.stores.folder", "index.stores.loading", "index.stores.versions"),
    "index.bm25": ("index.stores.bm25",),
    "index.dense": ("index.stores.dense",),
    "index.milvus": ("index.stores.milvus", "search.filters"),
    "index.retrieval": ("search.backends", "search.filters"),
}
RENAMED = {"EmbeddedRetrieval": "FolderBackend", "Retrieval": "Backend"}


class MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`MOVED` and loads each as a view of its new modules."""

    def find_spec(self, name, path=None, target=None):
        if name in MOVED:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        homes = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {' and '.join(homes)}; the old path goes "
                      "in release 0.3", DeprecationWarning, stacklevel=2)
        modules = [importlib.import_module(home) for home in homes]

        def __getattr__(name: str):
            for home in modules:
                if hasattr(home, RENAMED.get(name, name)):
                    return getattr(home, RENAMED.get(name, name))
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__
        module.__doc__ = f"Moved to {', '.join(homes)}."


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())


