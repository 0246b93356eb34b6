"""The read model, one module per projection (see ``base``), and ``REGISTRY``, the list of
them every use case iterates (see ``registry``).

To add a projection: write its module here, add it to ``REGISTRY`` after the projections
it reads, and add a migration that creates its tables (``adapters/migrations``)."""

from services.appraisal.adapters.migrations import MIGRATIONS
from services.appraisal.projections.acting import ActingAppointments
from services.appraisal.projections.activities import Activities
from services.appraisal.projections.attendance import AttendanceDays
from services.appraisal.projections.behaviour_reviews import BehaviourReviews
from services.appraisal.projections.closed_periods import ClosedPeriods
from services.appraisal.projections.discipline import Discipline
from services.appraisal.projections.distribution_checks import DistributionChecks
from services.appraisal.projections.eligibility import Eligibility
from services.appraisal.projections.employee_months import EmployeeMonths
from services.appraisal.projections.employees import Employees
from services.appraisal.projections.finance import Finance
from services.appraisal.projections.objections import Objections
from services.appraisal.projections.payments import Payments
from services.appraisal.projections.policies import Policies
from services.appraisal.projections.registry import Registry
from services.appraisal.projections.reporting_lines import ReportingLines
from services.appraisal.projections.restrictions import Restrictions
from services.appraisal.projections.skp import Skps
from services.appraisal.projections.transfers import Transfers

REGISTRY = Registry([Employees(), ReportingLines(), Activities(), EmployeeMonths(),
                     BehaviourReviews(), Policies(), ClosedPeriods(), Skps(), Objections(),
                     Transfers(), Eligibility(), AttendanceDays(), Discipline(), Finance(),
                     Payments(), ActingAppointments(), Restrictions(), DistributionChecks()],
                    [MIGRATIONS])
"""Every projection of the live read model. Stateless definitions: a batch's state lives
in its working sets."""
