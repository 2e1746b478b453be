"""The expression language: lexer, parser, exact evaluator, tasks, working steps, training data. Pure Python."""
