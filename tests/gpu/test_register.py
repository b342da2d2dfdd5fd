"""What ``nbgraph.gpu`` registers with compile and core on import (so that neither imports
it), checked without a GPU: the names resolve, and without the entries the errors are clear."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
from nbgraph.compile import mode as modes
from nbgraph.config import config
from nbgraph.core import shared as shared_module
from nbgraph.gpu import register
from nbgraph.gpu.cuda_linker import CudaLinker
from nbgraph.gpu.transfer import gpu_mode
from nbgraph.link import registry as linkers


def test_gpu_entries_are_registered():
    assert linkers.LINKERS["cuda"] is CudaLinker is linkers.LINKERS["gpu"]
    assert modes.MODE_FACTORIES["GPU"] is gpu_mode is modes.DEVICE_MODES["cuda"]
    assert shared_module.SHARED_CONSTRUCTORS["cuda"] is nbgraph.gpu.gpu_shared
    assert modes.get_mode("GPU").linker == "cuda"


def test_register_is_idempotent():
    before = (dict(linkers.LINKERS), dict(modes.MODE_FACTORIES), dict(modes.DEVICE_MODES),
              dict(shared_module.SHARED_CONSTRUCTORS))
    register.register_gpu()
    assert before == (linkers.LINKERS, modes.MODE_FACTORIES, modes.DEVICE_MODES,
                      shared_module.SHARED_CONSTRUCTORS)


def test_without_the_gpu_entries_the_errors_name_nbgraph_gpu(monkeypatch):
    monkeypatch.setattr(linkers, "LINKERS", {"py": linkers.PythonLinker})
    monkeypatch.setattr(modes, "DEVICE_MODES", {})
    monkeypatch.setattr(shared_module, "SHARED_CONSTRUCTORS", {})
    with pytest.raises(ValueError, match="unknown linker 'cuda'"):
        linkers.get_linker("cuda")
    with pytest.raises(ValueError, match="shared.*device 'cuda'.*import nbgraph.gpu"):
        nbgraph.shared(np.zeros(2), device="cuda")
    monkeypatch.setattr(config, "device", "cuda")
    with pytest.raises(ValueError, match="config.device='cuda'.*import nbgraph.gpu"):
        modes.get_mode("FAST_RUN")
    assert modes.get_mode("FAST_COMPILE").linker == "py"   # only FAST_RUN depends on device
