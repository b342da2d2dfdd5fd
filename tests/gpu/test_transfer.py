"""The ``gpu`` pass and the device type, checked on graphs (no GPU needed), and the clear
errors when the GPU is asked for without CuPy or a device."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode, get_mode
from nbgraph.config import config
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.core.types import TensorType
from nbgraph.gpu import GpuTensorType, GpuUnavailableError, has_cuda
from nbgraph.gpu.transfer import gpu_pipeline

no_gpu = pytest.mark.skipif(has_cuda(), reason="a GPU is present: nothing to refuse")


def moved(inputs, outputs):
    fgraph = FunctionGraph(inputs, outputs)
    trace = gpu_pipeline().apply(fgraph)
    return fgraph, trace


def op_names(fgraph):
    return [str(node.op) for node in fgraph.toposort()]


def test_device_type_is_compatible_but_not_equal():
    host = TensorType("float32", shape=(None, 3))
    dev = GpuTensorType.of(host)
    assert dev != host and host != dev and hash(dev) != hash(host)
    assert dev == GpuTensorType("float32", shape=(None, 3)) and dev.host() == host
    assert dev.short() == "float32[?,3]@cuda"


def test_each_input_moves_once_and_outputs_come_back():
    x, y = T.fmatrices("x", "y")
    fgraph, trace = moved([x, y], [T.exp(x) * y + x, T.sum(T.tanh(x) * y, axis=0)])
    names = op_names(fgraph)
    assert names.count("GpuFromHost<cuda>") == 2
    assert names.count("HostFromGpu<cuda>") == 2
    for out in fgraph.outputs:
        assert str(out.owner.op) == "HostFromGpu<cuda>"
        assert not isinstance(out.type, GpuTensorType)
    computing = [n for n in fgraph.toposort() if "cuda" not in str(n.op)]
    assert computing and all(isinstance(o.type, GpuTensorType)
                             for n in computing for o in n.outputs)
    assert {e.rule for e in trace.events()} >= {"gpu/move_to_gpu"}


def test_host_only_op_reads_through_one_transfer():
    x = T.dmatrix("x")
    y = T.nnet.softmax(T.exp(x))
    fgraph, _ = moved([x], [y * 2])
    for node in fgraph.toposort():
        if "Softmax" in str(node.op):
            assert str(node.inputs[0].owner.op) == "HostFromGpu<cuda>"
            assert not isinstance(node.outputs[0].type, GpuTensorType)


def test_shape_reads_need_no_copy_and_dot_runs_on_device():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    h = T.tanh(T.dot(x, w))
    fgraph, _ = moved([x, w], [h.sum() / h.shape[0]])
    names = op_names(fgraph)
    assert names.count("HostFromGpu<cuda>") == 1     # only the final scalar comes back
    dots = [n for n in fgraph.toposort() if str(n.op) in ("dot", "Gemm{no_inplace}")]
    assert dots and all(isinstance(n.outputs[0].type, GpuTensorType) for n in dots)


def test_borrowed_outputs_stay_on_the_device():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x), T.exp(x) * 2], borrow_outputs=(True, False))
    gpu_pipeline().apply(fgraph)
    assert isinstance(fgraph.outputs[0].type, GpuTensorType)
    assert str(fgraph.outputs[1].owner.op) == "HostFromGpu<cuda>"


def test_values_are_unchanged_by_the_pass_on_the_python_linker(rng):
    # the pass only adds transfers: with the Python linker (NumPy through the transfer ops'
    # host fallback is not possible without CuPy) the graph's non-transfer part is intact
    x, y = T.dmatrices("x", "y")
    expr = T.exp(x) * y - T.sum(x, axis=1, keepdims=True)
    fgraph, _ = moved([x, y], [expr])
    inner = [n for n in fgraph.toposort() if "cuda" not in str(n.op)]
    assert [str(n.op) for n in inner] == [str(n.op) for n in
                                         nbgraph.function([x, y], expr).maker.fgraph.toposort()]


@no_gpu
def test_gpu_mode_without_cupy_names_what_is_missing():
    x = T.dvector("x")
    with pytest.raises(GpuUnavailableError, match="CuPy"):
        nbgraph.function([x], T.exp(x), mode="GPU")
    with pytest.raises(GpuUnavailableError, match="CUDA"):
        nbgraph.function([x], T.exp(x), mode=Mode("cuda", "fast_run"))


@no_gpu
def test_device_cuda_config_without_gpu_is_a_clear_error_and_cpu_keeps_working():
    x = T.dvector("x")
    old = config.device
    try:
        config.device = "cuda"
        assert get_mode(None).linker == "cuda"
        with pytest.raises(GpuUnavailableError, match="needs CuPy and a CUDA GPU"):
            nbgraph.function([x], x * 2)
        with pytest.raises(GpuUnavailableError):
            nbgraph.shared(np.zeros(3))
    finally:
        config.device = old
    with pytest.raises(GpuUnavailableError, match="device='cuda'"):
        nbgraph.shared(np.zeros(3), device="cuda")
    f = nbgraph.function([x], x * 2)
    np.testing.assert_allclose(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    assert nbgraph.shared(np.ones(2), device="cpu").get_value().tolist() == [1.0, 1.0]


def test_source_of_a_kernel_names_cuda_only_under_the_gpu_linker():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2, mode=Mode("py", "fast_run"))
    assert all("__global__" not in text for text in f.source.values())
