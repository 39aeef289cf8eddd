"""Domain code of the dubbing service: plain Python, usable and testable without Temporal."""
