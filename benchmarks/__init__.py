"""Benchmarks of nbgraph against NumPy, numexpr, PyTensor and JAX (``python -m benchmarks``)."""
