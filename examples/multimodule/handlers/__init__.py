"""Handler modules: each defines a ``router``."""
