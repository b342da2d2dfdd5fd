"""MATH: the op library's tensor functions, as core's variables and autodiff call them.

Core sits below ``nbgraph.ops`` and may not import it, yet ``x + y`` and ``grad`` build ops.
``nbgraph.ops`` binds its public modules here once, when it is imported (``import nbgraph``
does): Theano's ``TensorType.Variable = TensorVariable`` move, made in one visible place.
``tests/test_layering.py`` checks that every ``MATH.<name>`` in the package resolves.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class TensorMath:
    """A namespace over the bound op modules: ``MATH.add`` is ``nbgraph.ops.math.add``."""

    def __init__(self) -> None:
        self._modules: tuple[ModuleType, ...] = ()

    def bind(self, *modules: ModuleType) -> None:
        """Make the public names of ``modules`` (searched in order) available here."""
        self._modules = modules

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        for module in self._modules:
            found = getattr(module, name, None)
            if found is not None:
                return found
        if not self._modules:
            raise RuntimeError(f"MATH.{name}: the op library is not loaded (import nbgraph)")
        raise AttributeError(f"no op library module defines {name!r}")


MATH = TensorMath()
