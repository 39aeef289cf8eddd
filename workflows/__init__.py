"""Temporal workflows. Imports only the standard library, temporalio and the contract models."""
