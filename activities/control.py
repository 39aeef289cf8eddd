"""Activities that talk back to Temporal itself."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from dubbing.stages import CancelJob


class ControlActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, inp: CancelJob) -> None:
        """A workflow cannot cancel itself; asking the server makes the run end CANCELED."""
        await self.client.get_workflow_handle(inp.workflow_id).cancel(reason=inp.reason)

    def all(self) -> list:
        return [self.request_cancellation]
