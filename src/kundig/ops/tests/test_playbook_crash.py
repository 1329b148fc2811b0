"""A worker killed in the middle of a 10,000-recipient playbook step.

Real processes on a database file of their own: ``kundig worker`` takes the
step (the daily scan's ``customer.inactive`` for 10,000 customers, a
playbook that writes to each), is killed hard half-way, and the next worker
finishes it. Then the outbox hands everything to a real SMTP server. No one
may be skipped, no one may get the mail twice, and nothing half-written may
stay behind.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter

import pytest

from kundig.messaging.tests.conftest import free_port
from kundig.ops.tests.processes import (
    kundig_argv,
    kundig_env,
    migrated_data_dir,
    query,
    run_kundig,
)

RECIPIENTS = 10_000
BATCH = 500  # automation.services.ADVANCE_BATCH: a step commits this many runs

SETUP = """
from django.apps import apps
from django.db import transaction
from kundig.automation import services as automation
from kundig.core.events import emit_many
from kundig.messaging import services as messaging
from kundig.messaging.models import Mailbox

mailbox = Mailbox.objects.create(
    name="Service", email="service@kundig.test", smtp_host="127.0.0.1",
    smtp_port={port}, smtp_security="none", is_default=True,
)
messaging.template_save(
    actor=None, key="quiet", name="Lange nichts gehört", purpose="transactional",
    mailbox=mailbox,
    contents={{"de": {{
        "subject": "Wir vermissen Sie, {{{{ contact.first_name }}}}",
        "html": "<p>{{{{ salutation }}}},</p><p>lange nichts gehört.</p>",
    }}}},
)
automation.playbook_save(
    actor=None, name="Reaktivierung", trigger="customer.inactive", is_active=True,
    steps_=[{{"kind": "send_template", "template": "quiet"}}],
)
ids = list(
    apps.get_model("contacts", "ContactEmail").objects.filter(is_primary=True)
    .order_by("contact_id").values_list("contact_id", flat=True)[:{count}]
)
assert len(ids) == {count}, len(ids)
for start in range(0, len(ids), 1000):  # as the daily scan emits them
    with transaction.atomic():
        emit_many(
            ("customer.inactive", "contacts.contact", pk, {{}})
            for pk in ids[start : start + 1000]
        )
"""

SEND = """
from kundig.messaging.models import Message
from kundig.messaging.services import outbox_send_due
from django.utils import timezone
Message.objects.filter(status="queued").update(next_attempt_at=timezone.now())
sent = 0
while done := outbox_send_due(batch=1000, budget_seconds=600):
    sent += done
print(sent)
"""

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class Counting:
    """An SMTP server that notes each mail's recipient and Message-ID."""

    def __init__(self):
        self.deliveries: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        self.deliveries.append(
            (envelope.rcpt_tos[0], found.group(1).decode() if found else "")
        )
        return "250 OK"


def _steps_logged(data_dir) -> int:
    return query(data_dir, "SELECT count(*) FROM automation_runstep")[0][0]


@pytest.mark.django_db(transaction=False)
def test_a_worker_killed_mid_step_skips_no_one_and_sends_no_one_twice(tmp_path):
    from aiosmtpd.controller import Controller

    # given 10,000 quiet customers and a playbook that writes to each; the
    # mailbox's server is not up yet, so the step's mails stay queued
    data_dir = migrated_data_dir(tmp_path)
    seeded = run_kundig(
        "seed", "--contacts", "11500", "--companies", "0", "--activities", "0",
        "--tasks", "0", "--no-check", "--verbosity", "0", data_dir=data_dir,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    setup = run_kundig(
        "shell", "-c", SETUP.format(port=port, count=RECIPIENTS), data_dir=data_dir
    )
    assert setup.returncode == 0, setup.stderr

    # when a worker takes the step and is killed hard half-way through it
    worker = subprocess.Popen(
        [*kundig_argv(), "worker", "--interval", "0.1"],
        env=kundig_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _steps_logged(data_dir) < 2 * BATCH:
            assert worker.poll() is None, "the worker stopped by itself"
            assert time.monotonic() < deadline, "the worker took no steps"
            time.sleep(0.05)
    finally:
        worker.kill()
        worker.wait()
    logged = _steps_logged(data_dir)
    queued = query(data_dir, "SELECT count(*) FROM messaging_message")[0][0]
    [(held,)] = query(
        data_dir,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult"
        " WHERE status = 'RUNNING'",
    )
    assert logged < RECIPIENTS, "killed too late: the step was done"
    # nothing half-written: whole groups of runs, each with its message
    assert logged % BATCH == 0
    assert queued == logged

    # and the next worker picks up what the dead one held, and finishes
    finished = run_kundig("worker", "--batch", data_dir=data_dir, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    if held:  # (the kill may also fall between two tasks)
        assert "queued again" in finished.stderr

    # then every customer has exactly one run, one logged step, one message
    assert query(
        data_dir, "SELECT count(*), count(DISTINCT contact_id) FROM automation_run"
    ) == [(RECIPIENTS, RECIPIENTS)]
    assert query(
        data_dir, "SELECT status, count(*) FROM automation_run GROUP BY status"
    ) == [("done", RECIPIENTS)]
    assert query(
        data_dir, "SELECT outcome, count(*) FROM automation_runstep GROUP BY outcome"
    ) == [("done", RECIPIENTS)]
    assert query(
        data_dir,
        "SELECT count(*), count(DISTINCT contact_id), count(DISTINCT to_email)"
        " FROM messaging_message",
    ) == [(RECIPIENTS, RECIPIENTS, RECIPIENTS)]

    # and when the server is up, each of them receives the mail once
    inbox = Counting()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        sent = run_kundig("shell", "-c", SEND, data_dir=data_dir, timeout=600)
    finally:
        server.stop()
    assert sent.returncode == 0, sent.stderr[-3000:]
    assert int(sent.stdout.strip().splitlines()[-1]) == RECIPIENTS
    recipients = Counter(rcpt for rcpt, _id in inbox.deliveries)
    assert len(recipients) == RECIPIENTS
    assert set(recipients.values()) == {1}
    assert len({message_id for _rcpt, message_id in inbox.deliveries}) == RECIPIENTS
    assert query(
        data_dir, "SELECT status, count(*) FROM messaging_message GROUP BY status"
    ) == [("sent", RECIPIENTS)]
