"""Benchmarks: the service against a plain sequential script (`make bench`)."""
