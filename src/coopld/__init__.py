"""coopld: linked open data for research-and-innovation cooperation."""

__version__ = "0.1.0"

__all__ = ["__version__"]
