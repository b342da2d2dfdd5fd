"""``nbgraph.compile.sharedvalue`` (Theano's ``theano.compile.sharedvalue``): re-exports of
``core.shared``, where shared variables live."""

from ..core.shared import SharedVariable, shared

__all__ = ["SharedVariable", "shared"]
