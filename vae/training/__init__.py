"""Training: TrainConfig (every default), the loop, the command line, app jobs, evaluation."""
