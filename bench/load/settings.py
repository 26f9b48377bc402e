"""Production settings with one extra page: the baseline of the load benchmark.

Everything else (middleware, templates, caching, static files) is exactly production's.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # the benchmark speaks plain HTTP on loopback

from imc.settings_production import *  # noqa: F403

ROOT_URLCONF = "bench.load.urls"
