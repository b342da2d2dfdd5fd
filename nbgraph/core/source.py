"""Where a node came from: the user's source line, found by a short frame walk at construction.

``Apply`` asks ``user_source()`` for the first frame outside nbgraph's own files, so a node
built by ``T.exp(x)`` in ``model.py`` line 42 records ``model.py:42 in forward``. Nodes a
rewrite creates are built inside nbgraph while the user's ``function(...)`` call is on the
stack, so the rewrite stage suspends the walk and the FunctionGraph hands each new node the
sources of the nodes it replaced (``inherit``): a fused node lists every node it absorbed.
``config.record_source = False`` switches the walk off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..config import config

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_suspended = 0   # > 0 while rewrites build nodes: their sources are inherited instead


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line of user code: ``model.py:42 in forward``."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line} in {self.function}"


def user_source() -> SourceLine | None:
    """The innermost frame of the caller's stack that is not nbgraph's own code."""
    if _suspended or not config.record_source:
        return None
    frame: Any = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    code = frame.f_code
    return SourceLine(code.co_filename, frame.f_lineno, code.co_name)


@contextmanager
def suspended() -> Iterator[None]:
    """Nodes built inside the block record no frame (the rewrite stage hands them theirs)."""
    global _suspended
    _suspended += 1
    try:
        yield
    finally:
        _suspended -= 1


def sources_of(node: Any) -> tuple[SourceLine, ...]:
    return getattr(node.tag, "source", ())


def describe(node: Any) -> str:
    """``built at model.py:42 in forward`` (several places for a rewritten node), or ''."""
    places = sources_of(node)
    if not places:
        return ""
    return "built at " + ", ".join(str(s) for s in places)


def inherit(created: Iterable[Any], replaced: Iterable[Any], label: Any = str) -> None:
    """Give each node ``created`` by one rewrite the sources of the nodes it ``replaced``
    (and their name scope, when they all share one), and list those nodes (``tag.absorbed``:
    uid, op label, sources; flattened when a replaced node had itself absorbed others, as a
    fused loop of fused loops does). They are backward (``tag.grad_of``) when every replaced
node was; ``tag.grad_mixed`` when only some were."""
    replaced = list(replaced)
    sources: dict[SourceLine, None] = {}
    absorbed: dict[int, tuple[int, str, tuple[SourceLine, ...]]] = {}   # by uid: no repeats
    for node in replaced:
        sources.update(dict.fromkeys(sources_of(node)))
        inner = getattr(node.tag, "absorbed", None)
        for item in inner if inner else [(node.uid, label(node.op), sources_of(node))]:
            absorbed.setdefault(item[0], item)
    # a broadcast constant (a node reading only constants) is neither forward nor backward
    counted = [n for n in replaced if not all(hasattr(v, "data") for v in n.inputs)]
    grads = [g for node in counted if (g := getattr(node.tag, "grad_of", None)) is not None]
    scopes = {getattr(node.tag, "scope", None) for node in replaced} - {None}
    for node in created:
        if not sources_of(node) and sources:
            node.tag.source = tuple(sources)
        if len(scopes) == 1 and not hasattr(node.tag, "scope"):
            node.tag.scope = next(iter(scopes))   # a layer's rewritten nodes stay in its box
        if absorbed and not hasattr(node.tag, "absorbed"):
            node.tag.absorbed = tuple(absorbed.values())
        if grads and not hasattr(node.tag, "grad_of"):   # memory() tells backward by it
            if len(grads) == len(counted):
                node.tag.grad_of = grads[0]
            else:
                node.tag.grad_mixed = True   # forward and backward nodes fused into one
