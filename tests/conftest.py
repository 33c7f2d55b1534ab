"""Shared fixtures. Each area keeps its own conftest.py beside its tests."""
