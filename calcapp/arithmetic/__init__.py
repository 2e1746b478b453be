"""The calculator networks: data, training, recipes, evaluation, the NumPy predictor and the three-way answer."""
