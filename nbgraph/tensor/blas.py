"""``nbgraph.tensor.blas`` (Theano's ``theano.tensor.blas``): the BLAS ops that code written
for Theano looks for in a compiled graph. Re-exports only."""

from ..ops.blas import Gemm, Gemv, gemm_inplace, gemm_no_inplace, gemv_inplace, gemv_no_inplace

__all__ = ["Gemm", "Gemv", "gemm_inplace", "gemm_no_inplace", "gemv_inplace", "gemv_no_inplace"]
