"""Email over SMTP: one message per alert, plain text and HTML alternatives."""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from openai_finops_surfaces.alerts.config import Channel
from openai_finops_surfaces.alerts.model import Alert


def text_body(alert: Alert) -> str:
    width = max((len(label) for label, _ in alert.facts), default=0)
    lines = [alert.title, "", alert.summary, ""]
    lines += [f"{label.ljust(width)}  {value}" for label, value in alert.facts]
    lines += ["", f"openai-finops alert {alert.alert_id} ({alert.kind}, {alert.severity})"]
    return "\n".join(lines) + "\n"


def html_body(alert: Alert) -> str:
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{html.escape(label)}</th>'
        f"<td>{html.escape(value)}</td></tr>"
        for label, value in alert.facts
    )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{html.escape(alert.title)}</h2><p>{html.escape(alert.summary)}</p>"
        f"<table>{rows}</table>"
        f'<p style="color:#666;font-size:12px">openai-finops alert {alert.alert_id} '
        f"({html.escape(alert.kind)}, {html.escape(alert.severity)})</p></body></html>\n"
    )


def message(channel: Channel, alert: Alert) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"[openai-finops {alert.severity}] {alert.title}"
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.recipients)
    msg["Date"] = formatdate(usegmt=True)
    # The same Message-ID on a retry lets mail systems drop a duplicate.
    msg["Message-ID"] = f"<{alert.alert_id}.{channel.name}@openai-finops>"
    msg["X-OpenAI-FinOps-Alert-Id"] = alert.alert_id
    msg.set_content(text_body(alert))
    msg.add_alternative(html_body(alert), subtype="html")
    return msg


def send(channel: Channel, alert: Alert) -> None:
    msg = message(channel, alert)
    if channel.ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            channel.smtp_host,
            channel.smtp_port,
            timeout=channel.timeout_seconds,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=channel.timeout_seconds)
    with smtp:
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if channel.username:
            smtp.login(channel.username, channel.password)
        smtp.send_message(msg)


def preview(channel: Channel, alert: Alert) -> str:
    subject = f"[openai-finops {alert.severity}] {alert.title}"
    return f"To: {', '.join(channel.recipients)}\nSubject: {subject}\n\n{text_body(alert)}"
