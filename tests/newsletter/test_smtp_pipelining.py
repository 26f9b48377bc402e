"""The chunk sender's SMTP exchange with PIPELINING, against a real SMTP server on loopback."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller

from newsletter.services.sending import smtp_send
from tests.realstack import SmtpSink, free_port


class PipeliningSink(SmtpSink):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def pipelining_server():
    sink = PipeliningSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    yield sink
    controller.stop()


def _message(to: str) -> bytes:
    return f"From: a@example.org\r\nTo: {to}\r\nSubject: Hello\r\n\r\nHi\r\n.leading dot\r\n".encode()


def test_pipelined_sends_deliver_each_message_and_a_refusal_leaves_the_connection_usable(pipelining_server):
    pipelining_server.refuse.add("gone@example.org")
    smtp = smtplib.SMTP(pipelining_server.host, pipelining_server.port)
    smtp.ehlo()
    assert smtp.has_extn("pipelining")
    smtp_send(smtp, "a@example.org", "one@example.org", _message("one@example.org"))
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(smtp, "a@example.org", "gone@example.org", _message("gone@example.org"))
    assert refused.value.recipients["gone@example.org"][0] == 550
    smtp_send(smtp, "a@example.org", "two@example.org", _message("two@example.org"))
    smtp.quit()
    received = pipelining_server.wait_for(2, timeout=5)
    assert [m.recipients for m in received] == [["one@example.org"], ["two@example.org"]]
    assert ".leading dot" in received[0].text()  # dot-stuffed on the wire, restored by the server


def test_without_pipelining_it_falls_back_to_plain_sendmail(smtp_server):
    smtp = smtplib.SMTP(smtp_server.host, smtp_server.port)
    smtp_send(smtp, "a@example.org", "one@example.org", _message("one@example.org"))
    smtp.quit()
    assert [m.recipients for m in smtp_server.wait_for(1, timeout=5)] == [["one@example.org"]]
