"""Metrics backends: where the engine's counters are kept and how /metrics renders them."""
