"""Pools of realistic German data that generated records are combined from.

Every list is written out here rather than drawn from Faker at run time:
drawing from a list costs a fraction of a microsecond, a Faker call tens of
microseconds, and a million contacts need several million draws. Faker's
``de_DE`` surnames only lengthen the tail of rare names.

Email addresses and websites use reserved domains (``example.de``,
``example.com``, ``*.example``) so that a demo which sends mail can never
reach a real mailbox.
"""

from __future__ import annotations

import functools

# --- People ---------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def _items(text: str) -> list[str]:
    """Split ``text`` at "|" and line ends, for items that contain spaces."""
    return [item.strip() for item in text.replace("\n", "|").split("|") if item.strip()]


# Ordered roughly by frequency; the generator weights earlier names higher.
FIRST_NAMES_MALE = _words("""
Thomas Michael Andreas Stefan Peter Frank Jürgen Klaus Markus Christian Martin
Uwe Wolfgang Matthias Alexander Sebastian Daniel Jan Tobias Florian Dirk Sven
Ralf Torsten Jörg Bernd Holger Oliver Tim Lukas Jonas Felix Maximilian Paul
Leon Finn Niklas Philipp Moritz Julian David Simon Fabian Dennis Marco Björn
Kai Lars Nils Timo Robert Hans Günter Dieter Manfred Helmut Gerhard Heinz
Horst Rainer Werner Karl Jens Carsten Heiko Ingo Volker Norbert Mathias Benjamin
Elias Noah Ben Luca Henry Emil Anton Theo Jakob Till Malte Sören Hendrik Ole
Mats Bastian Marcel Patrick Kevin Dominik Rüdiger Götz Jörn Bodo Detlef Ulrich
Lutz Mehmet Ali Ömer Murat Can Piotr Tomasz Marek Luca Giovanni Dimitrios
""")

FIRST_NAMES_FEMALE = _words("""
Sabine Petra Andrea Claudia Susanne Stefanie Nicole Julia Katrin Anja Monika
Birgit Melanie Sandra Christina Nadine Tanja Kerstin Simone Daniela Heike
Martina Anna Laura Lena Lea Sarah Lisa Hannah Sophie Marie Mia Emma Lina Leonie
Johanna Katharina Jana Carina Vanessa Franziska Miriam Ute Gabriele Karin Renate
Ursula Brigitte Helga Ingrid Jutta Bärbel Gisela Elke Silke Antje Doris Karola
Jessica Jennifer Maren Svenja Wiebke Frauke Inga Merle Greta Ida Clara Frieda
Mathilda Luise Charlotte Amelie Paula Nele Emily Marlene Theresa Annika Judith
Dörte Käthe Jasmin Bettina Christiane Dagmar Regine Annegret Hülya Ayşe Özlem
Elif Zeynep Agnieszka Katarzyna Magdalena Giulia Chiara Elena Sofia Zoë
""")

LAST_NAMES_COMMON = _words("""
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun
Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid
Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang
Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank
Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig
Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß
Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn
Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer
Ernst Lindner Hübner Kramer Jansen Franz Peter Hansen Wenzel Götz Paul Barth
Kern Lange Ott Hennig Nowak Bock Marx Fritz Haase Lorenz Kunz Schilling Voß
Thiel Bruns Hoppe Wendt Sander Kuhlmann Brinkmann Petersen Wilhelm Rieger Behrens
Dittrich Lehmann Graf Kolb Beyer Ritter Böttcher Nagel Stahl Dörr Rößler
Jürgens Lübke Gärtner Brückner Schütz Schönfeld Bräuer Grün Mühlbauer Wößner
Yilmaz Kaya Demir Şahin Öztürk Kowalski Nowak Wiśniewski Rossi Ricci Papadopoulos
Nguyen Ivanov Horvat
""")

NOBLE_PARTICLE_NAMES = ["von Bülow", "von der Heide", "zu Löwenstein", "van Dijk"]

ACADEMIC_TITLES = ["Dr.", "Dr.", "Dr.", "Prof. Dr.", "Dipl.-Ing.", "Dr. med."]

# Weighted by how often contacts of a retailer are in each stage.
LIFECYCLE_WEIGHTS = {
    "subscriber": 9,
    "lead": 16,
    "marketing_qualified": 6,
    "sales_qualified": 4,
    "opportunity": 4,
    "customer": 27,
    "regular_customer": 18,
    "at_risk": 7,
    "inactive": 9,
}

# A plausible path into each stage; the history is a prefix of it ending there.
STAGE_PATHS = {
    "subscriber": ["subscriber"],
    "lead": ["subscriber", "lead"],
    "marketing_qualified": ["lead", "marketing_qualified"],
    "sales_qualified": ["lead", "marketing_qualified", "sales_qualified"],
    "opportunity": ["lead", "sales_qualified", "opportunity"],
    "customer": ["lead", "opportunity", "customer"],
    "regular_customer": ["lead", "customer", "regular_customer"],
    "at_risk": ["customer", "regular_customer", "at_risk"],
    "inactive": ["customer", "at_risk", "inactive"],
}

SOURCE_WEIGHTS = {
    "web_shop": 34,
    "store": 14,
    "marketplace": 9,
    "newsletter": 8,
    "website_form": 7,
    "phone": 6,
    "email": 5,
    "trade_fair": 4,
    "referral": 4,
    "social": 5,
    "import": 3,
    "api": 1,
}

LANGUAGE_WEIGHTS = {
    "de": 930,
    "en": 25,
    "tr": 15,
    "pl": 10,
    "it": 7,
    "fr": 5,
    "nl": 5,
    "es": 3,
}

# --- Email ----------------------------------------------------------------------------

PRIVATE_MAIL_DOMAINS = {
    "example.de": 50,
    "example.com": 20,
    "example.net": 12,
    "example.org": 8,
    "mail.example.de": 6,
    "post.example.de": 4,
}

# --- Addresses ------------------------------------------------------------------------

STREETS = _items("""
Hauptstraße|Schulstraße|Gartenstraße|Bahnhofstraße|Dorfstraße|Bergstraße|Birkenweg
Lindenstraße|Kirchstraße|Waldstraße|Ringstraße|Schillerstraße|Goethestraße|Mühlenweg
Am Markt|Rosenweg|Friedrich-Ebert-Straße|Jahnstraße|Wiesenweg|Feldstraße|Am Sportplatz
Mozartstraße|Talstraße|Poststraße|Kastanienallee|Königsallee|Maximilianstraße
Schloßstraße|Münchner Straße|Kölner Straße|Bürgermeister-Müller-Straße|Weißdornweg
Höhenweg|Fährstraße|Lübecker Straße|Grüner Weg|Am Mühlbach|Beethovenstraße
Uhlandstraße|Hölderlinweg|Eichendorffstraße|Marktplatz|Kurfürstendamm|Sonnenallee
Schönhauser Allee|Elbchaussee|Mönckebergstraße|Leopoldstraße|Sendlinger Straße
Zeil|Königstraße|Breite Straße|Lange Straße|Neue Straße|Am Hafen|Hafenstraße
Industriestraße|Gewerbestraße|Im Gewerbepark|Robert-Bosch-Straße|Carl-Benz-Straße
Siemensstraße|Daimlerstraße|Rudolf-Diesel-Straße|Max-Planck-Straße|Einsteinstraße
Rheinstraße|Mainzer Landstraße|Neckarstraße|Donaustraße|Isarweg|Elbstraße
Am Anger|Anger|Blumenstraße|Tulpenweg|Nelkenweg|Ahornweg|Eichenweg|Buchenweg
Tannenweg|Fichtenstraße|Kiefernweg|Ulmenstraße|Am Schlosspark|Parkstraße
Sternstraße|Gutenbergstraße|Humboldtstraße|Kantstraße|Herderstraße|Lessingstraße
Heinrich-Heine-Straße|Bismarckstraße|Kaiserstraße|Wilhelmstraße|Luisenstraße
Augustenstraße|Sophienstraße|Friedrichstraße|Karlstraße|Ludwigstraße|Am Rathaus
Rathausstraße|Brunnenstraße|Quellenweg|Mühlstraße|Am Bach|Seestraße|Uferstraße
Am Deich|Deichstraße|Strandweg|Düsseldorfer Straße|Große Bleichen|Jungfernstieg
""")

ADDRESS_EXTRAS = {
    "": 880,
    "2. OG": 15,
    "3. OG links": 8,
    "Hinterhaus": 10,
    "Haus B": 6,
    "Apartment 12": 5,
    "Eingang über Hof": 6,
    "Postfach 11 02": 4,
}

# Real postcodes with their city and the city's telephone area code (without 0).
CITIES = [
    ("01067", "Dresden", "351"),
    ("01069", "Dresden", "351"),
    ("01309", "Dresden", "351"),
    ("01445", "Radebeul", "351"),
    ("01796", "Pirna", "3501"),
    ("02625", "Bautzen", "3591"),
    ("02826", "Görlitz", "3581"),
    ("03046", "Cottbus", "355"),
    ("04109", "Leipzig", "341"),
    ("04277", "Leipzig", "341"),
    ("04600", "Altenburg", "3447"),
    ("06108", "Halle (Saale)", "345"),
    ("06618", "Naumburg (Saale)", "3445"),
    ("06844", "Dessau-Roßlau", "340"),
    ("07545", "Gera", "365"),
    ("07743", "Jena", "3641"),
    ("08056", "Zwickau", "375"),
    ("08523", "Plauen", "3741"),
    ("09111", "Chemnitz", "371"),
    ("10115", "Berlin", "30"),
    ("10117", "Berlin", "30"),
    ("10178", "Berlin", "30"),
    ("10243", "Berlin", "30"),
    ("10405", "Berlin", "30"),
    ("10999", "Berlin", "30"),
    ("12043", "Berlin", "30"),
    ("12203", "Berlin", "30"),
    ("13347", "Berlin", "30"),
    ("14057", "Berlin", "30"),
    ("14467", "Potsdam", "331"),
    ("15230", "Frankfurt (Oder)", "335"),
    ("16225", "Eberswalde", "3334"),
    ("17489", "Greifswald", "3834"),
    ("18055", "Rostock", "381"),
    ("18435", "Stralsund", "3831"),
    ("19053", "Schwerin", "385"),
    ("20095", "Hamburg", "40"),
    ("20259", "Hamburg", "40"),
    ("22041", "Hamburg", "40"),
    ("22765", "Hamburg", "40"),
    ("21073", "Hamburg", "40"),
    ("21335", "Lüneburg", "4131"),
    ("23552", "Lübeck", "451"),
    ("24103", "Kiel", "431"),
    ("24937", "Flensburg", "461"),
    ("25746", "Heide", "481"),
    ("26122", "Oldenburg", "441"),
    ("26382", "Wilhelmshaven", "4421"),
    ("27568", "Bremerhaven", "471"),
    ("28195", "Bremen", "421"),
    ("28359", "Bremen", "421"),
    ("29221", "Celle", "5141"),
    ("30159", "Hannover", "511"),
    ("30519", "Hannover", "511"),
    ("31134", "Hildesheim", "5121"),
    ("32052", "Herford", "5221"),
    ("33602", "Bielefeld", "521"),
    ("34117", "Kassel", "561"),
    ("35037", "Marburg", "6421"),
    ("35390", "Gießen", "641"),
    ("36037", "Fulda", "661"),
    ("37073", "Göttingen", "551"),
    ("38100", "Braunschweig", "531"),
    ("39104", "Magdeburg", "391"),
    ("40213", "Düsseldorf", "211"),
    ("40477", "Düsseldorf", "211"),
    ("41061", "Mönchengladbach", "2161"),
    ("42103", "Wuppertal", "202"),
    ("44135", "Dortmund", "231"),
    ("44787", "Bochum", "234"),
    ("45127", "Essen", "201"),
    ("45879", "Gelsenkirchen", "209"),
    ("46045", "Oberhausen", "208"),
    ("47051", "Duisburg", "203"),
    ("47798", "Krefeld", "2151"),
    ("48143", "Münster", "251"),
    ("48431", "Rheine", "5971"),
    ("49074", "Osnabrück", "541"),
    ("50667", "Köln", "221"),
    ("50823", "Köln", "221"),
    ("51063", "Köln", "221"),
    ("52062", "Aachen", "241"),
    ("53111", "Bonn", "228"),
    ("54290", "Trier", "651"),
    ("55116", "Mainz", "6131"),
    ("56068", "Koblenz", "261"),
    ("57072", "Siegen", "271"),
    ("58095", "Hagen", "2331"),
    ("59065", "Hamm", "2381"),
    ("60311", "Frankfurt am Main", "69"),
    ("60487", "Frankfurt am Main", "69"),
    ("60594", "Frankfurt am Main", "69"),
    ("63739", "Aschaffenburg", "6021"),
    ("64283", "Darmstadt", "6151"),
    ("65183", "Wiesbaden", "611"),
    ("66111", "Saarbrücken", "681"),
    ("67059", "Ludwigshafen am Rhein", "621"),
    ("68159", "Mannheim", "621"),
    ("69117", "Heidelberg", "6221"),
    ("70173", "Stuttgart", "711"),
    ("70469", "Stuttgart", "711"),
    ("71638", "Ludwigsburg", "7141"),
    ("72070", "Tübingen", "7071"),
    ("73728", "Esslingen am Neckar", "711"),
    ("74072", "Heilbronn", "7131"),
    ("75175", "Pforzheim", "7231"),
    ("76133", "Karlsruhe", "721"),
    ("78462", "Konstanz", "7531"),
    ("79098", "Freiburg im Breisgau", "761"),
    ("80331", "München", "89"),
    ("80469", "München", "89"),
    ("80797", "München", "89"),
    ("81369", "München", "89"),
    ("81675", "München", "89"),
    ("82319", "Starnberg", "8151"),
    ("83022", "Rosenheim", "8031"),
    ("84028", "Landshut", "871"),
    ("85049", "Ingolstadt", "841"),
    ("85354", "Freising", "8161"),
    ("86150", "Augsburg", "821"),
    ("87435", "Kempten (Allgäu)", "831"),
    ("88212", "Ravensburg", "751"),
    ("89073", "Ulm", "731"),
    ("90402", "Nürnberg", "911"),
    ("90762", "Fürth", "911"),
    ("91052", "Erlangen", "9131"),
    ("92637", "Weiden in der Oberpfalz", "961"),
    ("93047", "Regensburg", "941"),
    ("94032", "Passau", "851"),
    ("95444", "Bayreuth", "921"),
    ("96047", "Bamberg", "951"),
    ("97070", "Würzburg", "931"),
    ("97421", "Schweinfurt", "9721"),
    ("98527", "Suhl", "3681"),
    ("99084", "Erfurt", "361"),
    ("99423", "Weimar", "3643"),
]

# Rough population weights: the big cities hold more customers.
CITY_WEIGHTS = {
    "Berlin": 8,
    "Hamburg": 6,
    "München": 6,
    "Köln": 5,
    "Frankfurt am Main": 5,
    "Stuttgart": 4,
    "Düsseldorf": 4,
    "Leipzig": 4,
    "Dresden": 4,
}

# --- Phones ---------------------------------------------------------------------------

# German mobile prefixes (without the trunk 0); the subscriber length per
# prefix is found by checking candidates with ``phonenumbers`` once.
MOBILE_PREFIXES = [
    "151", "1511", "1512", "1514", "1515", "1516", "1517", "1520", "1521", "1522",
    "1523", "1525", "1570", "1573", "1575", "1577", "1578", "1590", "160", "162",
    "163", "170", "171", "172", "173", "174", "175", "176", "177", "178", "179",
]  # fmt: skip

# --- Companies ------------------------------------------------------------------------

# (legal form code, written suffix, weight)
LEGAL_FORMS = [
    ("gmbh", "GmbH", 42),
    ("gmbh_co_kg", "GmbH & Co. KG", 11),
    ("ek", "e.K.", 11),
    ("ug", "UG (haftungsbeschränkt)", 7),
    ("kg", "KG", 5),
    ("gbr", "GbR", 4),
    ("ohg", "OHG", 3),
    ("ag", "AG", 3),
    ("sole", "", 8),
    ("ev", "e.V.", 2),
]

# (word used in the name, industry shown in the record)
TRADES = [
    ("Bäckerei", "Lebensmittelhandwerk"),
    ("Konditorei", "Lebensmittelhandwerk"),
    ("Metzgerei", "Lebensmittelhandwerk"),
    ("Autohaus", "Automobilhandel"),
    ("Optik", "Einzelhandel"),
    ("Haustechnik", "Handwerk"),
    ("Elektrotechnik", "Handwerk"),
    ("Sanitär", "Handwerk"),
    ("Dachdeckerei", "Handwerk"),
    ("Malerbetrieb", "Handwerk"),
    ("Schreinerei", "Handwerk"),
    ("Metallbau", "Industrie"),
    ("Gartenbau", "Garten- und Landschaftsbau"),
    ("Möbelhaus", "Möbel & Einrichtung"),
    ("Wohndesign", "Möbel & Einrichtung"),
    ("Modehaus", "Mode & Textil"),
    ("Textil", "Mode & Textil"),
    ("Schuhhaus", "Mode & Textil"),
    ("Sport", "Sport & Freizeit"),
    ("Fahrräder", "Sport & Freizeit"),
    ("Reisen", "Tourismus"),
    ("Hotel", "Gastgewerbe"),
    ("Gasthaus", "Gastgewerbe"),
    ("Logistik", "Logistik"),
    ("Spedition", "Logistik"),
    ("IT-Service", "IT-Dienstleistungen"),
    ("Software", "IT-Dienstleistungen"),
    ("Steuerberatung", "Beratung"),
    ("Consulting", "Beratung"),
    ("Apotheke", "Gesundheit"),
    ("Sanitätshaus", "Gesundheit"),
    ("Blumen", "Einzelhandel"),
    ("Buchhandlung", "Einzelhandel"),
    ("Spielwaren", "Einzelhandel"),
    ("Weinhandel", "Getränkehandel"),
    ("Getränke", "Getränkehandel"),
    ("Feinkost", "Lebensmittelhandel"),
    ("Bio-Markt", "Lebensmittelhandel"),
    ("Druckerei", "Druck & Medien"),
    ("Werbeagentur", "Marketing"),
    ("Immobilien", "Immobilien"),
    ("Versicherungsmakler", "Finanzdienstleistungen"),
    ("Elektronik", "Elektronik"),
    ("Haushaltswaren", "Einzelhandel"),
    ("Baustoffe", "Großhandel"),
    ("Großhandel", "Großhandel"),
]

INVENTED_STEMS = [
    "Nordlicht", "Elbtal", "Isartal", "Alpenblick", "Rheinland", "Spreewald",
    "Ostsee", "Nordsee", "Harzer", "Schwarzwald", "Bodensee", "Weserland",
    "Mainufer", "Neckartal", "Allgäuer", "Sonnenhof", "Lindenhof", "Grünwerk",
    "Blauwal", "Eichenhain", "Morgenrot", "Sternquell", "Wolkenlos", "Bergkristall",
    "Heidekraut", "Löwenzahn", "Fuchsbau", "Kranich", "Seeblick", "Mühlenhof",
]  # fmt: skip

INVENTED_TRADES = [
    ("Handel", "Großhandel"),
    ("Handelsgesellschaft", "Großhandel"),
    ("Logistik", "Logistik"),
    ("Versand", "Versandhandel"),
    ("Naturkost", "Lebensmittelhandel"),
    ("Textil", "Mode & Textil"),
    ("Sport", "Sport & Freizeit"),
    ("Einrichtung", "Möbel & Einrichtung"),
    ("Medien", "Druck & Medien"),
    ("Gastro", "Gastgewerbe"),
    ("Haustechnik", "Handwerk"),
    ("Getränke", "Getränkehandel"),
    ("Digital", "IT-Dienstleistungen"),
    ("Systems", "IT-Dienstleistungen"),
    ("Manufaktur", "Handwerk"),
]

COMPANY_SIZES = {"1-9": 45, "10-49": 32, "50-249": 17, "250+": 6}

# Roles in a company, by salutation of the person: (male, female, neutral).
COMPANY_ROLES = [
    ("Geschäftsführer", "Geschäftsführerin", "Geschäftsführung", 10),
    ("Inhaber", "Inhaberin", "Inhaber:in", 6),
    ("Einkauf", "Einkauf", "Einkauf", 12),
    ("Einkaufsleiter", "Einkaufsleiterin", "Einkaufsleitung", 5),
    ("Buchhaltung", "Buchhaltung", "Buchhaltung", 8),
    ("Vertrieb", "Vertrieb", "Vertrieb", 7),
    ("Marketing", "Marketing", "Marketing", 5),
    (
        "Assistenz der Geschäftsführung",
        "Assistenz der Geschäftsführung",
        "Assistenz",
        4,
    ),
    ("Filialleiter", "Filialleiterin", "Filialleitung", 5),
    ("Lager & Logistik", "Lager & Logistik", "Lager & Logistik", 4),
    ("IT-Leiter", "IT-Leiterin", "IT-Leitung", 2),
    ("Prokurist", "Prokuristin", "Prokura", 3),
    ("Kundenservice", "Kundenservice", "Kundenservice", 4),
    ("Personalabteilung", "Personalabteilung", "Personal", 2),
]

TAG_NAMES = [
    ("VIP", "red", 3),
    ("Stammkunde", "teal", 14),
    ("Newsletter", "azure", 22),
    ("B2B", "indigo", 6),
    ("Messe 2026", "purple", 3),
    ("Reklamation", "orange", 3),
    ("Gutschein", "lime", 4),
    ("Onlineshop", "blue", 10),
    ("Filialkunde", "green", 6),
    ("Treueprogramm", "yellow", 8),
]

# --- Seed users -----------------------------------------------------------------------

SEED_USER_DOMAIN = "seed.kundig.example"
SEED_USER_NAMES = [
    ("Greta", "Admin"),
    ("Henrik", "Nordmann"),
    ("Nora", "Jürgensen"),
    ("Malte", "Hansen"),
    ("Frauke", "Petersen"),
    ("Sebastian", "Süßmeier"),
    ("Theresa", "Huber"),
    ("Korbinian", "Brandl"),
    ("Veronika", "Gruber"),
    ("Katrin", "Westphal"),
    ("Jens", "Schürmann"),
    ("Ulrike", "Böhme"),
    ("Steffen", "Ostermann"),
    ("Doreen", "Kühnel"),
    ("Selma", "Özdemir"),
    ("Björn", "Hilfreich"),
    ("Lea", "Sörensen"),
    ("Marc", "Eting"),
    ("Rolf", "Lesemann"),
    ("Carla", "Servicewald"),
]

# (role, team) of the n-th seed user; beyond this list sales reps are added
# round-robin over the regional teams.
SEED_USER_PLAN = [
    ("admin", None),
    ("manager", "Nord"),
    ("sales", "Nord"),
    ("sales", "Nord"),
    ("sales", "Nord"),
    ("manager", "Süd"),
    ("sales", "Süd"),
    ("sales", "Süd"),
    ("sales", "Süd"),
    ("manager", "West"),
    ("sales", "West"),
    ("sales", "West"),
    ("sales", "Ost"),
    ("sales", "Ost"),
    ("service", "Service"),
    ("service", "Service"),
    ("service", "Service"),
    ("marketing", "Marketing"),
    ("read_only", "Nord"),
    ("marketing", "Marketing"),
]
REGIONAL_TEAMS = ["Nord", "Süd", "West", "Ost"]


# --- Derived pools --------------------------------------------------------------------


@functools.cache
def last_names() -> tuple[list[str], list[float]]:
    """Return surnames and weights: common names first, Faker's de_DE list as a tail."""
    names: dict[str, float] = {}
    for rank, name in enumerate(LAST_NAMES_COMMON):
        names.setdefault(name, 60.0 / (rank + 8))
    try:
        from faker.providers.person.de_DE import Provider
    except ImportError:  # pragma: no cover - Faker is a dependency
        tail: list[str] = []
    else:
        tail = [n for n in Provider.last_names if n.isalpha() or "-" in n]
    for name in tail:
        names.setdefault(name, 0.35)
    for name in NOBLE_PARTICLE_NAMES:
        names.setdefault(name, 0.3)
    return list(names), list(names.values())


def ranked_weights(values: list[str], *, offset: int = 10) -> list[float]:
    """Return Zipf-like weights for ``values`` ordered from most to least frequent."""
    return [1.0 / (rank + offset) for rank in range(len(values))]
