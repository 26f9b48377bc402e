"""Static files storage for production: hashed names and compressed copies, served by whitenoise."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _regex(pattern: str | tuple[str, str]) -> str:
    return pattern[0] if isinstance(pattern, tuple) else pattern


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The vendor bundles in static/vendor (Bootstrap, Leaflet) end with a ``sourceMappingURL``
    comment, but their .map files are not shipped. Rewriting those references would make
    collectstatic fail, so they are left alone: only a browser with developer tools open asks for
    a map, and it gets a 404. ``url()`` and ``@import`` references are still rewritten.
    """

    patterns = tuple(
        (glob, tuple(p for p in patterns if "sourceMappingURL" not in _regex(p)))
        for glob, patterns in CompressedManifestStaticFilesStorage.patterns
    )
