"""Theano's ``theano.scan_module`` path: re-exports only (the Scan family lives in
``nbgraph.ops.scan.basic``, ``scan_op`` and ``scan_grad``)."""

from ..ops.scan.basic import scan
from ..ops.scan.op import Scan, ScanInfo
from . import scan_utils  # noqa: F401

__all__ = ["Scan", "ScanInfo", "scan", "scan_utils"]
