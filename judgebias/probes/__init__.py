"""Probes: which variants of each pair an audit asks the judge about."""
