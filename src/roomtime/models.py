"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from roomtime.core.db import Base
from roomtime.domains.audit import models as _audit  # noqa: F401
from roomtime.domains.auth import models as _auth  # noqa: F401
from roomtime.domains.bookings import models as _bookings  # noqa: F401
from roomtime.domains.events import models as _events  # noqa: F401
from roomtime.domains.files import models as _files  # noqa: F401
from roomtime.domains.notifications import models as _notifications  # noqa: F401
from roomtime.domains.reports import models as _reports  # noqa: F401
from roomtime.domains.resources import models as _resources  # noqa: F401
from roomtime.domains.slots import models as _slots  # noqa: F401
from roomtime.domains.specialists import models as _specialists  # noqa: F401
from roomtime.domains.users import models as _users  # noqa: F401

metadata = Base.metadata
