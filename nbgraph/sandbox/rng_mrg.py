"""``nbgraph.sandbox.rng_mrg`` (Theano's path): ``MRG_RandomStreams`` and the MRG31k3p
pieces Theano's tests reach (``mrg_uniform``, ``ff_2p72``, ``ff_2p134``), re-exported from
ops/rng_mrg.py."""

from ..ops.rng_mrg import *  # noqa: F403
from ..ops.rng_mrg import __all__  # noqa: F401
