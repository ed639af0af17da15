"""alertgate's benchmark harness: `python -m benchmarks` measures issue 5 and writes
docs/benchmarks.md (see that page for what is measured and how)."""
