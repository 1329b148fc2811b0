"""User-written message templates: checked when saved, rendered in a sandbox.

Templates are Jinja2, run in an :class:`ImmutableSandboxedEnvironment`. The
merge data they see is built here as plain dicts, lists and strings, never
model instances, so nothing in a template can reach the ORM or Python
internals. HTML output is autoescaped: a merge value is text, never markup,
and is never evaluated a second time. The rendered HTML has its CSS inlined
for mail clients (css-inline) and is then sanitised (nh3); the plain-text
part is written by the user or made from the HTML (html2text).

:func:`check` is what saving a template calls: syntax errors, unknown merge
fields and anything reaching outside the sandbox are refused with the line.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

import css_inline
import html2text
import nh3
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kundig.core.text import one_line

# --- The merge fields a template may use --------------------------------------------

# root -> field -> what it holds (shown in the editor's help panel).
MERGE_FIELDS: dict[str, dict[str, str]] = {
    "contact": {
        "first_name": gettext_lazy("First name"),
        "last_name": gettext_lazy("Last name"),
        "full_name": gettext_lazy("First and last name"),
        "title": gettext_lazy("Academic title"),
        "salutation": gettext_lazy("Herr, Frau, divers or empty"),
        "email": gettext_lazy("Primary email address"),
        "language": gettext_lazy("Language code (de, en)"),
        "informal": gettext_lazy("True for the informal du"),
        "birthday": gettext_lazy("Birthday, formatted"),
        "city": gettext_lazy("City of the main address"),
        "country": gettext_lazy("Country code of the main address"),
        "stage": gettext_lazy("Lifecycle stage"),
        "owner_name": gettext_lazy("Name of the contact's owner"),
        "owner_email": gettext_lazy("Email of the contact's owner"),
    },
    "company": {
        "name": gettext_lazy("Company name"),
        "email": gettext_lazy("Company email"),
    },
    "order": {
        "number": gettext_lazy("Order number"),
        "placed_at": gettext_lazy("Order date, formatted"),
        "status": gettext_lazy("Order status"),
        "subtotal": gettext_lazy("Subtotal with currency"),
        "discount_total": gettext_lazy("Discounts with currency"),
        "shipping_total": gettext_lazy("Shipping with currency"),
        "tax_total": gettext_lazy("Tax with currency"),
        "total": gettext_lazy("Total with currency"),
        "currency": gettext_lazy("Currency code"),
        "coupon_codes": gettext_lazy("Coupon codes, comma-separated"),
        "lines": gettext_lazy(
            "The order lines, for a loop: {% for line in order.lines %}"
        ),
    },
    "line": {
        "name": gettext_lazy("Product name"),
        "sku": gettext_lazy("SKU"),
        "quantity": gettext_lazy("Quantity"),
        "unit_price": gettext_lazy("Unit price with currency"),
        "total": gettext_lazy("Line total with currency"),
        "unavailable": gettext_lazy("True if the item was not available"),
    },
    "shipment": {
        "carrier": gettext_lazy("Carrier"),
        "tracking_number": gettext_lazy("Tracking number"),
        "tracking_url": gettext_lazy("Tracking link"),
        "sent_at": gettext_lazy("Sent, formatted"),
        "promised_for": gettext_lazy("Promised delivery date, formatted"),
        "delivered_at": gettext_lazy("Delivered, formatted"),
    },
    "revocation": {
        "received_on": gettext_lazy("Revocation received, formatted"),
        "refund_due_on": gettext_lazy("Refund due by, formatted"),
    },
    "ret": {
        "rma_number": gettext_lazy("Return number (RMA)"),
        "received_at": gettext_lazy("Return received, formatted"),
    },
    "refund": {
        "amount": gettext_lazy("Refunded amount with currency"),
        "refunded_at": gettext_lazy("Refunded, formatted"),
    },
    "ticket": {
        "number": gettext_lazy("Ticket number, e.g. #42"),
        "subject": gettext_lazy("Ticket subject"),
    },
    "survey": {
        "url": gettext_lazy("Link to the survey page (survey messages)"),
        "scores": gettext_lazy(
            "One link per answer, for a loop: {% for score in survey.scores %}"
        ),
    },
    "score": {
        "value": gettext_lazy("The answer: 1 to 5, or 0 to 10"),
        "url": gettext_lazy("Link that opens the survey with this answer chosen"),
    },
    "portal": {
        "url": gettext_lazy("The customer's one-time sign-in link to the portal"),
        "minutes": gettext_lazy("How many minutes the sign-in link is valid"),
    },
    "offer": {
        "text": gettext_lazy("The goodwill offer a manager set for this playbook"),
        "code": gettext_lazy("Its coupon code, if any"),
    },
    "recommendation": {
        "name": gettext_lazy("Product name"),
        "price": gettext_lazy("Price with currency"),
        "url": gettext_lazy("Link to the product"),
    },
    "sender": {
        "name": gettext_lazy("Sender name of the mailbox"),
        "email": gettext_lazy("Address of the mailbox"),
    },
}
# Plain values at the top level.
TOP_LEVEL: dict[str, str] = {
    "salutation": gettext_lazy(
        'The greeting: "Sehr geehrte Frau Dr. Weber", "Hallo Anna", "Dear Mr Schulz"'
    ),
    "unsubscribe_url": gettext_lazy("Unsubscribe link (marketing messages)"),
    "confirm_url": gettext_lazy("Confirmation link (double opt-in mail)"),
    "consent_purpose": gettext_lazy(
        'What the confirmation is for, e.g. "Newsletter" (double opt-in mail)'
    ),
    "recommendations": gettext_lazy(
        "Recommended products, for a loop: {% for recommendation in recommendations %}"
    ),
    "today": gettext_lazy("Today's date, formatted"),
}
# What a loop over a list yields: (root, field) or a top-level name -> root.
LOOP_ITEMS = {
    ("order", "lines"): "line",
    ("survey", "scores"): "score",
    "recommendations": "recommendation",
}
# Roots only reachable through a loop.
LOOP_ONLY = {"line", "recommendation", "score"}

# --- Rendering ----------------------------------------------------------------------

_html_env = ImmutableSandboxedEnvironment(
    autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_text_env = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

# What survives in mail HTML: layout tables, inline styles, images by URL.
MAIL_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "center", "code", "div", "em", "font",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
MAIL_ATTRIBUTES = {
    "*": {"style", "class", "align", "valign", "width", "height", "bgcolor", "dir"},
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing", "role"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color", "face", "size"},
}
MAIL_SCHEMES = {"http", "https", "mailto", "tel"}

# The ready-made templates' look: plain, readable, a button for links.
MAIL_STYLE = (
    "<style>body{font-family:Arial,Helvetica,sans-serif;color:#1f2937;"
    "line-height:1.5}table.lines{border-collapse:collapse;width:100%}"
    "table.lines td{padding:4px 8px;border-bottom:1px solid #e5e7eb}"
    "td.amount{text-align:right;white-space:nowrap}.muted{color:#6b7280}"
    "a.button{background:#206bc4;color:#ffffff;padding:8px 14px;"
    "border-radius:4px;text-decoration:none}</style>\n"
)

DOCUMENT = (
    '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head>\n<body>\n{body}\n</body></html>\n"
)


class RenderError(Exception):
    """A template could not be rendered for this recipient; nothing was sent."""

    def __init__(self, message: str, *, part: str = "", line: int | None = None):
        self.part = part  # subject, html or text
        self.line = line
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        if not self.part:
            return self.message
        label = _part_label(self.part)
        if self.line:
            return _("%(part)s, line %(line)d: %(message)s") % {
                "part": label,
                "line": self.line,
                "message": self.message,
            }
        return f"{label}: {self.message}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def _part_label(part: str) -> str:
    return {"subject": _("Subject"), "html": _("HTML"), "text": _("Plain text")}[part]


@functools.lru_cache(maxsize=512)
def _compiled(env, source: str):
    """A template compiled once: a send step renders it for every recipient."""
    return env.from_string(source)


def _render(env, source: str, context: dict, field: str) -> str:
    try:
        return _compiled(env, source).render(context)
    except TemplateSyntaxError as exc:
        raise RenderError(exc.message or str(exc), part=field, line=exc.lineno) from exc
    except UndefinedError as exc:
        raise RenderError(
            _("A merge value is missing: %(error)s") % {"error": exc.message},
            part=field,
        ) from exc
    except SecurityError as exc:
        raise RenderError(
            _("Not allowed in a template: %(error)s") % {"error": exc},
            part=field,
        ) from exc
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise RenderError(str(exc), part=field) from exc


def mail_html(body: str, *, language: str, title: str) -> str:
    """Inline the CSS, sanitise, and wrap ``body`` in a mail-ready document."""
    try:
        inlined = _inliner.inline(body)
    except ValueError as exc:  # malformed CSS
        raise RenderError(str(exc), part="html") from exc
    clean = nh3.clean(
        inlined,
        tags=MAIL_TAGS,
        attributes=MAIL_ATTRIBUTES,
        url_schemes=MAIL_SCHEMES,
        strip_comments=True,
        link_rel=None,
    ).strip()
    return DOCUMENT.format(lang=language, title=escape(title), body=clean)


_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((\S+?)\)")


def html_to_text(html: str) -> str:
    """The plain-text part made from HTML: readable lines, links spelled out."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    text = _spaced_cells(converter.handle(_CELL_END.sub(_mark_cell, html)))

    def link(match: re.Match) -> str:
        label, url = match.group(1).strip(), match.group(2)
        if not label or label == url or url.startswith("mailto:"):
            return label or url
        return f"{label} ({url})"

    return _tidy(_MD_LINK.sub(link, text))


# Table cells (an order's lines) would run together in the text part, quantity,
# name and price as one word: each cell's end is marked, and the marks become
# two spaces between cells.
_CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
_CELL = "\ue000"  # a private-use character, in no real text


def _mark_cell(match: re.Match) -> str:
    return match.group(0) + _CELL


def _spaced_cells(text: str) -> str:
    if _CELL not in text:
        return text
    lines = []
    for line in text.split("\n"):
        if _CELL in line:
            line = "  ".join(part.strip() for part in line.split(_CELL) if part.strip())
        lines.append(line)
    return "\n".join(lines)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


@functools.lru_cache(maxsize=256)
def text_template_from_html(html: str) -> str | None:
    """The plain-text template that the HTML template ``html`` makes, or None.

    Converting each rendered mail with html2text costs more than the rest of
    rendering together; the conversion is done once per template instead:
    Jinja's tags are swapped for plain tokens, the template is converted like
    a mail, and the tags are put back. Where a tag sits inside markup (say
    ``<a {% if x %}href=…{% endif %}>``) its token does not come through
    exactly once, or a block tag moves, and the caller converts each mail as
    before. (A link's label and address swap places in the text: "label
    (address)"; expressions may, block tags may not.)
    """
    tags = _JINJA_TAG.findall(html)
    if not tags:
        return None
    nonce = uuid.uuid4().hex[:8]
    tokens = [f"KJ{nonce}T{n}X" for n in range(len(tags))]
    counter = iter(tokens)
    tokenized = _JINJA_TAG.sub(lambda _m: next(counter), html)
    try:
        converted = html_to_text(mail_html(tokenized, language="de", title=""))
    except RenderError:
        return None
    found = re.findall(rf"KJ{nonce}T\d+X", converted)
    blocks = [t for t, tag in zip(tokens, tags, strict=True) if tag[1] != "{"]
    if sorted(found) != sorted(tokens) or [t for t in found if t in blocks] != blocks:
        return None  # a tag was lost, doubled, or a block moved
    if _JINJA_TAG.search(converted):
        return None  # braces the HTML spelled as entities are text, not Jinja
    by_token = dict(zip(tokens, tags, strict=True))
    return re.sub(rf"KJ{nonce}T\d+X", lambda m: by_token[m.group(0)], converted)


def render(
    *, subject: str, html: str, text: str, context: dict, language: str
) -> Rendered:
    """Render one message; raise :class:`RenderError` naming the part and line."""
    rendered_subject = one_line(_render(_text_env, subject, context, "subject"))
    if not rendered_subject:
        raise RenderError(_("The subject is empty."), part="subject")
    body = _render(_html_env, html, context, "html")
    document = mail_html(body, language=language, title=rendered_subject)
    derived = None if text.strip() else text_template_from_html(html)
    if text.strip():
        plain = _render(_text_env, text, context, "text").strip() + "\n"
    elif derived is not None:
        plain = _tidy(_render(_text_env, derived, context, "text"))
    else:
        plain = html_to_text(document)
    return Rendered(subject=rendered_subject[:300], html=document, text=plain)


def render_text(source: str, context: dict) -> str:
    """Render a plain-text template (a saved reply); raise :class:`RenderError`."""
    return _render(_text_env, source, context, "text").strip()


# --- Checking a template when it is saved ------------------------------------------


@dataclass(frozen=True)
class Problem:
    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)d: %(message)s") % {
                "line": self.line,
                "message": self.message,
            }
        return self.message


def _problems_in(source: str, field: str) -> list[Problem]:
    env = _html_env if field == "html" else _text_env
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [Problem(field, exc.lineno, exc.message or str(exc))]
    problems: list[Problem] = []
    known_roots = set(MERGE_FIELDS) - LOOP_ONLY | set(TOP_LEVEL)
    # Names a loop or {% set %} makes: name -> root of its fields (None: any).
    local: dict[str, str | None] = {}
    for loop in tree.find_all(nodes.For):
        item = _loop_item(loop.iter)
        for target in _names(loop.target):
            local[target] = item
        local["loop"] = None
    for assign in tree.find_all((nodes.Assign, nodes.AssignBlock)):
        for target in _names(assign.target):
            local[target] = None
    for macro in tree.find_all(nodes.Macro):
        local[macro.name] = None
        for arg in macro.args:
            local[arg.name] = None

    for node in tree.find_all(
        (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
    ):
        problems.append(
            Problem(
                field,
                node.lineno,
                _("Templates cannot include or import other templates."),
            )
        )
    reported: set[tuple[str, int]] = set()
    for node in tree.find_all(nodes.Name):
        if node.ctx != "load" or node.name in known_roots or node.name in local:
            continue
        if (node.name, node.lineno) not in reported:
            reported.add((node.name, node.lineno))
            problems.append(
                Problem(
                    field,
                    node.lineno,
                    _("Unknown merge field “%(name)s”.") % {"name": node.name},
                )
            )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = _attr_name(node)
        if attr is None:
            continue
        if attr.startswith("_"):
            problems.append(
                Problem(
                    field,
                    node.lineno,
                    _("“%(name)s” is outside what templates may use.") % {"name": attr},
                )
            )
            continue
        if not isinstance(node.node, nodes.Name):
            continue
        name = node.node.name
        root = name if name in MERGE_FIELDS and name not in local else local.get(name)
        if root is None or root not in MERGE_FIELDS:
            continue
        if attr not in MERGE_FIELDS[root]:
            problems.append(
                Problem(
                    field,
                    node.lineno,
                    _("Unknown merge field “%(name)s.%(attr)s”.")
                    % {"name": name, "attr": attr},
                )
            )
    return sorted(problems, key=lambda p: (p.line or 0, p.message))


def _names(target: nodes.Node) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    if isinstance(target, nodes.Tuple):
        return [n.name for n in target.items if isinstance(n, nodes.Name)]
    return []


def _attr_name(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _loop_item(iterable: nodes.Node) -> str | None:
    if isinstance(iterable, nodes.Name):
        return LOOP_ITEMS.get(iterable.name)
    if isinstance(iterable, nodes.Getattr) and isinstance(iterable.node, nodes.Name):
        return LOOP_ITEMS.get((iterable.node.name, iterable.attr))
    return None


def check(*, subject: str, html: str, text: str, language: str) -> dict[str, list[str]]:
    """Return the problems of one template text by field; empty if it is fine.

    Beyond the static check, the template is rendered once with sample data,
    so a filter used wrongly is found now and not when a customer is due.
    """
    errors: dict[str, list[str]] = {}
    for field, source in (("subject", subject), ("html", html), ("text", text)):
        if field == "subject" and not one_line(source):
            errors[field] = [_("Write a subject.")]
            continue
        if field == "html" and not source.strip():
            errors[field] = [_("Write the message.")]
            continue
        problems = _problems_in(source, field)
        if problems:
            errors[field] = [str(p) for p in problems]
    if errors:
        return errors
    try:
        render(
            subject=subject,
            html=html,
            text=text,
            context=sample_context(language),
            language=language,
        )
    except RenderError as exc:
        part = exc.part or "html"
        errors[part] = [str(Problem(part, exc.line, exc.message))]
    return errors


def check_text(source: str, *, language: str) -> list[str]:
    """Return the problems of a plain-text template (a saved reply), by line."""
    problems = _problems_in(source, "text")
    if problems:
        return [str(problem) for problem in problems]
    try:
        render_text(source, sample_context(language))
    except RenderError as exc:
        return [str(Problem("text", exc.line, exc.message))]
    return []


# --- Formatting merge values --------------------------------------------------------


def money(amount, currency: str, language: str) -> str:
    if amount is None:
        return ""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    with translation.override(language):
        number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    symbol = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}.get(currency, currency)
    if language == "en" and symbol in ("€", "$", "£"):
        return f"{symbol}{number}"
    return f"{number} {symbol}"


def date(value, language: str) -> str:
    if not value:
        return ""
    if hasattr(value, "astimezone"):
        value = timezone.localtime(value).date()
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def quantity(value) -> str:
    value = Decimal(value)
    return str(
        value.quantize(Decimal(1))
        if value == value.to_integral()
        else value.normalize()
    )


def sample_context(language: str) -> dict:
    """Merge data of a made-up customer, for checking and previewing templates."""
    german = language == "de"

    def m(amount: str) -> str:
        return money(amount, "EUR", language)

    def d(year: int, month: int, day: int) -> str:
        return date(dt.date(year, month, day), language)

    tracking = "00340434161094042557"
    return {
        "salutation": "Sehr geehrte Frau Dr. Weber" if german else "Dear Dr Weber",
        "contact": {
            "first_name": "Anna", "last_name": "Weber", "full_name": "Anna Weber",
            "title": "Dr.", "salutation": "frau", "email": "anna.weber@example.com",
            "language": language, "informal": False, "birthday": d(1985, 4, 12),
            "city": "Hamburg", "country": "DE", "stage": "customer",
            "owner_name": "Jana Nord", "owner_email": "jana@example.com",
        },
        "company": {"name": "Weber Wohnen GmbH", "email": "info@example.com"},
        "order": {
            "number": "10042", "placed_at": d(2026, 11, 2), "status": "placed",
            "subtotal": m("84.90"), "discount_total": m("0"),
            "shipping_total": m("4.90"), "tax_total": m("14.34"),
            "total": m("89.80"), "currency": "EUR", "coupon_codes": "",
            "lines": [
                {"name": "Stehlampe Lina", "sku": "LAMP-1", "quantity": "1",
                 "unit_price": m("59.90"), "total": m("59.90"), "unavailable": False},
                {"name": "Leuchtmittel E27", "sku": "BULB-27", "quantity": "2",
                 "unit_price": m("12.50"), "total": m("25.00"), "unavailable": False},
            ],
        },
        "shipment": {
            "carrier": "DHL", "tracking_number": tracking,
            "tracking_url": f"https://www.dhl.de/verfolgen?piececode={tracking}",
            "sent_at": d(2026, 11, 3), "promised_for": d(2026, 11, 5),
            "delivered_at": "",
        },
        "revocation": {
            "received_on": d(2026, 11, 10), "refund_due_on": d(2026, 11, 24),
        },
        "ret": {"rma_number": "R-2026-118", "received_at": d(2026, 11, 12)},
        "survey": {
            "url": "https://crm.example.com/survey/sample-token/",
            "scores": [
                {"value": n, "url": f"https://crm.example.com/survey/sample-token/?score={n}"}
                for n in range(1, 6)
            ],
        },
        "portal": {
            "url": "https://crm.example.com/portal/in/sample-token/",
            "minutes": "30",
        },
        "ticket": {
            "number": "#42",
            "subject": "Wo bleibt mein Paket?" if german else "Where is my parcel?",
        },
        "refund": {"amount": m("59.90"), "refunded_at": d(2026, 11, 14)},
        "offer": {
            "text": "10 % auf Ihre nächste Bestellung"
            if german else "10% off your next order",
            "code": "SORRY10",
        },
        "recommendations": [
            {"name": "Tischleuchte Ole", "price": m("39.90"),
             "url": "https://shop.example.com/ole"},
        ],
        "sender": {"name": "Kundig Service", "email": "service@example.com"},
        "unsubscribe_url": "https://crm.example.com/u/sample-token/",
        "confirm_url": "https://crm.example.com/privacy/confirm/sample-token/",
        "consent_purpose": "Newsletter",
        "today": d(2026, 11, 22),
    }  # fmt: skip
