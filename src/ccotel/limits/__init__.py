"""Plan limits across machines: the snapshots `ccotel statusline` sends, stored per session
and machine (`snapshot.py`), and the ledger built from them per account (`ledger.py`):
5-hour and 7-day usage, pace, projected exhaustion and what one percent costs."""
