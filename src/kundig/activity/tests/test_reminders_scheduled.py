"""Reminders go out without anyone clicking: scheduler, worker, notification, email."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from kundig.activity.services import task_create
from kundig.core import scheduler
from kundig.core.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_scheduler_and_the_worker_send_a_due_reminder(sales_nord, smtp_server):
    # given a task whose reminder time has passed
    task_create(
        actor=sales_nord,
        title="Rückruf",
        due_at=timezone.now() - dt.timedelta(minutes=5),
    )

    # when the scheduler ticks and the worker works off the queue
    assert any(key.startswith("activity.task_reminders:") for key in scheduler.tick())
    call_command("worker", "--batch", "--verbosity", "0")
    call_command("worker", "--batch", "--verbosity", "0")  # the email job it enqueued

    # then the assignee has a notification and an email
    notification = Notification.objects.get(user=sales_nord)
    assert notification.email_state == "sent"
    assert [m["To"] for m in smtp_server.messages] == [sales_nord.email]
