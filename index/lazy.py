"""Names a package exports from its modules, each imported on first use (PEP 562): the package
loads fast, and a module of it can be imported alone."""

from __future__ import annotations

import importlib
import sys


def lazy_names(package: str, homes: dict[str, str]):
    """A package's ``__getattr__`` and ``__dir__`` for names it exports from its modules
    (``homes``: name -> module under ``package``), each imported on first use."""
    module = sys.modules[package]

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(homes))

    return __getattr__, __dir__
