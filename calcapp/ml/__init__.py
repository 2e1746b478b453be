"""Keras models, training, evaluation and inference. No Qt here.

Modules that need TensorFlow/Keras import it inside functions or at their own top, never
from this ``__init__``: the NumPy inference path and the model registry must stay light.
"""
