"""Lint gate: ``ruff check nbgraph tests benchmarks`` (rules in pyproject.toml) finds nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                    reason="the ruff module is not installed (pip install -e '.[test]')")
def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         "nbgraph", "tests", "benchmarks"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"ruff found problems:\n{result.stdout}{result.stderr}"


def test_every_package_file_stays_small() -> None:
    """Small files with one job: a module of nbgraph/ past 500 lines is split by its jobs."""
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in (ROOT / "nbgraph").rglob("*.py")}
    assert len(sizes) > 100  # the walk really found the package
    too_big = {path: n for path, n in sizes.items() if n > 500}
    assert not too_big, f"files over 500 lines: {too_big}"
