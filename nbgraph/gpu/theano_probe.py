"""What libraries written for Theano 1.0 probe when they load (``theano.gpuarray``): nbgraph
runs on the GPU through CuPy (``nbgraph.gpu``), never through pygpu or cuDNN, so these report
no pygpu and no cuDNN on every machine, and code written for Theano takes its CPU path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pygpu_activated", "dnn_available", "dnn_present"]

pygpu_activated = False


class _NoCudnn:
    """Theano's ``dnn_available(context_name=None)``: False, with the reason in ``msg``."""

    msg = ("nbgraph has no cuDNN binding; its GPU path is nbgraph.gpu (CuPy), not "
           "theano.gpuarray")

    def __call__(self, context_name: Any = None) -> bool:
        return False


dnn_available = _NoCudnn()
dnn_present = _NoCudnn()
