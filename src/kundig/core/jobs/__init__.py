"""Background jobs: long work done in chunks by the worker, with progress.

A :class:`~kundig.core.models.Job` row holds what to do (``kind``, ``params``)
and how far it got; a :class:`~.kinds.JobKind`, registered by the app that
owns the work, says how to do it; :mod:`.runner` does the chunking, leasing,
time slicing and recovery the same way for every kind. See
docs/adr/0013-background-jobs-for-bulk-and-export.md.
"""
