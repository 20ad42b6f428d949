"""Budgets and alerts: the rules file (`rules.py`), and its Prometheus/Alertmanager form for
the compose stack (`prometheus.py`)."""
