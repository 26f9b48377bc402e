"""The public pages of the allies: the list, one ally with its joint events, the relay form.

An ally not shown publicly is a 404 on every page, as if it did not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from allies import selectors, services
from allies.forms import AllyWriteForm
from allies.models import Ally
from imc.net import client_ip
from imc.pagecache import public_page


def _public_or_404(slug: str) -> Ally:
    ally = selectors.public_ally(slug)
    if ally is None:
        raise Http404("No such ally")
    return ally


@public_page
def ally_list(request: HttpRequest) -> HttpResponse:
    return render(request, "allies/list.html", {"allies": selectors.public_allies()})


@public_page
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    ally = _public_or_404(slug)
    context = {"ally": ally, "districts": list(ally.districts.all()), "events": selectors.joint_events(ally)}
    return render(request, "allies/detail.html", context)


def write(request: HttpRequest, slug: str) -> HttpResponse:
    ally = _public_or_404(slug)
    form = AllyWriteForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.ally_write(
                ally=ally,
                sender_name=form.cleaned_data["name"],
                sender_email=form.cleaned_data["email"],
                body=form.cleaned_data["message"],
                client=client_ip(request),
            )
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except services.AllyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your message was passed on to {ally.name}.")
            return redirect(ally.get_absolute_url())
    return render(request, "allies/write.html", {"ally": ally, "form": form}, status=status)
