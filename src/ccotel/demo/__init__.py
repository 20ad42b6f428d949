"""`ccotel demo`: realistic synthetic Claude Code telemetry, for newcomers, tests and benchmarks."""
