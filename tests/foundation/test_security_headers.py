"""Every response carries the security headers, whatever produced it (page, 404, redirect, JSON)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

PATHS = [
    ("/", 200),
    ("/about/", 200),
    ("/privacy/", 200),
    ("/districts/", 200),
    ("/districts/ma-3/", 200),
    ("/find/?q=Lowell", 200),
    ("/no-such-page/", 404),
    ("/districts/ma-99/", 404),
    ("/admin/", 302),
    ("/admin/login/", 302),
    ("/healthz", 200),
    ("/accounts/login/", 200),
    ("/accounts/signup/", 200),
    ("/accounts/password/reset/", 200),
    ("/accounts/profile/", 302),
]


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part}


@pytest.mark.parametrize(("path", "status"), PATHS)
def test_every_response_carries_the_security_headers(client, settings, path, status):
    settings.REDIS_URL = None  # /healthz: the embedded default has no broker to reach
    response = client.get(path)
    assert response.status_code == status
    csp = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["script-src"] == ["'self'"]  # our own files only: no inline script at all
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_policy_is_the_same_for_every_response(client):
    """No per-request nonce: stored pages (imc.pagecache) carry the same policy as fresh ones."""
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]
    assert first == second


class _ScriptAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.inline_scripts.append(str(attrs))
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]


@pytest.mark.parametrize("path", [p for p, status in PATHS if status == 200 and p != "/healthz"])
def test_pages_have_no_inline_script_the_policy_would_block(client, path):
    audit = _ScriptAudit()
    audit.feed(client.get(path).content.decode())
    assert audit.inline_scripts == []
    assert audit.handlers == []


def test_hsts_is_sent_over_https_with_the_production_values(client, settings):
    """The values come from imc.settings_production (see test_settings for the subprocess check)."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_a_missing_page_is_the_sites_own_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'aria-label="Main"' in response.content.decode()
    assert "Page not found" in response.content.decode()
