"""What ``nbgraph.gpu`` adds to the layers below it when imported, so that they never import
it: the 'cuda' linker, the 'GPU' mode (also FAST_RUN on ``device='cuda'``) and
``shared(..., device='cuda')``. Each entry imports its module, and CuPy, only when used.
"""

from __future__ import annotations

from typing import Any

from ..compile.linker import register_linker
from ..compile.mode import Mode, register_mode
from ..core.shared import register_shared_constructor
from .types import gpu_shared


def cuda_linker() -> Any:
    """A new CUDA linker (``Mode(linker='cuda')``); running it needs CuPy and a GPU."""
    from .cuda_linker import CudaLinker  # lazy: codegen and launch code load when used
    return CudaLinker()


def gpu_mode() -> Mode:
    """The GPU mode (``mode='GPU'``): FAST_RUN's rewrites, the ``gpu`` pass, CUDA linker."""
    from .transfer import gpu_mode as make  # lazy: the pass imports the rewrite layer
    return make()


def register_gpu() -> None:
    """Fill the tables of ``compile.linker``, ``compile.mode`` and ``core.shared``
    (idempotent: entries are replaced, never duplicated)."""
    register_linker(("cuda", "gpu"), cuda_linker)
    register_mode("GPU", gpu_mode, device="cuda")
    register_shared_constructor("cuda", gpu_shared)
