"""The timeline and tasks in the JSON API; ``kundig.api`` mounts the routers."""

from .tasks import tasks_router
from .timeline import timeline_router

__all__ = ["tasks_router", "timeline_router"]
