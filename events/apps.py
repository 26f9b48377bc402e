from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed

        email_confirmed.connect(claim_guest_rsvps, dispatch_uid="events.claim_guest_rsvps")


def claim_guest_rsvps(sender, request=None, email_address=None, **kwargs) -> None:
    """A member just proved an address is theirs: the RSVPs made with it as a guest become the
    account's (``events.services.guest_rsvps_claim`` checks again that it is verified)."""
    from events import services

    if email_address is not None and email_address.verified and email_address.user_id:
        services.guest_rsvps_claim(user=email_address.user, email=email_address.email)
