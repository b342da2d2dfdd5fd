"""``with nbgraph.name_scope("layer1"):``: nodes built inside carry the scope's name.

The views box a scope's nodes (and can collapse the box to one node); ``debugprint`` ends
their lines with ``@layer1``. Scopes nest as paths (``encoder/layer1``). A node's scope is
``node.tag.scope``; rewrites that clone a node keep it, and nodes a rewrite makes take the
scope of the nodes they replace when those share one (``core.source.inherit``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_stack: list[str] = []


@contextmanager
def name_scope(name: str) -> Iterator[str]:
    """Give every node built in the block the scope ``name`` (nested: ``outer/name``).

    >>> import nbgraph, nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> with nbgraph.name_scope("layer1"):
    ...     y = T.exp(x)
    >>> y.owner.tag.scope
    'layer1'
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name_scope: expected a non-empty name without '/', got {name!r}")
    _stack.append(name)
    try:
        yield current_scope() or name
    finally:
        _stack.pop()


def current_scope() -> str | None:
    """The scope path of the innermost ``name_scope`` block, or None outside every block."""
    return "/".join(_stack) if _stack else None
