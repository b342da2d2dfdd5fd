"""``nbgraph.tensor.sharedvar`` (Theano's ``theano.tensor.sharedvar``): re-exports only. One
class serves every shared tensor here, so ``TensorSharedVariable`` and
``ScalarSharedVariable`` name it too (``isinstance`` checks keep working)."""

from ..core.shared import SharedVariable, shared

TensorSharedVariable = ScalarSharedVariable = SharedVariable
tensor_constructor = scalar_constructor = shared

__all__ = ["SharedVariable", "TensorSharedVariable", "ScalarSharedVariable", "shared",
           "tensor_constructor", "scalar_constructor"]
