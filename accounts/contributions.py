"""What accounts gives the shared duties: the demo people, first of all demo data (see ``imc.registry``).

The member's own account is not a contribution: the export starts from it and the deletion ends
with it (``accounts.selectors.user_data``, ``accounts.services.user_delete``).
"""

from __future__ import annotations

from accounts import demo
from imc.registry import Kind, register

register(Kind.DEMO_SEED, demo.seed)
