"""What accounts gives the shared duties: the demo people, and the member rows public pages show
(see ``imc.registry``).

The member's own account is not a contribution: the export starts from it and the deletion ends
with it (``accounts.selectors.user_data``, ``accounts.services.user_delete``).
"""

from __future__ import annotations

from accounts import demo
from accounts.models import User
from imc.registry import Kind, contributes, register

register(Kind.DEMO_SEED, demo.seed)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list[type]:
    """Organizer and board names on public pages come from the account (a sign-in alone is
    ignored by the page cache)."""
    return [User]
