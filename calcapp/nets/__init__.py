"""What every network shares: NumPy ops, the model registry and cards, training events, one epoch of training, whether and where training can run."""
