"""Theano's dtype name lists (``T.float_dtypes``, ``T.discrete_dtypes``, ...), as its
``tensor.basic`` built them from the scalar types."""

from __future__ import annotations

__all__ = ["float_dtypes", "complex_dtypes", "int_dtypes", "uint_dtypes", "integer_dtypes",
           "discrete_dtypes", "continuous_dtypes", "all_dtypes"]

float_dtypes = ["float16", "float32", "float64"]
complex_dtypes = ["complex64", "complex128"]
int_dtypes = ["int8", "int16", "int32", "int64"]
uint_dtypes = ["uint8", "uint16", "uint32", "uint64"]
integer_dtypes = int_dtypes + uint_dtypes
discrete_dtypes = ["bool", *integer_dtypes]
continuous_dtypes = float_dtypes + complex_dtypes
all_dtypes = discrete_dtypes + continuous_dtypes
