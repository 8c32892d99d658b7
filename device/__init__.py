"""awareness-kit: the device side (sources, analyzers, hub, store)."""

__version__ = "0.1.0"
