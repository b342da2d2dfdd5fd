"""``nbgraph.gpuarray`` (Theano 1.0's ``theano.gpuarray``), importable everywhere so libraries
that probe it load: it reports no pygpu (nbgraph's GPU path is ``nbgraph.gpu``). Re-exports
only."""

from ..gpu.theano_probe import pygpu_activated
from . import dnn  # noqa: F401

__all__ = ["pygpu_activated", "dnn"]
