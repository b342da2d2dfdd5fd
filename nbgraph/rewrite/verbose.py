"""``config.optimizer_verbose``: print each replacement as Theano 1.0 did, one line each."""

from __future__ import annotations

from typing import Any

from ..core.graph import Apply
from ..core.variable import TensorVariable


class VerboseListener:
    """Prints ``optimizer: rewrite <rule> replaces <old> of <node> with <new> of <node>``."""

    def __init__(self, write: Any = print) -> None:
        self.write = write
        self._seen: set[tuple[int, int]] = set()

    def on_change_input(self, node: Apply | str, i: int, old: TensorVariable, new: TensorVariable,
                        reason: str | None) -> None:
        key = (id(old), id(new))
        if reason is None or key in self._seen:  # one line per replaced variable
            return
        self._seen.add(key)
        self.write(f"optimizer: rewrite {reason} replaces {old} of {old.owner!r} "
                   f"with {new} of {new.owner!r}")

    def on_replace_done(self, reason: str | None) -> None:
        self._seen.clear()
