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

    def bind(self, *modules: ModuleType) -> None:
        """Make the ``__all__`` names of ``modules`` attributes of this namespace. A name two
        modules export must be the same object (a re-export), so the binding order does not
        matter."""
        names: dict[str, tuple[Any, str]] = {}
        for module in modules:
            for name in module.__all__:
                value = getattr(module, name)
                if name in names and names[name][0] is not value:
                    raise ValueError(f"MATH: {module.__name__}.{name} and "
                                     f"{names[name][1]}.{name} are different objects")
                names.setdefault(name, (value, module.__name__))
        self.__dict__.update({name: value for name, (value, _) in names.items()})

    def __getattr__(self, name: str) -> Any:
        # only reached for names bind() did not set
        if name.startswith("_"):
            raise AttributeError(name)
        if not self.__dict__:
            raise RuntimeError(f"MATH.{name}: the op library is not loaded (import nbgraph)")
        raise AttributeError(f"no op library module exports {name!r}")


MATH = TensorMath()
