"""Talking to the dubbing service over Temporal: `DubClient` for other services, and the
connection (data converter, tracing, metrics runtime) that the starter and the workers share."""

from dubclient.client import DubClient

__all__ = ["DubClient"]
