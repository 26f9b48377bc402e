"""The chunk sender's SMTP exchange with PIPELINING, against a real SMTP server on loopback."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller

from newsletter.smtp import SmtpSession
from tests.realstack import SmtpSink, free_port


class PipeliningSink(SmtpSink):
    """The test SMTP sink, advertising PIPELINING (aiosmtpd reads commands as they come)."""

    reject_data: set[str]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & getattr(self, "reject_data", set()):
            return "554 5.6.0 Message content rejected"
        return await super().handle_DATA(server, session, envelope)


def start_pipelining_sink() -> tuple[PipeliningSink, Controller]:
    sink = PipeliningSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    return sink, controller


@pytest.fixture
def pipelining_server():
    sink, controller = start_pipelining_sink()
    yield sink
    controller.stop()


def _message(to: str) -> bytes:
    return f"From: a@example.org\r\nTo: {to}\r\nSubject: Hello\r\n\r\nHi\r\n.leading dot\r\n".encode()


def test_pipelined_sends_deliver_each_message_and_a_refusal_leaves_the_connection_usable(pipelining_server):
    pipelining_server.refuse.add("gone@example.org")
    smtp = smtplib.SMTP(pipelining_server.host, pipelining_server.port)
    session = SmtpSession(smtp, "a@example.org")
    assert session.pipelining
    # Each call opens the next recipient's envelope in the same round trip.
    session.send("one@example.org", _message("one@example.org"), next_recipient="gone@example.org")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        session.send("gone@example.org", _message("gone@example.org"), next_recipient="two@example.org")
    assert refused.value.recipients["gone@example.org"][0] == 550
    session.send("two@example.org", _message("two@example.org"), next_recipient="three@example.org")
    session.send("three@example.org", _message("three@example.org"))
    assert session.open_for is None
    smtp.quit()
    received = pipelining_server.wait_for(3, timeout=5)
    assert [m.recipients for m in received] == [["one@example.org"], ["two@example.org"], ["three@example.org"]]
    assert ".leading dot" in received[0].text()  # dot-stuffed on the wire, restored by the server


def test_without_pipelining_it_falls_back_to_plain_sendmail(smtp_server):
    smtp = smtplib.SMTP(smtp_server.host, smtp_server.port)
    session = SmtpSession(smtp, "a@example.org")
    assert not session.pipelining
    session.send("one@example.org", _message("one@example.org"), next_recipient="two@example.org")
    smtp.quit()
    assert [m.recipients for m in smtp_server.wait_for(1, timeout=5)] == [["one@example.org"]]


def test_a_message_rejected_at_the_end_of_its_data_leaves_the_next_envelope_open(pipelining_server):
    pipelining_server.reject_data = {"spam@example.org"}
    smtp = smtplib.SMTP(pipelining_server.host, pipelining_server.port)
    session = SmtpSession(smtp, "a@example.org")
    with pytest.raises(smtplib.SMTPDataError) as rejected:
        session.send("spam@example.org", _message("spam@example.org"), next_recipient="one@example.org")
    assert rejected.value.smtp_code == 554
    assert session.open_for == "one@example.org"
    session.send("one@example.org", _message("one@example.org"))
    smtp.quit()
    assert [m.recipients for m in pipelining_server.wait_for(1, timeout=5)] == [["one@example.org"]]
