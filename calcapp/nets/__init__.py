"""What every network shares: NumPy ops, the model registry and cards, training events, whether and where training can run."""
