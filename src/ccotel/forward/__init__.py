"""`ccotel serve --forward URL`: send everything accepted on to another OTLP endpoint,
from a persistent outbox in the store (`outbox.py`), one thread per target (`sender.py`)."""
