"""Frozen values shared by every stage. Imports nothing else of apictl."""
