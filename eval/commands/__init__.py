"""The command line of ``python -m eval``, one module per family of commands (they print;
the measuring itself is in the modules of ``eval``)."""


def listed(text: str) -> tuple[str, ...]:
    """A comma-separated option's items: ``"a, b,"`` -> ``("a", "b")``."""
    return tuple(item.strip() for item in text.split(",") if item.strip())
