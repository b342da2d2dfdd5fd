"""User C ops in the C linker: an op that defines ``c_code`` (Theano's "Extending Theano with
a C Op" interface) is compiled into a small CPython extension module, cached like the kernel
libraries (keyed by its source, which holds ``c_code_cache_version``), and called directly.

The op's code sees Theano's environment: each input and output is a ``PyArrayObject*`` named
as ``c_code`` was told (outputs start NULL, so the op allocates them), ``dtype_<name>`` is the
element type of each, ``%(fail)s`` (``sub['fail']``) jumps out with the Python error set, and
``c_support_code``, ``c_support_code_apply``, ``c_headers``, ``c_header_dirs``,
``c_libraries``, ``c_lib_dirs`` and ``c_compile_args`` are honoured. An empty
``c_code_cache_version`` (Theano: "do not cache") compiles into a fresh directory each time.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sysconfig
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import config
from ..core.graph import Apply
from . import cache

__all__ = ["has_c_code", "c_op_thunk", "c_op_source"]

_MODULES: dict[str, Any] = {}
_PLACEHOLDER = "nbg_cop_NAME_OF_THIS_MODULE"  # the name is the hash of the source around it


def has_c_code(op: Any) -> bool:
    """Whether ``op`` brings its own C implementation (Theano's ``c_code``)."""
    return callable(getattr(op, "c_code", None))


def _hook(op: Any, name: str, *args: Any, default: Any = "") -> Any:
    method = getattr(op, name, None)
    if not callable(method):
        return default
    try:
        return method(*args)
    except NotImplementedError:
        return default


def _bracketed(header: str) -> str:
    return header if header[:1] in ('<', '"') else f"<{header}>"


def c_op_source(node: Apply, module: str) -> str:
    """The extension module computing ``node`` with its op's ``c_code``."""
    op = node.op
    ins = [f"V{k}" for k in range(len(node.inputs))]
    outs = [f"V{len(ins) + k}" for k in range(len(node.outputs))]
    fail = "{ nbg_failed = 1; goto nbg_done; }"
    body = op.c_code(node, "node", ins, outs, {"fail": fail, "id": 1, "params": "NULL"})
    headers = "".join(f"#include {_bracketed(h)}\n" for h in _hook(op, "c_headers", default=[]))
    typedefs = "".join(f"typedef npy_{v.dtype} dtype_{name};\n"
                       for v, name in zip([*node.inputs, *node.outputs], ins + outs,
                                          strict=True))
    take_inputs = "".join(
        f"    PyArrayObject* {name} = (PyArrayObject*)PyList_GET_ITEM(ins, {k});\n"
        for k, name in enumerate(ins))
    declare_outputs = "".join(f"    PyArrayObject* {name} = NULL;\n" for name in outs)
    release = "".join(f"        Py_XDECREF({name});\n" for name in outs)
    give = "".join(f"    PyTuple_SET_ITEM(result, {k}, {name} ? (PyObject*){name} : "
                   f"(Py_INCREF(Py_None), Py_None));\n" for k, name in enumerate(outs))
    return f"""// user C op {op} ({type(op).__module__}.{type(op).__qualname__})
// c_code_cache_version {_hook(op, "c_code_cache_version", default=())!r}
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <math.h>
{headers}
{typedefs}
{_hook(op, "c_support_code")}
{_hook(op, "c_support_code_apply", node, "node")}

static PyObject* run(PyObject* self, PyObject* ins) {{
    int nbg_failed = 0;
{take_inputs}{declare_outputs}    {{
{body}
    }}
nbg_done:
    if (nbg_failed || PyErr_Occurred()) {{
{release}        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "C code of {op} failed");
        return NULL;
    }}
    PyObject* result = PyTuple_New({len(outs)});
    if (!result) return NULL;
{give}    return result;
}}

static PyMethodDef methods[] = {{{{"run", run, METH_O, ""}}, {{NULL, NULL, 0, NULL}}}};
static struct PyModuleDef definition = {{PyModuleDef_HEAD_INIT, "{module}", NULL, -1, methods}};

PyMODINIT_FUNC PyInit_{module}(void) {{
    import_array();
    return PyModule_Create(&definition);
}}
"""


def _flags(op: Any) -> tuple[list[str], list[str]]:
    includes = [sysconfig.get_paths()["include"], np.get_include(),
                *_hook(op, "c_header_dirs", default=[])]
    flags = ["-O2", *[f"-I{d}" for d in includes], *_hook(op, "c_compile_args", default=[])]
    libs = [*[f"-L{d}" for d in _hook(op, "c_lib_dirs", default=[])],
            *[f"-l{lib}" for lib in _hook(op, "c_libraries", default=[])]]
    return flags, libs


def _load(node: Apply) -> Any:
    """The compiled module for ``node`` (built or found in the cache once per process)."""
    probe = c_op_source(node, _PLACEHOLDER)
    module = "nbg_cop_" + hashlib.sha256(probe.encode()).hexdigest()[:16]
    if module in _MODULES:
        return _MODULES[module]
    source = probe.replace(_PLACEHOLDER, module)
    compiler = cache.find_compiler()
    if compiler is None:
        raise cache.CompileError("no C compiler found (set $CC or install gcc)")
    flags, libs = _flags(node.op)
    if _hook(node.op, "c_code_cache_version", default=()):
        built = cache.build(source, config.compiledir, compiler, flags, libs)
        loaded = _import(module, built.path)
    else:  # Theano's "do not cache": a private build, deleted once loaded
        out_dir = tempfile.mkdtemp(prefix="nbg_cop_")
        try:
            cache.compile_library(source, compiler, flags, libs, out_dir)
            loaded = _import(module, os.path.join(out_dir, cache.LIB_NAME))
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
    _MODULES[module] = loaded
    return loaded


def _import(module: str, path: str) -> Any:
    loader = importlib.machinery.ExtensionFileLoader(module, path)
    spec = importlib.util.spec_from_file_location(module, path, loader=loader)
    assert spec is not None
    loaded = importlib.util.module_from_spec(spec)
    loader.exec_module(loaded)
    return loaded


def c_op_thunk(node: Apply, in_cells: list[list[Any]], out_cells: list[list[Any]]
               ) -> Callable[[], None]:
    """The thunk calling ``node``'s compiled C code; CompileError if it does not build."""
    run = _load(node).run
    dtypes = [np.dtype(v.dtype) for v in node.inputs]

    def thunk() -> None:
        values = [np.asarray(cell[0], dtype=dt) for cell, dt in zip(in_cells, dtypes,
                                                                     strict=True)]
        for cell, value in zip(out_cells, run(values), strict=True):
            cell[0] = value

    return thunk
