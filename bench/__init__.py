"""Linli benchmark suite (see ../shared/BENCHMARKS.md): every score is a ratio to a baseline run in
the same job on the same data. ``python -m bench run --quick|--full``."""
