"""Running generated Python (the fast call paths): the source is registered with ``linecache``
under a name that says what made it, so tracebacks, ``pdb`` and profilers show the real lines
instead of ``<string>``."""

from __future__ import annotations

import hashlib
import linecache
from typing import Any


def exec_generated(source: str, scope: dict[str, Any], what: str) -> dict[str, Any]:
    """Compile and run ``source`` in ``scope`` as a file named ``<nbgraph what #hash>``.

    The name is stable for the same source (one linecache entry per distinct text, however
    many functions share it), and the entry is kept (``linecache.checkcache`` leaves it alone:
    its mtime is None).
    """
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<nbgraph {what} #{digest}>"
    if filename not in linecache.cache:
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True),
                                     filename)
    exec(compile(source, filename, "exec"), scope)  # noqa: S102  (our own generated text)
    return scope
