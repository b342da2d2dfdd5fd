"""``nbgraph.misc.pkl_utils`` (Theano's path): ``dump`` and ``load`` (pickle: loading runs
code from the file) and the pickle-free ``save_values``/``load_values``, re-exported from
compile/pickling.py."""

from ..compile.pickling import dump, load, load_values, save_values

__all__ = ["dump", "load", "load_values", "save_values"]
