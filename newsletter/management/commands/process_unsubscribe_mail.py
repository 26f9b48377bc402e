"""The mailto: unsubscribe without an inbound webhook: feed it the mails the unsubscribe address got."""

from __future__ import annotations

import mailbox
from collections import Counter
from pathlib import Path

from anymail.inbound import AnymailInboundMessage
from django.core.management.base import BaseCommand, CommandError

from newsletter.inbound import Outcome, unsubscribe_by_message


class Command(BaseCommand):
    help = (
        "Act on unsubscribe emails (the mailto: of List-Unsubscribe): RFC 822 files, or the unread "
        "messages of a Maildir (marked read afterwards). Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", help="Message files, one RFC 822 message each.")
        parser.add_argument("--maildir", help="A Maildir: its unread messages are processed, then marked read.")

    def handle(self, *args, files: list[str], maildir: str | None, **options) -> None:
        if not files and not maildir:
            raise CommandError("Give message files, or --maildir PATH.")
        counts: Counter[Outcome] = Counter()
        for name in files:
            try:
                raw = Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {name}: {exc}") from exc
            counts[unsubscribe_by_message(AnymailInboundMessage.parse_raw_mime_bytes(raw))] += 1
        if maildir:
            if not Path(maildir, "cur").is_dir():
                raise CommandError(f"{maildir} is not a Maildir.")
            box = mailbox.Maildir(maildir, factory=None, create=False)
            for key in list(box.iterkeys()):  # a Mailbox iterates its messages, not keys
                message = box.get_message(key)
                if "S" in message.get_flags():
                    continue
                counts[unsubscribe_by_message(AnymailInboundMessage.parse_raw_mime_bytes(message.as_bytes()))] += 1
                message.set_subdir("cur")
                message.add_flag("S")
                box[key] = message
        self.stdout.write(", ".join(f"{counts[outcome]} {outcome}" for outcome in Outcome))
