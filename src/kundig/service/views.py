"""The service desk's pages (built in the next step)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


ticket_list = ticket_create = ticket_detail = ticket_reply = ticket_note = _todo
ticket_change = queue_list = queue_edit = contact_tickets = _todo
