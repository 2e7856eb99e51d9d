"""Callbacks and helpers that log framework training to runledger (each imports its framework only when used)."""
