"""Message texts. Plain text on purpose: every mail client shows it, and links stay visible.

Only text the service or an administrator wrote goes into a message: resource names, times,
ids, links built from PUBLIC_BASE_URL, and an administrator's cancel reason. Nothing a user
typed (their name, their own cancel reason) is ever sent, or anyone could register someone
else's address and use the service to deliver arbitrary text to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    subject: str
    body: str
    sensitive: bool = False
    # The in-app copy's call to action: a path within the app, e.g. the booking.
    cta_url: str | None = None
    cta_label: str | None = None


def password_reset(link: str, minutes: int) -> Message:
    return Message(
        kind="password_reset",
        subject="Reset your RoomTime password",
        body=(
            "Someone asked to reset the password of your RoomTime account.\n\n"
            f"To choose a new password, open this link within {minutes} minutes:\n{link}\n\n"
            "If it was not you, ignore this message: your password stays as it is.\n"
        ),
        sensitive=True,
    )


def password_changed() -> Message:
    return Message(
        kind="password_changed",
        subject="Your RoomTime password was changed",
        body=(
            "The password of your RoomTime account was just changed, and every session was "
            "signed out.\n\nIf you did not do this, reset your password at once and tell "
            "your administrator.\n"
        ),
    )


def _duration(seconds: int) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{max(1, seconds // 60)} minutes"


def email_verification(link: str, valid_seconds: int, *, grants_admin: bool = False) -> Message:
    within = _duration(valid_seconds)
    # The registrant chose the password; the mailbox owner must know what a click would give.
    admin = (
        "Confirming also makes this account an administrator of RoomTime. If you did not "
        "create the account yourself, do not open the link: reset its password first.\n\n"
        if grants_admin
        else ""
    )
    return Message(
        kind="email_verification",
        subject="Confirm your email address for RoomTime",
        body=(
            "Someone created a RoomTime account with this email address.\n\n"
            f"To confirm that it is yours, open this link within {within}:\n{link}\n\n"
            f"{admin}"
            "If it was not you, ignore this message: the address stays unconfirmed.\n"
        ),
        sensitive=True,
    )


@dataclass(frozen=True, slots=True)
class BookingFacts:
    booking_id: int
    resource_name: str
    starts_local: str  # e.g. "Mon 7 Jan 2030 10:00 (Europe/Berlin)"
    ends_local: str


def _when(facts: BookingFacts) -> str:
    return f"{facts.resource_name}, {facts.starts_local} – {facts.ends_local}"


def _booking_path(facts: BookingFacts) -> str:
    return f"/bookings/{facts.booking_id}"


def booking_confirmed(facts: BookingFacts) -> Message:
    return Message(
        kind="booking_confirmed",
        subject=f"Booking #{facts.booking_id} confirmed: {facts.resource_name}",
        body=f"Your booking #{facts.booking_id} is confirmed:\n{_when(facts)}\n",
        cta_url=_booking_path(facts),
        cta_label="View booking",
    )


def booking_changed(facts: BookingFacts, previous: BookingFacts, *, by_admin: bool) -> Message:
    who = "an administrator" if by_admin else "you"
    return Message(
        kind="booking_changed",
        subject=f"Booking #{facts.booking_id} changed: {facts.resource_name}",
        body=(
            f"Booking #{facts.booking_id} was moved by {who}.\n"
            f"Now: {_when(facts)}\nBefore: {_when(previous)}\n"
        ),
        cta_url=_booking_path(facts),
        cta_label="View booking",
    )


def booking_cancelled(
    facts: BookingFacts, *, by_admin: bool, admin_reason: str | None = None
) -> Message:
    """`admin_reason` is staff-written and audited; a user's own reason never comes here."""
    who = "an administrator" if by_admin else "you"
    why = f"\nReason given by the administrator: {admin_reason}\n" if admin_reason else ""
    return Message(
        kind="booking_cancelled",
        subject=f"Booking #{facts.booking_id} cancelled: {facts.resource_name}",
        body=f"Booking #{facts.booking_id} was cancelled by {who}:\n{_when(facts)}\n{why}",
        cta_url=_booking_path(facts),
        cta_label="View booking",
    )


def hold_expired(facts: BookingFacts) -> Message:
    return Message(
        kind="hold_expired",
        subject=f"Your hold on {facts.resource_name} expired",
        body=(
            f"Hold #{facts.booking_id} was not confirmed in time and was released:\n"
            f"{_when(facts)}\nThe time may still be free: hold it again to book it.\n"
        ),
        cta_url=_booking_path(facts),
        cta_label="View hold",
    )


def reminder(facts: BookingFacts, minutes: int) -> Message:
    return Message(
        kind="booking_reminder",
        subject=f"Reminder: {facts.resource_name} in {minutes} minutes",
        body=f"Your booking #{facts.booking_id} starts soon:\n{_when(facts)}\n",
        cta_url=_booking_path(facts),
        cta_label="View booking",
    )


def event_cancelled(event_name: str, starts_utc: str, reason: str, booking_id: int) -> Message:
    """To each participant of a cancelled event, once; `reason` is the admin's, audited."""
    return Message(
        kind="event_cancelled",
        subject=f"Cancelled: {event_name}",
        body=(
            f"{event_name} ({starts_utc}) has been cancelled by the organisers.\n"
            f"Your booking #{booking_id} is cancelled and its seats released.\n"
            f"Reason: {reason}\n"
        ),
    )
