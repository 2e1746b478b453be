"""Reading handwriting: the recognizer, its CNN, its data, and learning the user's own hand."""
