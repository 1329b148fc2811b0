"""Collect static files only when they changed since the last collection.

``collectstatic`` with whitenoise's manifest storage hashes and compresses
every file each time, which takes seconds even when nothing changed; ``kundig
web`` and ``kundig demo`` collect at every start. A fingerprint of the source
files (path, size, modification time) and the storage settings, kept in
``STATIC_ROOT``, lets a restart skip that work.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

_FINGERPRINT = ".kundig-sources"


def sources_fingerprint() -> str:
    """Return a digest of every static source file's path, size and mtime."""
    digest = hashlib.sha256(
        json.dumps(settings.STORAGES.get("staticfiles"), sort_keys=True).encode()
    )
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = Path(storage.path(path)).stat()
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collectstatic_if_changed() -> bool:
    """Run ``collectstatic`` unless the sources are as last collected; say if it ran."""
    root = Path(settings.STATIC_ROOT)
    marker = root / _FINGERPRINT
    fingerprint = sources_fingerprint()
    manifest = root / "staticfiles.json"
    needs_manifest = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    if (
        marker.exists()
        and marker.read_text() == fingerprint
        and (manifest.exists() or not needs_manifest)
    ):
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    marker.write_text(fingerprint)
    return True
