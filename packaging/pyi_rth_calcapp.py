"""PyInstaller runtime hook: quiet TensorFlow's C++ logging and pin the Keras backend.

Runs before the app's own code in every frozen build. ``setdefault`` keeps whatever the
user set explicitly (e.g. ``TF_CPP_MIN_LOG_LEVEL=0`` when reporting a bug).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
