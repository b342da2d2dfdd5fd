"""The rewrite layer: pattern rules, named passes in one ordered Pipeline, and the trace."""
