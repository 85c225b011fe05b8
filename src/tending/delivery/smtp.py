"""E-mail over SMTP (RFC 5321): implicit TLS ("ssl", port 465), STARTTLS (RFC 3207, port 587) or plain,
with optional authentication. One e-mail per member; the Message-ID is derived from the outbox row so a
mail client can recognise a duplicate, but SMTP itself offers no idempotency: a crash mid-send is marked
for a human to check."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from tending.delivery.base import DeliveryError, Outbound, PermanentError, Sent

SECURITY = ("starttls", "ssl", "none")


@dataclass
class SmtpSettings:
    host: str
    port: int
    sender: str
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = (
        None  # trust this CA (a self-hosted server's certificate) besides the system's
    )
    timeout: float = 30.0
    staff_to: str | None = None


class SmtpTransport:
    name = "smtp"
    idempotent = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            context.load_verify_locations(cafile=self.settings.ca_file)
        return context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=self._context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                client.starttls(context=self._context())
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def build(self, message: Outbound) -> EmailMessage:
        s = self.settings
        to = message.address if message.kind != "staff" else s.staff_to
        if not to:
            raise PermanentError(
                "smtp: no e-mail address"
                + (
                    f" for member {message.member_id}"
                    if message.member_id is not None
                    else " for the staff"
                )
            )
        email = EmailMessage()
        email["From"] = s.sender
        email["To"] = formataddr((message.recipient_name or "", to))
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(localtime=False)
        domain = s.sender.rsplit("@", 1)[-1].strip(">") or "tending.invalid"
        email["Message-ID"] = f"<{message.txn_id}@{domain}>"
        email.set_content(message.body)
        return email

    def send(self, message: Outbound) -> Sent:
        email = self.build(message)
        try:
            with self._connect() as client:
                client.send_message(email)
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentError(f"smtp: authentication refused ({error.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise (PermanentError if all(c >= 500 for c in codes) else DeliveryError)(
                f"smtp: recipient refused ({', '.join(map(str, codes))})"
            ) from None
        except smtplib.SMTPResponseException as error:
            kind = PermanentError if error.smtp_code >= 500 else DeliveryError
            raise kind(f"smtp: server answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"smtp: {type(error).__name__} talking to {self.settings.host}:{self.settings.port}"
            ) from None
        return Sent(external_ref=email["Message-ID"])

    def close(self) -> None:
        return None
