"""zsiw: zero-shot instance weighting for cross-lingual text classification."""

__version__ = "0.1.0"
