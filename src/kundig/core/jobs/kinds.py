"""What a kind of background job does, and the registry of kinds.

An app defines a subclass of :class:`JobKind` per kind of job and registers
an instance with :func:`register` when it is loaded (from its ``tasks``
module, which Django imports at start). The runner calls the hooks in this
order: :meth:`~JobKind.prepare` once, then :meth:`~JobKind.work` and
:meth:`~JobKind.commit` for each chunk until ``work`` returns None, then
:meth:`~JobKind.finish`.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.utils.module_loading import import_string


class JobFailed(Exception):
    """The job cannot go on; the message is shown to the user who started it."""


class JobStopped(Exception):
    """The run lost its lease (the job was cancelled or handed on); stop quietly."""


class JobKind:
    """The hooks of one kind of job; subclasses override what they need."""

    #: Unique name, stored in ``Job.kind``: ``"<app>.<what>"``.
    name: str = ""
    #: The role permission the job's creator needs, checked at every run.
    permission: str = ""
    #: Dotted path of the task that runs jobs of this kind.
    task_path: str = ""
    #: Whether finished jobs of this kind have a file to download.
    has_file: bool = False

    def prepare(self, job) -> None:
        """Set ``job.total`` and ``job.state`` before the first chunk.

        Runs outside a transaction; the runner stores both fields if the
        job is still leased, else ``discard`` is called for ``job.state``.
        """
        job.total = 0

    def work(self, job) -> Any:
        """Return the next chunk's work (None when there is none left).

        Runs outside a transaction, after the runner checked the lease; it
        may read records and write the job's working files, but the records'
        writes belong in :meth:`commit`.
        """
        return None

    def commit(self, job, work) -> None:
        """Write the chunk and advance ``job``'s cursor, done, counters and state.

        ``job`` is the locked row; the runner saves it in this transaction.
        """
        raise NotImplementedError

    def finish(self, job) -> None:
        """Complete the job after its last chunk (e.g. set ``job.file``)."""

    def discard(self, state: dict) -> None:
        """Delete the working files named in ``state``."""
        for name in working_files(state):
            default_storage.delete(name)

    def title(self, job) -> str:
        """Return what the job does, for the list of jobs."""
        return job.kind

    def result(self, job) -> str:
        """Return what the job did, once it is done."""
        return ""

    def task(self):
        return import_string(self.task_path)

    def enqueue(self, job) -> None:
        """Enqueue the job's task (in the caller's transaction); note its id."""
        job.task_id = str(self.task().enqueue(job.pk).id)


def working_files(state: dict) -> list[str]:
    """Return the storage names of the working files a job's state lists."""
    return [name for name in state.get("files", []) if name]


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make ``kind`` known to the runner and the pages; return it."""
    _kinds[kind.name] = kind
    return kind


def get(name: str) -> JobKind | None:
    return _kinds.get(name)
