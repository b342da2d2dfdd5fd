"""``nbgraph.gpuarray.dnn`` (Theano's path): cuDNN probes, which report no cuDNN.
Re-exports only."""

from ..gpu.theano_probe import dnn_available, dnn_present

__all__ = ["dnn_available", "dnn_present"]
