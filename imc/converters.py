"""Path converters for the secret tokens in links (signed tokens, feed tokens).

Django's ``str`` converter takes anything but a slash, so a NUL or a line break in a link reached
the view and, through a lookup, PostgreSQL (which refuses a NUL with a 500). Every token the
portal issues is URL-safe base64 with ``:`` and ``.`` separators (``django.core.signing``,
``secrets.token_urlsafe``), so anything else is no link of ours: the address does not match and
the answer is a 404. ``imc.middleware.RefuseControlCharactersMiddleware`` answers 400 before
routing for a control character anywhere in the path; this is the rule for tokens themselves.
"""

from __future__ import annotations


class TokenConverter:
    regex = r"[-A-Za-z0-9_:.=]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
