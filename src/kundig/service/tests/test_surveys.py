"""Ratings: a solved ticket asks its customer (with consent) once, by a real
mail; the public page records one answer; the ticket and the timeline show it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.core import events
from kundig.core.models import DomainEvent, Notification
from kundig.messaging import rendering
from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.service import services
from kundig.service.defaults import TEMPLATES
from kundig.service.models import ServiceSettings, Survey
from kundig.service.tests.test_sla_pages import text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk_in_english(settings):
    """What the team reads (notes, the timeline) is in the desk's language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def consent(give_consent):
    def give(contact, purpose="surveys"):
        contact.language = "en"  # (the texts below are English)
        contact.save(update_fields=["language"])
        give_consent(contact, purpose)

    return give


def solve(ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    events.dispatch_pending()
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def asked(agent, anna, late, mailbox, consent):
    """Anna agreed to surveys; her late-delivery ticket was solved."""
    consent(anna)
    late.assignee = agent
    late.save()
    solve(late, agent)
    return Survey.objects.get()


def token(survey) -> str:
    """The token, from the survey's mail (Kundig keeps only its hash)."""
    return re.search(r"/survey/([\w-]+)/", survey.message.html).group(1)


def page(client, survey, **query):
    return client.get(reverse("service:survey", args=[token(survey)]), query)


def answer(client, survey, **data):
    return client.post(reverse("service:survey", args=[token(survey)]), data)


# --- asking ---------------------------------------------------------------------------


def test_a_solved_ticket_sends_a_rating_mail_through_smtp(asked, late, smtp):
    assert (asked.kind, asked.ticket, asked.problem) == ("csat", late, "")
    message = asked.message
    assert (message.purpose, message.to_email) == ("surveys", "anna@example.de")

    assert messaging.outbox_send_due() == 1

    (mail,) = smtp.messages
    assert late.number in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = mail.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+\?score=\d)"', body)
    assert [link[-1] for link in links] == ["1", "2", "3", "4", "5"]
    assert all(token(asked) in link for link in links)
    assert token(asked) not in asked.token_hash
    assert "Wo bleibt mein Paket?" in body


def test_without_consent_for_surveys_no_mail_goes_out_and_the_ticket_says_why(
    agent, anna, late, mailbox, client_for, consent
):
    consent(anna, "newsletter")  # another purpose

    solve(late, agent)

    survey = Survey.objects.get()
    assert survey.message is None
    assert survey.problem == "No confirmed consent for Surveys."
    assert not Message.objects.filter(purpose="surveys").exists()
    shown = text(client_for(agent).get(late.get_absolute_url()))
    assert "No rating asked: No confirmed consent for Surveys." in shown


def test_a_ticket_solved_again_asks_once(asked, agent, late):
    services.ticket_update(actor=agent, ticket=late, status="open")
    solve(late, agent)
    DomainEvent.objects.filter(name="ticket.solved").update(dispatched_at=None)
    events.dispatch_pending()  # and the events handled twice

    assert Survey.objects.count() == 1
    assert Message.objects.filter(purpose="surveys").count() == 1


def test_the_desk_can_switch_ratings_off(admin, agent, anna, late, mailbox, consent):
    consent(anna)
    services.service_settings_save(actor=admin, ask_rating=False)

    solve(late, agent)

    assert not ServiceSettings.current().ask_rating
    assert not Survey.objects.exists()


def test_a_ticket_opened_again_before_the_event_is_handled_asks_nothing(
    agent, anna, late, mailbox, consent
):
    consent(anna)
    services.ticket_update(actor=agent, ticket=late, status="solved")
    services.ticket_update(actor=agent, ticket=late, status="open")
    events.dispatch_pending()

    assert not Survey.objects.exists()


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_the_ready_made_templates_are_valid(key):
    _name, purpose, contents = TEMPLATES[key]
    assert purpose == ("transactional" if key == "portal-login" else "surveys")
    for language, (subject, html) in contents.items():
        assert (
            rendering.check(subject=subject, html=html, text="", language=language)
            == {}
        )


# --- answering ------------------------------------------------------------------------


def test_opening_a_link_chooses_but_records_nothing(asked, client):
    response = page(client, asked, score="4")

    assert response.status_code == 200
    assert 'id="score-4" value="4" autocomplete="off" checked' in text(response)
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_an_answer_is_recorded_once_on_the_timeline_and_the_ticket(asked, client, late):
    response = answer(client, asked, score="4", comment="Schnell und freundlich")

    assert response.status_code == 200
    assert 'id="survey-done"' in text(response)
    asked.refresh_from_db()
    assert (asked.score, asked.comment) == (4, "Schnell und freundlich")
    entry = TimelineEntry.objects.get(kind="survey")
    assert entry.contact_id == late.contact_id
    assert "4 of 5" in entry.summary and "Schnell und freundlich" in entry.summary
    assert late.entries.filter(kind="note", body__contains="4 of 5").exists()
    (event,) = DomainEvent.objects.filter(name="survey.answered")
    assert event.payload["score"] == 4 and event.payload["ticket_id"] == late.pk

    answer(client, asked, score="1", comment="changed my mind")

    asked.refresh_from_db()
    assert asked.score == 4
    assert TimelineEntry.objects.filter(kind="survey").count() == 1


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_bad_score_is_refused_and_nothing_recorded(asked, client, score):
    response = answer(client, asked, score=score)

    assert response.status_code == 422
    assert "Choose a number from 1 to 5." in text(response)
    asked.refresh_from_db()
    assert asked.answered_at is None
    assert not TimelineEntry.objects.filter(kind="survey").exists()


def test_a_long_comment_is_refused_naming_it(asked, client):
    response = answer(client, asked, score="3", comment="x" * 2001)

    assert response.status_code == 422
    assert "At most 2000 characters." in text(response)


def test_a_closed_survey_takes_no_answer(asked, client):
    Survey.objects.filter(pk=asked.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    response = answer(client, asked, score="5")

    assert "This survey has closed." in text(response)
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_an_unknown_link_is_a_404(client):
    response = client.get(reverse("service:survey", args=["not-a-token"]))

    assert response.status_code == 404
    assert "This survey link is not valid." in text(response)


def test_the_page_speaks_the_customers_language(asked, anna, client):
    anna.language = "de"
    anna.save(update_fields=["language"])

    assert "Wie zufrieden waren Sie mit unserer Hilfe?" in text(page(client, asked))


def test_a_poor_rating_tells_whoever_had_the_ticket(asked, agent, client):
    answer(client, asked, score="2", comment="Niemand hat geantwortet")

    (note,) = Notification.objects.filter(user=agent)
    assert "2 of 5" in note.title and "Niemand hat geantwortet" in note.body


def test_the_ticket_shows_the_rating_with_the_comment_escaped(
    asked, agent, client, client_for, late
):
    answer(client, asked, score="5", comment="<script>alert(1)</script> super")

    shown = text(client_for(agent).get(late.get_absolute_url()))

    assert "Rated 5 of 5" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; super" in shown
    assert "<script>alert(1)" not in shown


# --- NPS ------------------------------------------------------------------------------


def test_a_recommendation_survey_takes_0_to_10(anna, mailbox, client, consent):
    consent(anna)
    survey = services.nps_survey_send(contact=anna, key="nps:test")
    again = services.nps_survey_send(contact=anna, key="nps:test")

    assert again is None and Survey.objects.count() == 1
    assert survey.message.subject == "One question: would you recommend us?"
    assert answer(client, survey, score="11").status_code == 422
    assert answer(client, survey, score="0").status_code == 200
    survey.refresh_from_db()
    assert survey.score == 0
    assert "Recommendation: 0 of 10" in TimelineEntry.objects.get().summary
