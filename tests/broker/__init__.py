"""Helpers to prove rendered broker objects on a real broker (see tests/test_rabbitmq_real_broker.py)."""
