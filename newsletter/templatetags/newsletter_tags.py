from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from newsletter.forms import SubscribeForm
from newsletter.models import ConsentSource

register = template.Library()


@register.simple_tag(takes_context=True)
def newsletter_form(context, source: str, compact: bool = False) -> SafeString:
    """A blank subscribe form whose ids do not clash with another one on the same page."""
    form = SubscribeForm(source=ConsentSource(source), prefix_id=source)
    return render_to_string("newsletter/_form.html", {"form": form, "compact": compact}, request=context.get("request"))
