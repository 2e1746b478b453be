"""Between GUI and models: serving, trainings, workers, their protocol, and the stores."""
