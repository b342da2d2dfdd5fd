"""``nbgraph.misc.pkl_utils`` (Theano's path): ``dump`` and ``load``, re-exported from
compile/pickling.py."""

from ..compile.pickling import dump, load

__all__ = ["dump", "load"]
