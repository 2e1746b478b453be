"""The "Inside the model" tab: heatmaps, state scatter, error map, and their grid maths."""
