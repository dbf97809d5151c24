"""Application Entities: associations as requestor, services as acceptor."""
from .association import Association
from .entity import ApplicationEntity
from .services.storage import StorageSCP, StoredInstance

__all__ = ["ApplicationEntity", "Association", "StorageSCP", "StoredInstance"]
