"""ccotel: monitor Claude Code through OpenTelemetry."""

__version__ = "0.1.0"
