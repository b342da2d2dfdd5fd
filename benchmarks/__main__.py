"""``python -m benchmarks``: the benchmark tables (see run.py)."""

from .run import main

main()
