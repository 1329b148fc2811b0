"""Tasks: my tasks, completing, reopening, reminders in the app and by real email."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kundig.activity.models import Task, TimelineEntry
from kundig.activity.selectors import my_tasks
from kundig.activity.services import (
    reminders_send_due,
    task_complete,
    task_create,
    task_reopen,
    task_update,
)
from kundig.core.models import Notification
from kundig.core.notifications import send_pending_emails

pytestmark = pytest.mark.django_db


def hours(n):
    return timezone.now() + dt.timedelta(hours=n)


def test_my_tasks_are_grouped_into_overdue_today_and_upcoming(sales_nord):
    local_now = timezone.localtime()
    end_of_day = local_now.replace(hour=23, minute=59)
    overdue = task_create(actor=sales_nord, title="überfällig", due_at=hours(-30))
    later_today = task_create(
        actor=sales_nord,
        title="heute",
        due_at=min(end_of_day, local_now + dt.timedelta(minutes=5)),
    )
    upcoming = task_create(actor=sales_nord, title="bald", due_at=hours(72))
    task_create(actor=sales_nord, title="viel später", due_at=hours(24 * 60))

    mine = my_tasks(user=sales_nord)

    assert mine.overdue == [overdue]
    assert mine.today == [later_today]
    assert mine.upcoming == [upcoming]


def test_completing_a_task_puts_it_on_the_timeline_once(
    sales_nord, make_contact, tomorrow
):
    contact = make_contact(sales_nord)
    task = task_create(
        actor=sales_nord, title="Angebot schicken", due_at=tomorrow, contact=contact
    )

    task_complete(actor=sales_nord, task=task)
    task_complete(actor=sales_nord, task=task)

    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.summary, entry.contact) == (
        "task_completed",
        "Angebot schicken",
        contact,
    )
    task.refresh_from_db()
    assert task.status == "done" and task.completed_by == sales_nord

    task_reopen(actor=sales_nord, task=task)
    task.refresh_from_db()
    assert task.status == "open" and task.completed_at is None


def test_a_task_cannot_go_to_someone_who_cannot_see_its_contact(
    sales_nord, sales_sued, make_contact, tomorrow
):
    contact = make_contact(sales_nord)

    with pytest.raises(ValidationError) as caught:
        task_create(
            actor=sales_nord,
            title="x",
            due_at=tomorrow,
            contact=contact,
            assignee=sales_sued,
        )

    assert "assignee" in caught.value.message_dict


def test_a_due_reminder_notifies_in_the_app_and_by_email_exactly_once(
    sales_nord, make_contact, smtp_server
):
    contact = make_contact(sales_nord, first_name="Jürgen", last_name="Müller")
    task = task_create(
        actor=sales_nord, title="Rückruf", due_at=hours(-0.1), contact=contact
    )

    assert reminders_send_due() == 1
    assert reminders_send_due() == 0
    assert send_pending_emails() == 1
    assert send_pending_emails() == 0

    notification = Notification.objects.get(user=sales_nord)
    assert "Rückruf" in notification.title
    assert notification.email_state == "sent"
    (message,) = smtp_server.messages
    assert message["To"] == sales_nord.email
    assert "Rückruf" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/tasks/{task.pk}/" in text
    assert "Jürgen Müller" in text


def test_reminders_are_written_in_the_assignees_language(sales_nord, smtp_server):
    sales_nord.language = "en"
    sales_nord.save()
    task_create(actor=sales_nord, title="Call back", due_at=hours(-1))

    reminders_send_due()
    send_pending_emails()

    (message,) = smtp_server.messages
    assert message["Subject"].startswith("Reminder:")


def test_an_email_that_fails_is_retried_later_and_the_reminder_is_not_lost(
    sales_nord, settings, smtp_server
):
    task_create(actor=sales_nord, title="Rückruf", due_at=hours(-1))
    reminders_send_due()
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there

    assert send_pending_emails() == 0
    notification = Notification.objects.get()
    assert (notification.email_state, notification.email_attempts) == ("pending", 1)

    settings.EMAIL_PORT = port
    assert send_pending_emails() == 1
    assert len(smtp_server.messages) == 1


def test_moving_the_due_time_moves_the_reminder_and_rearms_it(sales_nord):
    task = task_create(actor=sales_nord, title="x", due_at=hours(-1))
    reminders_send_due()

    task = task_update(actor=sales_nord, task=task, due_at=hours(-0.5))

    assert task.remind_at == task.due_at
    assert task.reminded_at is None
    assert reminders_send_due() == 1


def test_completed_tasks_are_not_reminded(sales_nord):
    task = task_create(actor=sales_nord, title="x", due_at=hours(-1))
    task_complete(actor=sales_nord, task=task)

    assert reminders_send_due() == 0


def test_completing_from_a_list_with_htmx_returns_the_row(
    sales_nord, client_for, tomorrow
):
    task = task_create(actor=sales_nord, title="Anrufen", due_at=tomorrow)

    response = client_for(sales_nord).post(
        reverse("activity:task_complete", args=[task.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    assert Task.objects.get().status == "done"


def test_tasks_of_other_teams_are_404(
    sales_nord, sales_sued, make_contact, client_for, tomorrow
):
    contact = make_contact(sales_sued)
    task = task_create(
        actor=sales_sued, title="Geheim", due_at=tomorrow, contact=contact
    )
    client = client_for(sales_nord)

    assert (
        client.get(reverse("activity:task_detail", args=[task.pk])).status_code == 404
    )
    assert (
        client.post(reverse("activity:task_complete", args=[task.pk])).status_code
        == 404
    )
    response = client.get(
        reverse("activity:task_list"), {"scope": "all", "status": "open"}
    )
    assert task not in response.context["page"].object_list


def test_the_task_form_refuses_a_missing_due_date(sales_nord, client_for):
    response = client_for(sales_nord).post(
        reverse("activity:task_create"),
        {"title": "x", "priority": "normal", "assignee": sales_nord.pk},
    )

    assert response.status_code == 422
    assert not Task.objects.exists()


def test_giving_a_task_to_someone_else_tells_them(sales_nord, manager_nord, tomorrow):
    task = task_create(actor=sales_nord, title="Angebot", due_at=tomorrow)

    task_update(actor=sales_nord, task=task, assignee=manager_nord)

    assert Notification.objects.filter(user=manager_nord).count() == 1


def test_reopening_a_task_arms_a_reminder_that_still_lies_ahead(sales_nord):
    task = task_create(
        actor=sales_nord, title="x", due_at=hours(-1), remind_at=hours(-1)
    )
    reminders_send_due()
    task_update(actor=sales_nord, task=task, remind_at=hours(2))
    task_complete(actor=sales_nord, task=task)
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())

    task_reopen(actor=sales_nord, task=task)

    assert Task.objects.get(pk=task.pk).reminded_at is None


def test_deactivated_users_get_no_reminder_email(sales_nord, smtp_server):
    task_create(actor=sales_nord, title="x", due_at=hours(-1))
    reminders_send_due()
    sales_nord.is_active = False
    sales_nord.save()

    assert send_pending_emails() == 0
    assert smtp_server.messages == []
    assert Notification.objects.get().email_state == ""


def test_the_start_page_counts_all_overdue_tasks_not_just_the_shown_ones(
    sales_nord, client_for
):
    for i in range(12):
        task_create(actor=sales_nord, title=f"t{i}", due_at=hours(-2 - i))

    response = client_for(sales_nord).get(reverse("activity:home"))

    assert response.context["mine"].overdue_count == 12
    assert len(response.context["mine"].overdue) == 10
