"""The C declarations Python calls through cffi (kernel modules and NumPy's BLAS), and the
generator of ``_cffi_abi.py``: cffi's out-of-line ABI mode, so importing the C linker parses
no C (``cffi.FFI()`` alone imports pycparser, about 35 ms)."""

from __future__ import annotations

import os

import cffi

CDEF = """
    void *nbg_lookup(int k, int which);
    void nbg_set_threads(int n);
    typedef void (*nbg_contig_t)(int64_t n, char **p);
    typedef void (*nbg_strided_t)(int nd, const int64_t *shape, char **p, const int64_t *st);
    typedef void (*nbg_reduce_t)(int nk, int nr, const int64_t *shape, char **p,
                                 const int64_t *st);
    typedef void (*nbg_rows_t)(int64_t rows, int64_t cols, char **p);
    typedef int (*nbg_arrays_t)(const intptr_t *objs);
    typedef struct { char *data; int nd; int64_t *dims; int64_t *strides;
                     void *base; void *descr; int flags; } nbg_pyarray;
    void scipy_cblas_sgemm64_(int order, int ta, int tb, int64_t m, int64_t n, int64_t k,
        float alpha, const void *a, int64_t lda, const void *b, int64_t ldb, float beta,
        void *c, int64_t ldc);
    void scipy_cblas_dgemm64_(int order, int ta, int tb, int64_t m, int64_t n, int64_t k,
        double alpha, const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
        void *c, int64_t ldc);
"""
MODULE = "nbgraph.link._cffi_abi"


def generate(path: str) -> None:
    """Write the out-of-line ABI module for ``CDEF`` to ``path`` (run after editing CDEF:
    ``python -c "from nbgraph.link import c_abi; c_abi.generate(c_abi.default_path())"``)."""
    builder = cffi.FFI()
    builder.set_source(MODULE, None)
    builder.cdef(CDEF)
    builder.emit_python_code(path)


def default_path() -> str:
    return os.path.join(os.path.dirname(__file__), "_cffi_abi.py")
