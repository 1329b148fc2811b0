from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting")
    DONE = "done", _("Done")
    STOPPED = "stopped", _("Stopped")


RUN_STATUS_COLORS = {
    RunStatus.RUNNING: "azure",
    RunStatus.WAITING: "yellow",
    RunStatus.DONE: "green",
    RunStatus.STOPPED: "secondary",
}


class StepOutcome(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    WAITING = "waiting", _("Waiting")


OUTCOME_COLORS = {
    StepOutcome.DONE: "green",
    StepOutcome.SKIPPED: "secondary",
    StepOutcome.FAILED: "red",
    StepOutcome.WAITING: "yellow",
}


class StepKind(models.TextChoices):
    SEND_TEMPLATE = "send_template", _("Send a message")
    WAIT = "wait", _("Wait")
    CREATE_TASK = "create_task", _("Create a task")
    ASSIGN_OWNER = "assign_owner", _("Assign an owner")
    ADD_TAG = "add_tag", _("Add a tag")
    REMOVE_TAG = "remove_tag", _("Remove a tag")
    SET_STAGE = "set_stage", _("Set the lifecycle stage")
    WEBHOOK = "webhook", _("Call an outgoing webhook")
    BRANCH = "branch", _("Branch on a condition")
    SEND_SURVEY = "send_survey", _("Ask for a recommendation score (NPS)")


# The domain events a playbook can start on, with what they are about.
TRIGGERS = {
    "order.placed": _("An order was placed"),
    "order.paid": _("An order was paid"),
    "order.cancelled": _("An order was cancelled"),
    "customer.first_order": _("A customer placed their first order"),
    "shipment.sent": _("A parcel was sent"),
    "shipment.delivered": _("A parcel was delivered"),
    "shipment.late": _("A parcel is late"),
    "revocation.received": _("A revocation arrived"),
    "revocation.rejected": _("A revocation was rejected"),
    "return.announced": _("A return was announced"),
    "return.received": _("A return arrived"),
    "refund.issued": _("A refund was issued"),
    "customer.inactive": _(
        "A customer has had no order and no conversation for a long time"
    ),
    "customer.birthday": _("It is a contact's birthday"),
    "message.received": _("A customer's email arrived"),
    "ticket.solved": _("A ticket was solved"),
    "survey.answered": _("A customer answered a survey"),
    "contact.created": _("A contact was created"),
    "contact.stage_changed": _("A contact moved to another stage"),
}
