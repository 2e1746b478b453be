"""Pure-Python heart of calcapp: the expression language, the exact evaluator, task specs,
the codec, the data generators, and ink geometry. No Qt, no TensorFlow."""
