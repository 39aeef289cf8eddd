"""The HTTP API: a thin, stateless layer over `DubClient` and the store (see docs/api.md)."""
