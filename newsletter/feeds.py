from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from newsletter import rendering
from newsletter.models import Newsletter


class ArchiveFeed(Feed):
    feed_type = Atom1Feed
    title = "Indivisible Mass Coalition newsletter"
    subtitle = "Every issue of the coalition's newsletter."

    def link(self) -> str:
        return reverse("newsletter:subscribe")

    def items(self):
        return Newsletter.objects.published()[:50]

    def item_title(self, item: Newsletter) -> str:
        return item.subject

    def item_description(self, item: Newsletter) -> str:
        return rendering.render_public(item)

    def item_pubdate(self, item: Newsletter):
        return item.sent_at

    def item_updateddate(self, item: Newsletter):
        return item.sent_at
