"""RoomTime: a booking backend for shared resources with no double booking, ever."""

__version__ = "0.1.0"
