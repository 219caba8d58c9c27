"""``confirma doctor``: check the client's guesses about the API against a real environment.

The public CFIS docs leave most answer shapes open, so the models rest on assumptions
(``docs/api-assumptions.md``). :func:`check_assumptions` (and ``confirma doctor``) calls every read
endpoint once, compares the answers with the models and reports per assumption id whether it was
confirmed, contradicted (with the keys actually seen and the wire alias to add) or not exercised.
It is read-only: no POST, no token renewal, no ``unfetchedOnly``.
"""

from __future__ import annotations

from ._findings import ROWS
from ._report import AssumptionCheck, AssumptionVerdict, DoctorReport
from ._run import check_assumptions

__all__ = ["ROWS", "AssumptionCheck", "AssumptionVerdict", "DoctorReport", "check_assumptions"]
