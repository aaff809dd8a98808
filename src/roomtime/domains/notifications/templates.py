"""Message texts. Plain text on purpose: every mail client shows it, and links stay visible."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    subject: str
    body: str
    sensitive: bool = False


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
