"""The archive's Atom feed (RFC 4287).

The coalition is the author of the feed and of each issue (§4.1.1: a feed MUST have an author).
A feed is read away from the site, so every address in it, its ids and links and the links inside
each summary, is absolute from SITE_URL (``imc.links``), never from the request's host or the
Site row, which Django's syndication would otherwise use for relative ones.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from imc.links import absolute, absolute_links
from newsletter import rendering
from newsletter.models import Newsletter


class ArchiveFeed(Feed):
    feed_type = Atom1Feed
    title = "Indivisible Mass Coalition newsletter"
    subtitle = "Every issue of the coalition's newsletter."

    def link(self) -> str:
        return absolute(reverse("newsletter:subscribe"))

    def feed_url(self) -> str:
        return absolute(reverse("newsletter:feed"))

    def author_name(self) -> str:
        return settings.SITE_NAME

    def author_link(self) -> str:
        return absolute(reverse("about"))

    def items(self):
        return Newsletter.objects.published()[:50]

    def item_title(self, item: Newsletter) -> str:
        return item.subject

    def item_link(self, item: Newsletter) -> str:
        return absolute(item.get_absolute_url())

    def item_description(self, item: Newsletter) -> str:
        return absolute_links(rendering.render_public(item), base=self.item_link(item))

    def item_author_name(self, item: Newsletter) -> str:
        return settings.SITE_NAME

    def item_author_link(self, item: Newsletter) -> str:
        return self.author_link()

    def item_pubdate(self, item: Newsletter):
        return item.sent_at

    def item_updateddate(self, item: Newsletter):
        return item.sent_at
