"""Bulk actions and exports of contacts and companies, small ones at once, large
ones as background jobs (docs/adr/0013-background-jobs-for-bulk-and-export.md).

:mod:`.bulk` and :mod:`.export` each hold the service the pages call and the
job kind the worker runs; both write through the same services.
"""
