"""German texts for generated timeline entries and tasks.

A template is a summary (plain text) and a body (sanitised HTML, ``<p>`` and a
few lists) with ``{slots}`` the generator fills: ``name`` ("Frau Schäfer"),
``order``, ``amount``, ``product``, ``carrier``, ``tracking``, ``ticket``,
``fair``, ``campaign``, ``days``, ``weekday``, ``score``, ``nps``, ``city``,
``company``. Values go into bodies HTML-escaped. Templates marked ``b2b``
need a company.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    summary: str
    body: str
    direction: str | None = None  # None: drawn from the kind's usual directions
    b2b: bool = False


T = Template

TIMELINE_TEMPLATES: dict[str, list[Template]] = {
    "note": [
        T(
            "Rückruf wegen verspäteter Lieferung",
            "<p>{name} hat angerufen: Die Bestellung {order} ist noch nicht "
            "angekommen. Sendungsverfolgung geprüft, Paket liegt im Verteilzentrum. "
            "Rückmeldung bis {weekday} zugesagt.</p>",
        ),
        T(
            "Kundin wünscht Kontakt nur per E-Mail",
            "<p>{name} möchte künftig nicht mehr angerufen werden, E-Mail ist ok. "
            "Bitte im Team beachten.</p>",
        ),
        T(
            "Interesse an Treueprogramm",
            "<p>Im Laden nach dem Treueprogramm gefragt. Flyer mitgegeben, "
            "Anmeldung online geplant.</p>",
        ),
        T(
            "Zahlungsziel verlängert",
            "<p>Nach Rücksprache mit der Buchhaltung Zahlungsziel für Rechnung "
            "{order} auf 30 Tage verlängert.</p>",
            b2b=True,
        ),
        T(
            "Geburtstagsgutschein versendet",
            "<p>Gutschein über {amount} zum Geburtstag verschickt.</p>",
        ),
        T(
            "Notiz zum Kundengespräch",
            "<p>{name} plant für das Frühjahr eine größere Bestellung. "
            "Wichtig: schnelle Lieferung, Rechnung auf {company}.</p>",
            b2b=True,
        ),
        T(
            "Adressänderung mitgeteilt",
            "<p>{name} ist nach {city} umgezogen. Neue Anschrift eingetragen.</p>",
        ),
        T(
            "Beschwerde über Wartezeit in der Filiale",
            "<p>{name} musste an der Kasse lange warten und war verärgert. "
            "Entschuldigt und {amount} Gutschrift angeboten.</p>",
        ),
    ],
    "email": [
        T(
            "Frage zur Rücksendung",
            "<p>Guten Tag, ich möchte den Artikel {product} aus Bestellung {order} "
            "zurückschicken. Wie gehe ich vor?</p><p>Viele Grüße<br>{name}</p>",
            direction="in",
        ),
        T(
            "Re: Frage zur Rücksendung",
            "<p>Guten Tag {name},</p><p>vielen Dank für Ihre Nachricht. Das "
            "Rücksendeetikett finden Sie im Anhang. Die Erstattung erfolgt "
            "innerhalb von {days} Werktagen nach Eingang.</p>",
            direction="out",
        ),
        T(
            "Angebot für {product}",
            "<p>Guten Tag {name},</p><p>wie besprochen sende ich Ihnen unser "
            "Angebot über {amount} (zzgl. MwSt.). Es gilt 30 Tage.</p>",
            direction="out",
            b2b=True,
        ),
        T(
            "Lieferzeit für {product}?",
            "<p>Hallo, wann ist {product} wieder lieferbar? Ich würde gern zwei "
            "Stück bestellen.</p><p>Gruß {name}</p>",
            direction="in",
        ),
        T(
            "Rechnung {order}",
            "<p>Guten Tag {name},</p><p>anbei erhalten Sie die Rechnung zu Ihrer "
            "Bestellung {order} über {amount}.</p>",
            direction="out",
        ),
        T(
            "Terminbestätigung",
            "<p>Guten Tag {name},</p><p>hiermit bestätigen wir Ihren Termin am "
            "{weekday} um 10:30 Uhr in unserer Filiale {city}.</p>",
            direction="out",
        ),
        T(
            "Bitte um Rückruf",
            "<p>Bitte rufen Sie mich zurück, es geht um die Bestellung {order}. "
            "Ich bin ab 14 Uhr erreichbar.</p><p>{name}</p>",
            direction="in",
        ),
        T(
            "Anfrage Rahmenvertrag",
            "<p>Sehr geehrte Damen und Herren,</p><p>wir möchten für {company} "
            "einen Rahmenvertrag über regelmäßige Lieferungen abschließen. "
            "Bitte senden Sie uns Konditionen.</p>",
            direction="in",
            b2b=True,
        ),
        T(
            "Danke für die schnelle Lieferung",
            "<p>Alles gut angekommen, vielen Dank für den tollen Service!</p>"
            "<p>{name}</p>",
            direction="in",
        ),
    ],
    "call": [
        T(
            "Anruf wegen verspäteter Lieferung",
            "<p>{name} fragt nach dem Verbleib von Bestellung {order}. Paket laut "
            "{carrier} unterwegs, Zustellung voraussichtlich {weekday}.</p>",
            direction="in",
        ),
        T(
            "Nachfass-Anruf zum Angebot",
            "<p>Angebot über {amount} besprochen. {name} entscheidet nach "
            "Rücksprache mit dem Einkauf, erneuter Anruf in {days} Tagen.</p>",
            direction="out",
            b2b=True,
        ),
        T(
            "Beratung zu {product}",
            "<p>Ausführliche Beratung zu {product}. Größe und Farbe geklärt, "
            "Bestellung folgt online.</p>",
            direction="in",
        ),
        T(
            "Reklamation telefonisch aufgenommen",
            "<p>{product} ist defekt angekommen. Ersatz zugesagt, Abholung durch "
            "{carrier} veranlasst.</p>",
            direction="in",
        ),
        T(
            "Nicht erreicht, Nachricht hinterlassen",
            "<p>Mailbox, Bitte um Rückruf hinterlassen.</p>",
            direction="out",
        ),
        T(
            "Zufriedenheitsanruf nach Kauf",
            "<p>{name} ist mit {product} sehr zufrieden und empfiehlt uns weiter.</p>",
            direction="out",
        ),
    ],
    "meeting": [
        T(
            "Gespräch auf der {fair}",
            "<p>Am Messestand getroffen. Interesse an der neuen Kollektion, "
            "Musterpaket an {company} zugesagt.</p>",
            b2b=True,
        ),
        T(
            "Jahresgespräch bei {company}",
            "<p>Umsatz des Vorjahres besprochen, Ziele für das kommende Jahr:</p>"
            "<ul><li>Sortiment erweitern</li><li>Lieferrhythmus 14-tägig</li>"
            "<li>Rahmenvertrag verlängern</li></ul>",
            b2b=True,
        ),
        T(
            "Beratungstermin in der Filiale {city}",
            "<p>Persönliche Beratung mit {name}, Auswahl eingegrenzt, "
            "Entscheidung bis {weekday}.</p>",
        ),
        T(
            "Videocall: Produktvorstellung",
            "<p>Neue Produktlinie vorgestellt, {name} wünscht ein schriftliches "
            "Angebot.</p>",
        ),
        T(
            "Vor-Ort-Termin zur Reklamation",
            "<p>Schaden an {product} begutachtet und fotografiert. Kulanzlösung "
            "über {amount} vereinbart.</p>",
        ),
    ],
    "chat": [
        T(
            "Chat: Frage zum Lieferstatus",
            "<p>Wo bleibt meine Bestellung {order}? Sie sollte gestern kommen.</p>",
            direction="in",
        ),
        T(
            "Chat: Größenberatung",
            "<p>Fällt {product} eher klein oder groß aus?</p>",
            direction="in",
        ),
        T(
            "Chat: Antwort zum Lieferstatus",
            "<p>Ihr Paket ist bei {carrier}, Sendungsnummer {tracking}. Die "
            "Zustellung ist für {weekday} geplant.</p>",
            direction="out",
        ),
        T(
            "Chat: Gutscheincode funktioniert nicht",
            "<p>Der Code aus dem Newsletter wird im Warenkorb nicht akzeptiert.</p>",
            direction="in",
        ),
    ],
    "letter": [
        T(
            "Brief: Widerruf der Bestellung {order}",
            "<p>{name} widerruft schriftlich den Kauf von {product}.</p>",
            direction="in",
        ),
        T(
            "Brief: Einladung zur Hausmesse",
            "<p>Persönliche Einladung zur Hausmesse in {city} verschickt.</p>",
            direction="out",
        ),
        T(
            "Brief: Zahlungserinnerung",
            "<p>Freundliche Erinnerung an die offene Rechnung {order} über "
            "{amount}.</p>",
            direction="out",
        ),
        T(
            "Brief: Dankeschön zum Kundenjubiläum",
            "<p>Karte mit Dank für 5 Jahre Treue und einem Gutschein über "
            "{amount}.</p>",
            direction="out",
        ),
    ],
    "social": [
        T(
            "Instagram: Markierung in einem Beitrag",
            "<p>{name} zeigt {product} in einem Beitrag und markiert uns.</p>",
            direction="in",
        ),
        T(
            "Facebook: Bewertung mit {score} Sternen",
            "<p>Freundliches Personal, schnelle Lieferung. Gerne wieder!</p>",
            direction="in",
        ),
        T(
            "Kommentar: Frage zur Verfügbarkeit",
            "<p>Gibt es {product} auch in der Filiale {city}?</p>",
            direction="in",
        ),
        T(
            "Antwort auf Kommentar",
            "<p>Ja, {product} ist in {city} vorrätig. Wir legen es gern zurück.</p>",
            direction="out",
        ),
    ],
    "order": [
        T(
            "Bestellung {order} über {amount}",
            "<p>{product}, {product2}</p><p>Zahlung: PayPal, Versand: Standard.</p>",
            direction="in",
        ),
        T(
            "Bestellung {order} über {amount}",
            "<p>{product}</p><p>Zahlung: Rechnung, Versand: Express.</p>",
            direction="in",
        ),
        T(
            "Kauf in der Filiale {city}: {amount}",
            "<p>{product}, {product2}</p>",
            direction="in",
        ),
        T(
            "Sammelbestellung {order} über {amount}",
            "<p>Bestellung für {company}: {product} (12 Stück), "
            "{product2} (4 Stück).</p>",
            direction="in",
            b2b=True,
        ),
    ],
    "shipment": [
        T(
            "Bestellung {order} versandt mit {carrier}",
            "<p>Sendungsnummer {tracking}, Zustellung in {days} Werktagen.</p>",
            direction="out",
        ),
        T(
            "Teillieferung zu Bestellung {order}",
            "<p>{product} versandt, {product2} folgt in {days} Tagen.</p>",
            direction="out",
        ),
        T(
            "Zustellung erfolgt: {order}",
            "<p>{carrier} meldet die Zustellung an der Haustür.</p>",
            direction="out",
        ),
    ],
    "return": [
        T(
            "Retoure zu Bestellung {order}",
            "<p>{product} zurückgeschickt, Grund: passt nicht. Erstattung "
            "{amount}.</p>",
            direction="in",
        ),
        T(
            "Retoure: Ware beschädigt",
            "<p>{product} mit Transportschaden zurückgesendet. Ersatz verschickt.</p>",
            direction="in",
        ),
        T(
            "Umtausch {product}",
            "<p>Umtausch in eine andere Größe, Differenz {amount} erstattet.</p>",
            direction="in",
        ),
    ],
    "ticket": [
        T(
            "Ticket {ticket}: Paket nicht angekommen",
            "<p>Laut {carrier} zugestellt, {name} hat das Paket nicht erhalten. "
            "Nachforschungsauftrag gestellt.</p>",
            direction="in",
        ),
        T(
            "Ticket {ticket}: Rechnung fehlerhaft",
            "<p>Auf der Rechnung zu {order} fehlt die USt-IdNr. von {company}.</p>",
            direction="in",
            b2b=True,
        ),
        T(
            "Ticket {ticket}: Garantiefall {product}",
            "<p>{product} funktioniert nach {days} Monaten nicht mehr. Einsendung "
            "zur Reparatur vereinbart.</p>",
            direction="in",
        ),
        T(
            "Ticket {ticket}: Kundenkonto gesperrt",
            "<p>{name} kann sich nicht mehr anmelden. Passwort zurückgesetzt.</p>",
            direction="in",
        ),
    ],
    "survey": [
        T(
            "Zufriedenheitsumfrage: {score} von 5 Sternen",
            "<p>Kommentar: Lieferung pünktlich, Verpackung könnte nachhaltiger "
            "sein.</p>",
            direction="in",
        ),
        T(
            "NPS-Umfrage: {nps} von 10",
            "<p>Würde uns Freunden und Kollegen weiterempfehlen.</p>",
            direction="in",
        ),
        T(
            "Umfrage nach Servicekontakt: {score} von 5",
            "<p>Problem schnell gelöst, freundliche Beratung.</p>",
            direction="in",
        ),
    ],
    "campaign": [
        T(
            "Newsletter: {campaign}",
            "<p>Newsletter {campaign} zugestellt und geöffnet.</p>",
            direction="out",
        ),
        T(
            "Newsletter: {campaign}",
            "<p>Newsletter {campaign} zugestellt, Link zu {product} geklickt.</p>",
            direction="out",
        ),
        T(
            "Mailing: {campaign}",
            "<p>Postmailing {campaign} mit Gutschein über {amount} versendet.</p>",
            direction="out",
        ),
    ],
}

# How often each kind happens, for contacts who buy and for those who do not yet.
KIND_WEIGHTS_CUSTOMER = {
    "email": 20,
    "note": 9,
    "call": 11,
    "order": 13,
    "shipment": 11,
    "campaign": 12,
    "meeting": 3,
    "chat": 5,
    "letter": 2,
    "social": 3,
    "return": 3,
    "ticket": 5,
    "survey": 3,
}
KIND_WEIGHTS_PROSPECT = {
    "email": 22,
    "note": 12,
    "call": 14,
    "campaign": 28,
    "meeting": 4,
    "chat": 6,
    "letter": 3,
    "social": 6,
    "ticket": 2,
    "survey": 3,
}
PROSPECT_STAGES = frozenset(
    {"subscriber", "lead", "marketing_qualified", "sales_qualified", "opportunity"}
)

# (channel, weight) per kind; a kind not listed uses its default channel.
KIND_CHANNELS = {
    "order": [("shop", 70), ("marketplace", 15), ("store", 11), ("phone", 4)],
    "meeting": [("in_person", 60), ("video", 40)],
    "ticket": [("email", 50), ("web", 22), ("phone", 18), ("chat", 10)],
    "survey": [("email", 70), ("web", 30)],
    "campaign": [("email", 86), ("letter", 9), ("social", 5)],
    "return": [("shop", 85), ("store", 15)],
}

# (direction, weight) for templates that do not fix one.
KIND_DIRECTIONS = {
    "note": [("internal", 1)],
    "task_completed": [("internal", 1)],
    "meeting": [("out", 1)],
}

# Where entries mirroring a shop record point (source_type).
KIND_SOURCES = {
    "order": "shop.order",
    "shipment": "shop.shipment",
    "return": "shop.return",
}

PRODUCTS = [
    "Laufschuhe Trail X",
    "Regenjacke Nordkap",
    "Kaffeevollautomat Barista 7",
    "Espressotassen (6er-Set)",
    "Bettwäsche Satin 155 x 220",
    "Gartenstuhl Teak",
    "LED-Stehlampe Luna",
    "Kinderfahrrad 20 Zoll",
    "Daunenjacke Wintertraum",
    "Wollpullover Fjord",
    "Rucksack Tour 30 l",
    "Trekkingstöcke Carbon",
    "Akkuschrauber 18 V",
    "Pfannenset Edelstahl",
    "Teekanne Gusseisen",
    "Yogamatte Balance",
    "Handtuch-Set Frottee",
    "Bluetooth-Kopfhörer Klangwerk",
    "Schreibtischlampe Büro",
    "Bürostuhl Ergo Pro",
    "Gewürzregal Eiche",
    "Wanderschuhe Alpin",
    "Stollen-Backform",
    "Thermoskanne 1 l",
    "Weinkaraffe Kristall",
    "Schneidebrett Nussbaum",
    "Strickmütze Heide",
    "Adventskranz Tanne",
    "Sonnenschirm Riviera",
    "Kinderhochstuhl Klettermax",
]

CARRIERS = ["DHL", "DHL", "DHL", "Hermes", "DPD", "GLS", "UPS", "Deutsche Post"]

FAIRS = [
    "Ambiente Frankfurt",
    "Spielwarenmesse Nürnberg",
    "IFA Berlin",
    "Internationale Grüne Woche",
    "ISPO München",
    "Nordstil Hamburg",
    "Eurobike Frankfurt",
    "Caravan Salon Düsseldorf",
    "Messe 2026 in Köln",
    "Hausmesse Leipzig",
]

CAMPAIGNS = [
    "Frühjahrskollektion",
    "Black Week",
    "Sommerschlussverkauf",
    "Weihnachtsaktion",
    "Treuepunkte verdoppelt",
    "Muttertag",
    "Vatertag",
    "Neueröffnung Filiale",
    "Herbstzeit ist Wanderzeit",
    "Ostern",
    "Jubiläumswochen",
    "Gartensaison",
]

WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"]

# (title, description, is_b2b)
TASK_TEMPLATES = [
    ("Rückruf wegen Lieferverzug", "Kunde wartet auf Rückmeldung zum Lieferstatus.", 0),
    ("Angebot nachfassen", "Angebot von letzter Woche telefonisch nachfassen.", 1),
    ("Geburtstagsgruß senden", "Karte und Gutschein vorbereiten.", 0),
    ("Reklamation prüfen", "Fotos sichten und über Kulanz entscheiden.", 0),
    ("Termin auf der Messe vereinbaren", "Gesprächstermin am Stand festlegen.", 1),
    ("Rahmenvertrag verlängern", "Konditionen prüfen und Verlängerung anbieten.", 1),
    ("Zahlungseingang prüfen", "Offene Rechnung mit der Buchhaltung abgleichen.", 0),
    ("Zum Treueprogramm einladen", "Vorteile erklären und Anmeldelink senden.", 0),
    ("Muster verschicken", "Musterpaket der neuen Kollektion zusammenstellen.", 1),
    ("Rückmeldung zur Retoure geben", "Erstattung bestätigen.", 0),
    ("Kundendaten aktualisieren", "Neue Adresse und Telefonnummer eintragen.", 0),
    ("Jahresgespräch vorbereiten", "Umsätze und Ziele zusammenstellen.", 1),
    ("Feedback zur Umfrage einholen", "Bei der schlechten Bewertung nachfragen.", 0),
    ("Newsletter-Einwilligung klären", "Double-Opt-in erneut senden.", 0),
]

TASK_PRIORITIES = {"low": 15, "normal": 60, "high": 20, "urgent": 5}
