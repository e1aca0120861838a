"""Logs, metrics and traces: what operators see from the outside (docs/operations.md)."""
