"""The migrations describe the models exactly as they are."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = StringIO()

    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:  # (what --check does when a migration is missing)
        pytest.fail(f"A model change has no migration:\n{out.getvalue()}")
