"""Linkers by name: ``Mode(linker='c')`` finds its linker here. ``nbgraph.gpu`` adds 'cuda'
with ``register_linker`` when imported, so no stage below gpu imports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .c_linker import CLinker
from .jax_linker import JaxLinker
from .linker import PythonLinker

# linker name -> factory; ``register_linker`` adds more (nbgraph.gpu: 'cuda', 'gpu')
LINKERS: dict[str, Callable[[], Any]] = {
    # Theano's names: *_nogc only kept intermediates alive, which changes nothing here
    **dict.fromkeys(("py", "vm", "python", "vm_nogc"), PythonLinker),
    **dict.fromkeys(("c", "cvm", "c|py", "cvm_nogc", "c|py_nogc"), CLinker),
    "jax": JaxLinker,  # XLA through JAX, imported on first use
}


def register_linker(names: Sequence[str], factory: Callable[[], Any]) -> None:
    """Make ``Mode(linker=name)`` build its linker with ``factory()`` (called per function).

    >>> register_linker(("cuda", "gpu"), CudaLinker)   # what nbgraph.gpu does on import
    """
    for name in names:
        LINKERS[name] = factory


def get_linker(name: Any) -> Any:
    if hasattr(name, "make_thunks"):  # a linker object (DebugMode, NanGuardMode wrap one)
        return name
    factory = LINKERS.get(name)
    if factory is None:
        raise ValueError(f"unknown linker {name!r}; use one of {sorted(LINKERS)}")
    return factory()
