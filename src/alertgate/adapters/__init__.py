"""Driven adapters: one module per outside system, each implementing a port."""
