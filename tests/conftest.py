"""Shared test configuration: deterministic property tests."""

from hypothesis import settings

# Property tests draw the same examples on every run: the suite is deterministic.
settings.register_profile("deterministic", derandomize=True, deadline=None, database=None)
settings.load_profile("deterministic")

