"""A loaded kernel library that is closed when no function uses it any more.

Thunks hold the ``Library`` (through the module their linker loaded), so it lives exactly as
long as some compiled function can call into it; ``LIBRARIES`` finds it by path while it
lives, so a second function of the same graph shares it instead of loading it again.
"""

from __future__ import annotations

import weakref
from typing import Any


class Library:
    """``ffi.dlopen(path)``, with the library's functions as attributes; ``dlclose``d when
    the last reference goes (a function pointer taken from it must not outlive it)."""

    __slots__ = ("__weakref__", "_ffi", "_lib", "path")

    def __init__(self, ffi: Any, path: str):
        self._ffi = ffi
        self.path = path
        self._lib = ffi.dlopen(path)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # a slot not set yet (dlopen failed): no recursion
            raise AttributeError(name)
        return getattr(self._lib, name)

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is not None:
            self._ffi.dlclose(lib)

    def __repr__(self) -> str:
        return f"Library({self.path!r})"


# path -> the library while some function still uses it
LIBRARIES: weakref.WeakValueDictionary[str, Library] = weakref.WeakValueDictionary()
