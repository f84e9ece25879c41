"""Helpers for the sandbox integration tests."""
