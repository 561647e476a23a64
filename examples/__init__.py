"""Runnable example bots; they are also the sources of ``linegroupbot new`` templates."""
