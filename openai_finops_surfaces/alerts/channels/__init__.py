"""Delivery channels. Each turns an alert into its wire format and sends it, raising on failure."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from openai_finops_surfaces.alerts.channels import slack, smtp, webhook
from openai_finops_surfaces.alerts.config import Channel
from openai_finops_surfaces.alerts.model import Alert


class DeliveryError(Exception):
    """The channel refused or could not be reached; the message is free of secrets."""


Sender = Callable[[Channel, Alert], None]
SENDERS: dict[str, Sender] = {"slack": slack.send, "webhook": webhook.send, "email": smtp.send}
PREVIEWS: dict[str, Callable[[Channel, Alert], str]] = {
    "slack": slack.preview,
    "webhook": webhook.preview,
    "email": smtp.preview,
}


def scrub(message: str, channel: Channel) -> str:
    """Remove the channel's secrets, and the parts of its URL, from an error message."""
    secrets = list(channel.secrets())
    if channel.url:
        parts = urlsplit(channel.url)
        secrets += [part for part in (parts.path, parts.query, parts.netloc) if len(part) > 1]
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "<secret>")
    return message


def describe(error: Exception, channel: Channel) -> str:
    # requests' messages quote the URL (Slack's URL is its secret): name the failure only.
    if isinstance(error, requests.RequestException) and not isinstance(error, requests.HTTPError):
        return f"{type(error).__name__}: could not reach the {channel.type} endpoint"
    return scrub(f"{type(error).__name__}: {error}", channel)[:500]


def deliver(channel: Channel, alert: Alert) -> None:
    try:
        SENDERS[channel.type](channel, alert)
    except Exception as error:
        raise DeliveryError(describe(error, channel)) from None
