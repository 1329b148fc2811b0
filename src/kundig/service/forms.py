"""The service desk's forms: they parse input, the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kundig.core.choices import Language
from kundig.core.models import Team, User
from kundig.messaging.models import Mailbox

from .calendar import regions
from .choices import (
    GoodwillKind,
    Priority,
    RuleAction,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from .models import ArticleCategory, CrisisPlan, Queue, SlaPolicy

# What an agent logs by hand; mail and shop events open tickets on their own.
AGENT_CHANNELS = [
    (channel.value, channel.label)
    for channel in (
        TicketChannel.PHONE,
        TicketChannel.LETTER,
        TicketChannel.WEB,
        TicketChannel.EMAIL,
        TicketChannel.CHAT,
        TicketChannel.SOCIAL,
    )
]


def active_users():
    return User.objects.filter(is_active=True).order_by(
        "first_name", "last_name", "email"
    )


def _user_field(label, *, required=False, empty_label=None, help_text=""):
    return forms.ModelChoiceField(
        label=label,
        queryset=active_users(),
        required=required,
        empty_label=empty_label,
        help_text=help_text,
    )


class TicketForm(forms.Form):
    """A ticket an agent logs: a call, a letter, a message from elsewhere."""

    contact = forms.IntegerField(
        label=_("Customer"),
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the customer.")},
    )
    contact_label = forms.CharField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=AGENT_CHANNELS, initial=TicketChannel.PHONE
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=TicketCategory.choices,
        initial=TicketCategory.QUESTION,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), empty_label=None
    )
    assignee = _user_field(
        _("Assigned to"),
        empty_label=_("Nobody yet"),
        help_text=_("Calls and letters are yours unless you choose someone."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("What the customer wants"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    scans = forms.FileField(
        label=_("Scanned letter"),
        required=False,
        help_text=_("PDF, PNG or JPEG, up to 20 MB."),
    )
    order = forms.CharField(
        label=_("Order number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "recent-orders", "autocomplete": "off"}),
        help_text=_("Optional: the customer's order this is about."),
    )


class ReplyForm(forms.Form):
    """The answer to the customer; ``key`` makes a double click send one mail."""

    text = forms.CharField(
        label=_("Reply to the customer"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status = forms.ChoiceField(
        label=_("After sending"),
        choices=TicketStatus.choices,
        initial=TicketStatus.WAITING_CUSTOMER,
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=32)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees it; it is never sent."),
    )


class TicketChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), empty_label=None
    )
    assignee = _user_field(_("Assigned to"), empty_label=_("Nobody"))

    @classmethod
    def for_ticket(cls, ticket, data=None) -> TicketChangeForm:
        form = cls(
            data,
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "category": ticket.category,
                "queue": ticket.queue_id,
                "assignee": ticket.assignee_id,
            },
        )
        if ticket.assignee_id:
            # Someone who has left still shows as the assignee.
            form.fields["assignee"].queryset = User.objects.filter(
                Q(is_active=True) | Q(pk=ticket.assignee_id)
            ).order_by("first_name", "last_name", "email")
        return form


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=Mailbox.objects.order_by("name"),
        required=False,
        empty_label="—",
        help_text=_("Mail to this mailbox opens tickets in this queue."),
    )
    team_lead = _user_field(
        _("Team lead"),
        empty_label="—",
        help_text=_(
            "Takes a ticket over at the first escalation: when its answer is "
            "overdue, or when an agent escalates it."
        ),
    )
    escalation_owner = _user_field(
        _("Escalation owner"),
        empty_label="—",
        help_text=_("Who takes over the hard cases."),
    )
    is_default = forms.BooleanField(
        label=_("Default queue"),
        required=False,
        help_text=_("Mail to a mailbox of no queue, and shop events, go here."),
    )


class ValuedCustomersForm(forms.Form):
    """From which revenue a customer counts as valued, and what that is worth."""

    valued_revenue = forms.DecimalField(
        label=_("Valued customers from (revenue)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        help_text=_("What a customer has bought in all, by their figures."),
    )
    valued_factor = forms.DecimalField(
        label=_("Their goodwill limits ×"),
        min_value=1,
        max_value=Decimal("99"),
        max_digits=4,
        decimal_places=2,
        localize=True,
        help_text=_("2 doubles what agents and team leads may grant them."),
    )


class EscalationRulesForm(forms.Form):
    """Which new tickets the queue's escalation owner takes at once."""

    escalate_categories = forms.MultipleChoiceField(
        label=_("Tickets of these categories"),
        choices=TicketCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    escalate_negative = forms.BooleanField(
        label=_("Tickets from customers who sound angry"), required=False
    )
    escalate_valued = forms.BooleanField(
        label=_("Tickets from valued customers"), required=False
    )


class ServiceSettingsForm(forms.Form):
    open_on_late_shipment = forms.BooleanField(
        label=_("Open a ticket when a parcel is late"), required=False
    )
    ask_rating = forms.BooleanField(
        label=_("Ask for a rating when a ticket is solved"),
        required=False,
        help_text=_(
            "A satisfaction survey (1 to 5) by mail, once per ticket, to customers "
            "who agreed to surveys."
        ),
    )
    open_on_revocation_rejected = forms.BooleanField(
        label=_("Open a ticket when a revocation is rejected"), required=False
    )
    open_on_unavailable = forms.BooleanField(
        label=_("Open a ticket when an ordered item cannot be delivered"),
        required=False,
    )


class BusinessHoursForm(forms.Form):
    """The desk's hours, in which most service levels' clocks run."""

    work_days = forms.MultipleChoiceField(
        label=_("Working days"),
        choices=[(str(day + 1), name) for day, name in WEEKDAYS_ABBR.items()],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose at least one working day.")},
    )
    work_start = forms.TimeField(
        label=_("From"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    work_end = forms.TimeField(
        label=_("Until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    holiday_region = forms.ChoiceField(
        label=_("Public holidays of"),
        required=False,
        help_text=_("A Bundesland's own holidays count too."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holiday_region"].choices = [
            ("", _("Germany: nationwide only")),
            *regions(),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("work_start"), data.get("work_end")
        if start and end and end <= start:
            self.add_error("work_end", _("The day must end after it starts."))
        return data


def _any(choices):
    return [("", _("Any")), *choices]


def _hours_field(label, help_text):
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=Decimal(365 * 24),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any"}),
        help_text=help_text,
    )


def hours_of(minutes: int) -> str:
    """``minutes`` as hours for the form: 600 → "10", 90 → "1.5"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


class SlaPolicyForm(forms.Form):
    """A service level; the times in hours, the service keeps minutes."""

    # The service's field names, where they differ from the form's.
    FIELD_NAMES = {
        "first_response_minutes": "answer_hours",
        "resolution_minutes": "solve_hours",
    }

    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=_any(Priority.choices), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_any(TicketCategory.choices), required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_any(TicketChannel.choices), required=False
    )
    answer_hours = _hours_field(
        _("Answer within (hours)"), _("Until the first reply to the customer.")
    )
    solve_hours = _hours_field(
        _("Solve within (hours)"),
        _("Until solved; time waiting on the customer does not count."),
    )
    business_hours = forms.BooleanField(
        label=_("Count business hours only"),
        required=False,
        help_text=_("Else the clock runs around the clock, nights and Sundays too."),
    )
    position = forms.IntegerField(
        label=pgettext_lazy("sort position", "Order"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("The first active level that fits a ticket applies."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_policy(cls, policy: SlaPolicy | None, data=None) -> SlaPolicyForm:
        initial = {"business_hours": True, "is_active": True, "position": 100}
        if policy is not None:
            initial = {
                "name": policy.name,
                "priority": policy.priority,
                "category": policy.category,
                "channel": policy.channel,
                "answer_hours": hours_of(policy.first_response_minutes),
                "solve_hours": hours_of(policy.resolution_minutes),
                "business_hours": policy.business_hours,
                "position": policy.position,
                "is_active": policy.is_active,
            }
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        answer, solve = data.get("answer_hours"), data.get("solve_hours")
        if answer and solve and solve < answer:
            self.add_error(
                "solve_hours",
                _("Solving cannot take less time than the first answer."),
            )
        return data

    def policy_data(self) -> dict:
        """The cleaned data as :func:`services.sla_policy_save` takes it."""
        data = dict(self.cleaned_data)
        for minutes, hours in self.FIELD_NAMES.items():
            data[minutes] = round(data.pop(hours) * 60)
        return data


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=300,
        help_text=_("Optional; goes on the ticket as a note."),
    )


# --- Crisis plans and goodwill --------------------------------------------------------


def _money_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_value=Decimal("100000"),
        max_digits=10,
        decimal_places=2,
        help_text=help_text,
        localize=True,
    )


class CrisisPlanForm(forms.Form):
    """A plan; its goodwill catalogue is :data:`GoodwillOptionFormSet`."""

    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    responsible = forms.ModelChoiceField(
        label=_("Responsible"),
        queryset=active_users(),
        required=False,
        empty_label="—",
        help_text=_("Who answers for these cases; shown on each ticket."),
    )
    solution_hours = forms.IntegerField(
        label=_("Solve within (business hours)"),
        min_value=1,
        max_value=8760,
        required=False,
    )
    steps = forms.CharField(
        label=_("Checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One step per line."),
    )
    response_de = forms.CharField(
        label=_("Answer in German"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "A reply the agent starts from. Merge fields as in message templates: "
            "{{ salutation }}, {{ order.number }}, {{ ticket.number }} …"
        ),
    )
    response_en = forms.CharField(
        label=_("Answer in English"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    agent_limit = _money_field(_("Agents may grant up to"), _("Without asking anyone."))
    team_lead_limit = _money_field(
        _("Team leads may grant up to"),
        _("The queue's team lead and managers; above, the escalation owner approves."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_plan(cls, plan: CrisisPlan | None, data=None) -> CrisisPlanForm:
        initial = {"is_active": True, "agent_limit": "25", "team_lead_limit": "100"}
        if plan is not None:
            initial = {
                "category": plan.category,
                "name": plan.name,
                "responsible": plan.responsible_id,
                "solution_hours": plan.solution_hours,
                "steps": "\n".join(step.text for step in plan.steps.all()),
                "response_de": plan.response_de,
                "response_en": plan.response_en,
                "agent_limit": plan.agent_limit,
                "team_lead_limit": plan.team_lead_limit,
                "is_active": plan.is_active,
            }
        return cls(data, initial=initial)

    def plan_data(self) -> dict:
        """The cleaned data as :func:`services.crisis_plan_save` takes it."""
        data = dict(self.cleaned_data)
        data["steps"] = data["steps"].splitlines()
        return data


class GoodwillOptionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *GoodwillKind.choices], required=False
    )
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    amount = _money_field(_("Amount"))
    amount.required = False

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("amount") is None:
            self.add_error("amount", _("Give the amount it suggests."))
        if data.get("amount") is not None and not data.get("kind"):
            self.add_error("kind", _("Choose a kind."))
        return data


GoodwillOptionFormSet = forms.formset_factory(
    GoodwillOptionForm, extra=2, max_num=20, validate_max=True
)


def option_rows(formset) -> list[dict]:
    """The catalogue's filled rows, as the service takes them."""
    return [
        {"kind": row["kind"], "label": row["label"], "amount": row["amount"]}
        for row in (form.cleaned_data for form in formset.forms)
        if row.get("kind")
    ]


class GoodwillOfferForm(forms.Form):
    """Goodwill on a ticket; ``key`` makes a double click offer it once."""

    kind = forms.ChoiceField(label=_("Kind"), choices=GoodwillKind.choices)
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    amount = forms.CharField(label=_("Amount"), max_length=20)
    reason = forms.CharField(
        label=_("Why"),
        max_length=300,
        required=False,
        help_text=_("For whoever approves; goes on the ticket."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class GoodwillDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class KeywordRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One per line: the company's name, product names, #hashtags, "
            "@accounts. Case does not matter; whole words only."
        ),
    )
    match_products = forms.BooleanField(
        label=_("Also the shop's product names"), required=False
    )
    action = forms.ChoiceField(label=_("Then"), choices=RuleAction.choices)
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), empty_label=None
    )
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    assignee = forms.ModelChoiceField(
        label=_("Task for"),
        queryset=active_users(),
        required=False,
        empty_label=_("the queue's team lead"),
    )
    position = forms.IntegerField(
        label=pgettext_lazy("sort position", "Order"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("The first active rule that matches a post decides."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.all(), empty_label=None
    )
    slug = forms.SlugField(
        label=_("Address"),
        max_length=120,
        required=False,
        help_text=_("Part of the article's link; empty: made from the title."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Plain text; empty lines make paragraphs."),
    )
    is_published = forms.BooleanField(
        label=_("Published"), required=False, initial=True
    )


class ArticleCategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    position = forms.IntegerField(
        label=pgettext_lazy("sort position", "Order"),
        min_value=0,
        max_value=32767,
        initial=100,
    )


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    text_de = forms.CharField(
        label=_("Text in German"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Merge fields as in message templates: {{ salutation }}, "
            "{{ order.number }}, {{ ticket.number }} …"
        ),
    )
    text_en = forms.CharField(
        label=_("Text in English"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
