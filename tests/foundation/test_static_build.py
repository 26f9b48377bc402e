"""The image's build step, `collectstatic` on the production settings, succeeds and hashes every file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.foundation.test_settings import PRODUCTION, ROOT

SCRIPT = """
import sys, django
django.setup()
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def test_collectstatic_on_production_settings_builds_a_complete_manifest(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env={**env, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in (
        "css/site.css",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/leaflet/leaflet.js",
        "js/district-map.js",
    ):
        assert (tmp_path / manifest[name]).is_file(), name
        assert (tmp_path / (manifest[name] + ".gz")).is_file(), name
    # url() references inside CSS point at hashed files.
    leaflet_css = (tmp_path / manifest["vendor/leaflet/leaflet.css"]).read_text()
    assert manifest["vendor/leaflet/images/layers.png"].split("/")[-1] in leaflet_css
