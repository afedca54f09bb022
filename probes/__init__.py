"""Probe templates shipped as data: one YAML file per probe family (see judgebias.probes.catalog)."""
