"""``nbgraph.sandbox.rng_mrg`` (Theano's path): ``MRG_RandomStreams``, re-exported from
ops/rng_mrg.py."""

from ..ops.rng_mrg import MRG_RandomStreams

__all__ = ["MRG_RandomStreams"]
