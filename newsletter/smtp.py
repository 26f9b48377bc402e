"""One SMTP session of a chunk: ``sendmail`` for one recipient at a time, pipelined.

With ESMTP PIPELINING (RFC 2920) the end of one message's data and the next message's MAIL,
RCPT and DATA commands travel in one write, and their replies come back together: one round
trip per message instead of the four of ``smtplib.SMTP.sendmail``. On a loopback or nearby
server the round trips, not the bytes, are the cost. Without PIPELINING it is plain ``sendmail``.

The acceptance of a message is still its own reply to the end of its data, read before the
caller marks it sent; the next message's envelope only opens a transaction, which delivers
nothing until its data ends.
"""

from __future__ import annotations

import re
import smtplib

_LEADING_DOT = re.compile(rb"(?m)^\.")
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")


def plain_address(address: str) -> bool:
    return bool(_PLAIN_ADDRESS.match(address))


def _quote(address: str) -> str:
    """``smtplib.quoteaddr`` without parsing the common case of a plain address again."""
    return f"<{address}>" if plain_address(address) else smtplib.quoteaddr(address)


class SmtpSession:
    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self.smtp = smtp
        self.sender = sender
        smtp.ehlo_or_helo_if_needed()
        self.pipelining = smtp.has_extn("pipelining")
        self.open_for: str | None = None  # recipient whose DATA the server answered with 354
        self.refused: dict[str, smtplib.SMTPException] = {}  # refusals of a pipelined envelope

    def _envelope(self, recipient: str) -> bytes:
        return f"MAIL FROM:{_quote(self.sender)}\r\nRCPT TO:{_quote(recipient)}\r\nDATA\r\n".encode()

    def _read_envelope(self, recipient: str) -> None:
        mail_reply, rcpt_reply, data_reply = self.smtp.getreply(), self.smtp.getreply(), self.smtp.getreply()
        if data_reply[0] == 354 and (mail_reply[0] != 250 or rcpt_reply[0] not in (250, 251)):
            # A server that took DATA although it refused the envelope: end the empty message.
            self.smtp.send(b".\r\n")
            self.smtp.getreply()
        if mail_reply[0] != 250:
            error: smtplib.SMTPException = smtplib.SMTPSenderRefused(mail_reply[0], mail_reply[1], self.sender)
        elif rcpt_reply[0] not in (250, 251):
            error = smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
        elif data_reply[0] != 354:
            error = smtplib.SMTPDataError(*data_reply)
        else:
            self.open_for = recipient
            return
        self.smtp.rset()
        self.refused[recipient] = error

    def send(self, recipient: str, data: bytes, next_recipient: str | None = None) -> None:
        """Send ``data`` (CRLF line ends) to ``recipient``; raises what ``sendmail`` raises.

        ``next_recipient``, if given, must be the recipient of the very next call: its envelope
        is opened in the same round trip.
        """
        if not self.pipelining:
            self.smtp.sendmail(self.sender, [recipient], data)
            return
        if recipient in self.refused:
            raise self.refused.pop(recipient)
        if self.open_for != recipient:
            self.smtp.send(self._envelope(recipient))
            self._read_envelope(recipient)
            if recipient in self.refused:
                raise self.refused.pop(recipient)
        payload = _LEADING_DOT.sub(b"..", data) if data.startswith(b".") or b"\n." in data else data
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        payload += b".\r\n"
        if next_recipient is not None:
            payload += self._envelope(next_recipient)
        self.open_for = None
        self.smtp.send(payload)
        code, reply = self.smtp.getreply()
        if next_recipient is not None:
            self._read_envelope(next_recipient)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
