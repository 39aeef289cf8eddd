"""After a job's result: say whether its webhook reached the receiver. The delivery runs on
its own (it never delays the result), so this waits briefly for its first answer and then
reports what it knows."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from dubclient.client import DubClient, WebhookDelivery
from starter.app import err

WAIT_SECONDS = 10.0


async def settled(client: Client, job_id: str,
                  wait: float = WAIT_SECONDS) -> WebhookDelivery | None:
    """The delivery once it ended or failed an attempt, or as it stands after `wait` s."""
    dub = DubClient(client)
    delivery = await dub.webhook(job_id)
    for _ in range(int(wait / 0.5)):
        if delivery is not None and (delivery.state != "running" or delivery.error):
            break
        await asyncio.sleep(0.5)
        delivery = await dub.webhook(job_id)
    return delivery


async def note_webhook(client: Client, job_id: str) -> None:
    delivery = await settled(client, job_id)
    if delivery is None or delivery.state == "completed":
        return
    if delivery.state == "running":
        why = f" (last attempt: {delivery.error})" if delivery.error else ""
        err.print(f"warning: the webhook has not been delivered yet{why}; it is retried in the "
                  f"background (workflow {job_id}-webhook); the job's result stands",
                  highlight=False)
        return
    err.print(f"warning: the webhook was not delivered: {delivery.error or delivery.state}; "
              "the job's result stands", highlight=False)
