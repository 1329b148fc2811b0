"""Hand-written demo records: the users, custom fields and the contacts of the tour.

Jürgen Müller is the contact the guided tour searches for ("Mueler",
"Jurgen Muller"); his history covers every channel.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_ADMIN_EMAIL = "admin@kundig.demo"
DEMO_PASSWORD = "kundig-demo"  # noqa: S105 - printed on the demo's login page

# (email, first name, last name, role, team)
DEMO_USERS = [
    (DEMO_ADMIN_EMAIL, "Greta", "Admin", "admin", None),
    ("jonas.krueger@kundig.demo", "Jonas", "Krüger", "sales", "Nord"),
    ("lea.schaefer@kundig.demo", "Lea", "Schäfer", "sales", "Nord"),
    ("sophie.weiss@kundig.demo", "Sophie", "Weiß", "sales", "Süd"),
    ("maximilian.huber@kundig.demo", "Maximilian", "Huber", "sales", "Süd"),
    ("selma.oezdemir@kundig.demo", "Selma", "Özdemir", "service", "Service"),
    ("katrin.vogel@kundig.demo", "Katrin", "Vogel", "service", "Service"),
    ("bjoern.lindner@kundig.demo", "Björn", "Lindner", "marketing", "Marketing"),
    ("ute.brandt@kundig.demo", "Ute", "Brandt", "manager", "Nord"),
    ("rolf.juergens@kundig.demo", "Rolf", "Jürgens", "read_only", "Süd"),
]

# (entity, key, label, type, choices, position)
CUSTOM_FIELDS = [
    ("contact", "kundennummer", "Kundennummer", "text", [], 1),
    ("contact", "newsletter", "Newsletter-Einwilligung", "boolean", [], 2),
    ("contact", "kundenwert", "Kundenwert (€)", "number", [], 3),
    (
        "contact",
        "bevorzugter_kanal",
        "Bevorzugter Kanal",
        "choice",
        ["E-Mail", "Telefon", "Brief", "WhatsApp"],
        4,
    ),
    ("company", "rahmenvertrag", "Rahmenvertrag", "boolean", [], 1),
    ("company", "zahlungsziel", "Zahlungsziel (Tage)", "number", [], 2),
]


@dataclass(frozen=True)
class ShowcaseCompany:
    key: str
    name: str
    legal_form: str
    industry: str
    base: str  # the name without the legal form, for the web domain
    tags: tuple[str, ...]
    custom: dict
    days_ago: int


SHOWCASE_COMPANIES = [
    ShowcaseCompany(
        "mueller",
        "Müller & Schäfer Haustechnik GmbH",
        "gmbh",
        "Handwerk",
        "Müller Schäfer Haustechnik",
        ("B2B", "Messe 2026"),
        {"rahmenvertrag": True, "zahlungsziel": "30"},
        760,
    ),
    ShowcaseCompany(
        "feinkost",
        "Weiß & Söhne Feinkost KG",
        "kg",
        "Lebensmittelhandel",
        "Weiß Söhne Feinkost",
        ("B2B",),
        {"rahmenvertrag": False, "zahlungsziel": "14"},
        540,
    ),
]


@dataclass(frozen=True)
class ShowcasePerson:
    key: str
    salutation: str
    title: str
    first_name: str
    last_name: str
    owner: str  # email of the owning demo user
    stage_path: tuple[str, ...]
    emails: tuple[tuple[str, str], ...]
    phones: tuple[tuple[str, str], ...]
    addresses: tuple[tuple[str, str, str, str, str, str], ...]
    company: str | None
    role: str
    tags: tuple[str, ...]
    custom: dict
    birthday: str | None
    days_ago: int
    source: str


SHOWCASE_PEOPLE = [
    ShowcasePerson(
        key="juergen",
        salutation="herr",
        title="",
        first_name="Jürgen",
        last_name="Müller",
        owner="jonas.krueger@kundig.demo",
        stage_path=("lead", "customer", "regular_customer"),
        emails=(
            ("juergen.mueller@example.de", "private"),
            ("j.mueller@mueller-schaefer-haustechnik.example", "work"),
        ),
        phones=(("+4915112345678", "mobile"), ("+493514567890", "work")),
        addresses=(
            ("billing", "", "Bahnhofstraße 12", "", "01067", "Dresden"),
            (
                "shipping",
                "Müller & Schäfer Haustechnik GmbH",
                "Industriestraße 4",
                "Lager, Tor 2",
                "01445",
                "Radebeul",
            ),
        ),
        company="mueller",
        role="Geschäftsführer",
        tags=("VIP", "Stammkunde", "B2B", "Messe 2026"),
        custom={
            "kundennummer": "K-10001",
            "newsletter": True,
            "kundenwert": "12480.5",
            "bevorzugter_kanal": "Telefon",
        },
        birthday="1968-04-12",
        days_ago=720,
        source="trade_fair",
    ),
    ShowcasePerson(
        key="anna",
        salutation="frau",
        title="",
        first_name="Anna",
        last_name="Schäfer",
        owner="lea.schaefer@kundig.demo",
        stage_path=("customer", "regular_customer", "at_risk"),
        emails=(("anna.schaefer@example.com", "private"),),
        phones=(("+4917612345678", "mobile"),),
        addresses=(("billing", "", "Elbchaussee 210", "", "22765", "Hamburg"),),
        company=None,
        role="",
        tags=("Stammkunde", "Reklamation", "Newsletter"),
        custom={
            "kundennummer": "K-10002",
            "newsletter": True,
            "kundenwert": "2315.8",
            "bevorzugter_kanal": "E-Mail",
        },
        birthday="1984-09-30",
        days_ago=650,
        source="web_shop",
    ),
    ShowcasePerson(
        key="katharina",
        salutation="frau",
        title="Dr.",
        first_name="Katharina",
        last_name="Weiß",
        owner="sophie.weiss@kundig.demo",
        stage_path=("lead", "sales_qualified", "opportunity"),
        emails=(("k.weiss@weiss-soehne-feinkost.example", "work"),),
        phones=(("+498921234567", "work"), ("+4916098765432", "mobile")),
        addresses=(("billing", "", "Leopoldstraße 88", "3. OG", "80797", "München"),),
        company="feinkost",
        role="Einkaufsleiterin",
        tags=("B2B",),
        custom={"bevorzugter_kanal": "E-Mail", "newsletter": False},
        birthday=None,
        days_ago=200,
        source="referral",
    ),
    ShowcasePerson(
        key="oezlem",
        salutation="frau",
        title="",
        first_name="Özlem",
        last_name="Yilmaz",
        owner="maximilian.huber@kundig.demo",
        stage_path=("subscriber", "lead"),
        emails=(("oezlem.yilmaz@example.net", "private"),),
        phones=(("+4915223456789", "mobile"),),
        addresses=(("billing", "", "Königstraße 5", "", "70173", "Stuttgart"),),
        company=None,
        role="",
        tags=("Newsletter",),
        custom={"newsletter": True, "bevorzugter_kanal": "WhatsApp"},
        birthday="1995-02-17",
        days_ago=21,
        source="newsletter",
    ),
]

# Jürgen Müller's history: (days ago, hour, kind, channel, direction, actor email
# or None, summary, body, minutes, source_type)
JUERGEN_TIMELINE = [
    (
        715, 10, "meeting", "in_person", "out", "jonas.krueger@kundig.demo",
        "Erstes Gespräch auf der Ambiente Frankfurt",
        "<p>Herr Müller sucht einen Lieferanten für Kaffeevollautomaten für seine "
        "Kunden. Interesse an Staffelpreisen ab 10 Geräten.</p>",
        45, "",
    ),
    (
        700, 14, "email", "email", "out", "jonas.krueger@kundig.demo",
        "Angebot Kaffeevollautomaten Barista 7",
        "<p>Guten Tag Herr Müller,</p><p>wie auf der Messe besprochen sende ich "
        "Ihnen unser Angebot über 10 Geräte Barista 7 zu je 1.249,00 € netto.</p>"
        "<p>Viele Grüße<br>Jonas Krüger</p>",
        None, "",
    ),
    (
        690, 9, "order", "shop", "in", None,
        "Bestellung 4711023 über 12.490,00 €",
        "<p>10 Stück Kaffeevollautomat Barista 7</p><p>Zahlung: Rechnung, 30 Tage.</p>",
        None, "shop.order",
    ),
    (
        684, 8, "shipment", "shop", "out", None,
        "Bestellung 4711023 versandt mit DHL",
        "<p>Sendungsnummer 00340434161234567890, Zustellung in 2 Werktagen.</p>",
        None, "shop.shipment",
    ),
    (
        679, 11, "note", "internal", "internal", "jonas.krueger@kundig.demo",
        "Anruf: Lieferung verzögert sich",
        "<p>Herr Müller hat angerufen: Die Lieferung ist noch nicht da, seine "
        "Kunden warten. DHL meldet eine Verzögerung im Verteilzentrum Leipzig. "
        "Rückruf für morgen früh zugesagt, 5 % Nachlass auf die nächste "
        "Bestellung angeboten.</p>",
        None, "",
    ),
    (
        678, 8, "call", "phone", "out", "jonas.krueger@kundig.demo",
        "Rückruf: Lieferung heute zugestellt",
        "<p>Paket heute um 8:12 Uhr zugestellt. Herr Müller ist zufrieden.</p>",
        6, "",
    ),
    (
        660, 18, "survey", "email", "in", None,
        "Zufriedenheitsumfrage: 5 von 5 Sternen",
        "<p>Kommentar: Trotz Verzögerung toller Service, danke für den Rückruf!</p>",
        None, "",
    ),
    (
        420, 10, "meeting", "in_person", "out", "jonas.krueger@kundig.demo",
        "Jahresgespräch in Dresden",
        "<p>Ziele für das kommende Jahr:</p><ul><li>Rahmenvertrag über 40 Geräte"
        "</li><li>Schulung für seine Monteure</li><li>Lieferung direkt ins Lager "
        "Radebeul</li></ul>",
        90, "",
    ),
    (
        300, 16, "letter", "letter", "out", "jonas.krueger@kundig.demo",
        "Brief: Rahmenvertrag zur Unterschrift",
        "<p>Rahmenvertrag in zweifacher Ausfertigung per Post verschickt.</p>",
        None, "",
    ),
    (
        120, 20, "social", "social", "in", None,
        "Instagram: Herr Müller zeigt die neue Kaffeeecke",
        "<p>Beitrag von @mueller_haustechnik: „Endlich richtiger Kaffee für unsere "
        "Kunden, danke an das Team!“</p>",
        None, "",
    ),
    (
        45, 9, "chat", "chat", "in", None,
        "Chat: Frage zum Lieferstatus der Ersatzteile",
        "<p>Wann kommen die bestellten Brühgruppen? Wir haben einen Kunden, der "
        "wartet.</p>",
        None, "",
    ),
    (
        40, 13, "email", "email", "in", None,
        "Frage zur Rücksendung",
        "<p>Guten Tag, eines der Geräte aus der letzten Lieferung hat einen "
        "Transportschaden. Wie können wir es zurückschicken?</p>"
        "<p>Mit freundlichen Grüßen<br>Jürgen Müller</p>",
        None, "",
    ),
    (
        39, 10, "email", "email", "out", "selma.oezdemir@kundig.demo",
        "Re: Frage zur Rücksendung",
        "<p>Guten Tag Herr Müller,</p><p>das tut uns leid. Das Rücksendeetikett "
        "finden Sie im Anhang; ein Ersatzgerät geht heute noch raus.</p>"
        "<p>Viele Grüße<br>Selma Özdemir</p>",
        None, "",
    ),
    (
        33, 15, "return", "shop", "in", None,
        "Retoure zu Bestellung 4712388",
        "<p>Kaffeevollautomat Barista 7 mit Transportschaden zurückgesendet. "
        "Ersatz verschickt.</p>",
        None, "shop.return",
    ),
    (
        12, 10, "order", "shop", "in", None,
        "Bestellung 4713540 über 2.980,00 €",
        "<p>20 Stück Entkalker, 8 Stück Brühgruppe (Ersatzteil)</p>",
        None, "shop.order",
    ),
    (
        4, 11, "call", "phone", "out", "jonas.krueger@kundig.demo",
        "Nachfass-Anruf zum Rahmenvertrag",
        "<p>Herr Müller prüft die Verlängerung des Rahmenvertrags und meldet sich "
        "bis Freitag.</p>",
        14, "",
    ),
    (
        1, 9, "note", "internal", "internal", "jonas.krueger@kundig.demo",
        "VIP: Anrufe am liebsten vormittags",
        "<p>Herr Müller ist vormittags am besten erreichbar, nachmittags auf "
        "Baustellen.</p>",
        None, "",
    ),
]  # fmt: skip

# Tasks of the tour: (days from now, title, description, done, remind days before)
JUERGEN_TASKS = [
    (-2, "Rückruf wegen Lieferverzug", "Status der Ersatzteile mitteilen.", False, 0),
    (0, "Angebot Rahmenvertrag nachfassen", "Verlängerung um zwei Jahre.", False, 0),
    (5, "Jahresgespräch vorbereiten", "Umsätze und Ziele zusammenstellen.", False, 1),
    (-36, "Reklamation prüfen", "Fotos vom Transportschaden sichten.", True, 0),
]
