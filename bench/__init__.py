"""coopld benchmark: `python -m bench` (see bench/README.md); the synthetic data generator."""
