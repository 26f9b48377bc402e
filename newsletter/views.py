"""Public newsletter pages: subscribe, confirm, unsubscribe, preferences, the archive."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from imc.net import client_ip
from imc.pagecache import public_page
from newsletter import rendering, selectors, services, subscribe_limit, tokens
from newsletter.forms import PreferencesForm, SubscribeForm
from newsletter.models import ConsentSource, Newsletter, Subscriber, SubscriberStatus
from newsletter.services.subscribers import subscription_request_for_link


@csrf_exempt
@public_page
def subscribe(request: HttpRequest) -> HttpResponse:
    """Ask for a subscription: always answered by a confirmation email, never by a subscription.

    Exempt from CSRF on purpose. A forged post can do no more than the forger could do by typing
    the address in themselves: ask (``subscriber_request`` changes no subscriber) and send one
    confirmation email, counted by the per-address and per-IP limits below. Without a token the
    form in every page's footer leaves those pages the same for every anonymous visitor, so they
    can come from the page cache (imc.pagecache).
    """
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request) or "unknown"
        email = form.cleaned_data["email"]
        if not (
            subscribe_limit.hit("ip", ip, settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP)
            and subscribe_limit.hit("address", email, settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_ADDRESS)
        ):
            form.add_error(None, "Too many attempts. Please wait an hour and try again.")
            status = 429
        else:
            services.subscriber_request(
                email=email,
                name=form.cleaned_data["name"],
                town=form.cleaned_data["place"],
                source=ConsentSource(form.cleaned_data["source"]),
                ip=client_ip(request),
            )
            return redirect("newsletter:thanks")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "newsletter/subscribe.html",
        {"form": form, "issues": selectors.archive(), "member_subscriber": _member_subscriber(request)},
        status=status,
    )


def thanks(request: HttpRequest) -> HttpResponse:
    """The one answer to every subscribe request, known address or not."""
    return render(request, "newsletter/thanks.html")


def _member_subscriber(request: HttpRequest) -> Subscriber | None:
    if not request.user.is_authenticated:
        return None
    return Subscriber.objects.filter(email=request.user.email.lower()).first()


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will be confirmed and a button (mail scanners follow links); POST confirms.

    A link works once and dies with a later unsubscribe: both answer as a link that is not valid.
    """
    pending = subscription_request_for_link(request_id=tokens.read_confirm_token(token))
    if pending is None:
        return render(request, "newsletter/bad_link.html", status=404)
    if request.method == "POST":
        subscriber = services.subscriber_confirm(request_id=pending.pk, ip=client_ip(request))
        if subscriber is None:  # used or unsubscribed between the read above and the lock
            return render(request, "newsletter/bad_link.html", status=404)
        return render(request, "newsletter/confirmed.html", {"subscriber": subscriber})
    return render(request, "newsletter/confirm.html", {"token": token, "pending": pending})


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: GET shows a confirm button, POST unsubscribes at once.

    No login, cookie or CSRF token: mail programs post ``List-Unsubscribe=One-Click`` here
    without any of them. The signed token is the proof.
    """
    subscriber_id = tokens.read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id is not None else None
    if subscriber is None:
        return render(request, "newsletter/bad_link.html", status=404)
    if request.method == "POST":
        subscriber = services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
        return render(
            request,
            "newsletter/unsubscribed.html",
            {"preferences_token": tokens.preferences_token(subscriber.pk)},
        )
    return render(
        request,
        "newsletter/unsubscribe.html",
        {"token": token, "already": subscriber.status == SubscriberStatus.UNSUBSCRIBED},
    )


@csrf_exempt
def test_copy_unsubscribe(request: HttpRequest) -> HttpResponse:
    """The unsubscribe address of a test copy sent to somebody who is not a subscriber: GET and a
    mail program's one-click POST (RFC 8058) both answer 200, that it was a test copy, and change
    nothing: there is no subscription to end. (A subscriber's test copy carries their own link.)"""
    return render(request, "newsletter/test_copy_unsubscribe.html")


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber_id = tokens.read_preferences_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id is not None else None
    if subscriber is None:
        return render(request, "newsletter/bad_link.html", status=404)
    initial = {"name": subscriber.name, "place": subscriber.town.name if subscriber.town_id else ""}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.subscriber_update_preferences(
            subscriber=subscriber, name=form.cleaned_data["name"], town=form.cleaned_data["place"]
        )
        messages.success(request, "Your preferences were saved.")
        return redirect("newsletter:preferences", token=token)
    return render(
        request,
        "newsletter/preferences.html",
        {
            "form": form,
            "subscriber": subscriber,
            "unsubscribe_token": tokens.unsubscribe_token(subscriber.pk),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def member_subscription(request: HttpRequest) -> HttpResponse:
    """One click for a signed-in member: subscribe, or unsubscribe."""
    if request.POST.get("action") == "unsubscribe":
        subscriber = _member_subscriber(request)
        if subscriber is not None:
            services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
        messages.success(request, "You are unsubscribed from the newsletter.")
    else:
        subscriber = services.subscriber_member_subscribe(user=request.user, ip=client_ip(request))
        if subscriber.suppressed:
            messages.warning(request, "Mail to your address bounced before, so we cannot send the newsletter to it.")
        else:
            messages.success(request, "You are subscribed to the newsletter.")
    return HttpResponseRedirect(_safe_next(request))


def _safe_next(request: HttpRequest) -> str:
    """Back to a page of this site named by its path; anything else (a URL name such as
    "profile", another host, a scheme) goes to the profile. Never handed to ``redirect()``,
    which would take a bare word for a URL name and answer 500 when it names none.
    """
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("accounts:profile")


@public_page
def archive_detail(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter.objects.readable(), slug=slug)
    return render(
        request,
        "newsletter/archive_detail.html",
        {"newsletter": newsletter, "body_html": rendering.render_public(newsletter)},
    )
