"""Activities that talk back to Temporal itself."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client


class ControlActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, workflow_id: str, reason: str) -> None:
        """A workflow cannot cancel itself; asking the server makes the run end CANCELED."""
        await self.client.get_workflow_handle(workflow_id).cancel(reason=reason)

    def all(self) -> list:
        return [self.request_cancellation]
