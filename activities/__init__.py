"""Temporal activities: thin adapters from activity inputs to the steps in dubbing.steps."""
