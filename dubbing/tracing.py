"""The tracer the domain code opens engine spans with (a no-op until a provider is set)."""

from opentelemetry import trace

tracer = trace.get_tracer("dubbing")
