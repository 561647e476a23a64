"""Testing helpers for linegroupbot bots."""
