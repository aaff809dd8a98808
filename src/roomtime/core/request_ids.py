"""The request id: kept from a well-formed `X-Request-ID`, logged, and stored in audit rows.

One length for the header check and the `audit_log.request_id` column, so an id the
middleware keeps always fits where the audit trail writes it.
"""

from __future__ import annotations

import re

REQUEST_ID_MAX_LENGTH = 128
REQUEST_ID_PATTERN = re.compile(rf"^[A-Za-z0-9._:-]{{1,{REQUEST_ID_MAX_LENGTH}}}$")
