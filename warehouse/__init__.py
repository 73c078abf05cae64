"""The warehouse: SQLAlchemy models, Alembic migrations and a small data API.

By default the data itself lives here too (``warehouse/warehouse.db``, ``warehouse/reports/``; both
ignored by git); production points ``CHANJIAO_DATABASE_URL`` at PostgreSQL.
"""

from warehouse.api import RejectionRecord, VersionRecord, Warehouse, dispose_engines, is_connection_error
from warehouse.locks import lock_folder

__all__ = ["RejectionRecord", "VersionRecord", "Warehouse", "dispose_engines", "is_connection_error", "lock_folder"]
