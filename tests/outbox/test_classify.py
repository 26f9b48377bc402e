"""One answer to "what does this failure mean, and do we try again" for every mail path."""

from __future__ import annotations

import smtplib

import pytest
from anymail.exceptions import AnymailRecipientsRefused

from outbox.classify import Verdict, classify_exception


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (smtplib.SMTPRecipientsRefused({"gone@example.org": (550, b"5.1.1 No such user")}), Verdict.SUPPRESS),
        (smtplib.SMTPRecipientsRefused({"busy@example.org": (451, b"4.7.1 Try later")}), Verdict.RETRY),
        (AnymailRecipientsRefused("all recipients refused"), Verdict.SUPPRESS),
        (smtplib.SMTPDataError(554, b"5.6.0 Message content rejected"), Verdict.PERMANENT),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "portal@example.org"), Verdict.PERMANENT),
        (smtplib.SMTPDataError(451, b"4.3.0 Try later"), Verdict.RETRY),
        (smtplib.SMTPConnectError(421, b"Service not available"), Verdict.RETRY),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), Verdict.RETRY),
        (ConnectionRefusedError(111, "Connection refused"), Verdict.RETRY),
    ],
)
def test_every_mail_path_reads_a_server_answer_the_same_way(exc, verdict):
    assert classify_exception(exc).verdict == verdict


def test_a_refused_recipient_keeps_the_servers_words_for_the_record():
    answer = classify_exception(smtplib.SMTPRecipientsRefused({"gone@example.org": (550, b"5.1.1 No such user")}))
    assert answer.reason == "550 5.1.1 No such user"
