"""Application Entities: associations as requestor, services as acceptor."""
from .association import Association
from .entity import ApplicationEntity
from .query import Operation, OperationFailed, Progress, qr_contexts
from .services.storage import StorageSCP, StoredInstance

__all__ = ["ApplicationEntity", "Association", "Operation", "OperationFailed", "Progress",
           "StorageSCP", "StoredInstance", "qr_contexts"]
