from __future__ import annotations

from django import template

from groups import policy, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def groups_pending_count(context) -> int | None:
    """How many listings wait for this moderator; None for staff who moderate no groups."""
    user = context["request"].user
    district_ids = policy.moderated_district_ids(user)
    if district_ids is not None and not district_ids:
        return None
    return selectors.pending_counts(district_ids)
