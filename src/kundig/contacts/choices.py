from django.db import models
from django.utils.translation import gettext_lazy as _


class Salutation(models.TextChoices):
    HERR = "herr", _("Mr")
    FRAU = "frau", _("Ms")
    DIVERS = "divers", _("Neutral (diverse)")
    NONE = "none", _("None")


# Spellings the API and imports accept for each salutation.
SALUTATION_ALIASES = {
    "herr": Salutation.HERR, "mr": Salutation.HERR, "mr.": Salutation.HERR,
    "mister": Salutation.HERR, "m": Salutation.HERR, "male": Salutation.HERR,
    "frau": Salutation.FRAU, "ms": Salutation.FRAU, "ms.": Salutation.FRAU,
    "mrs": Salutation.FRAU, "mrs.": Salutation.FRAU, "miss": Salutation.FRAU,
    "f": Salutation.FRAU, "female": Salutation.FRAU,
    "divers": Salutation.DIVERS, "diverse": Salutation.DIVERS,
    "neutral": Salutation.DIVERS, "mx": Salutation.DIVERS, "mx.": Salutation.DIVERS,
    "d": Salutation.DIVERS,
    "none": Salutation.NONE, "keine": Salutation.NONE, "": Salutation.NONE,
}  # fmt: skip


class FormOfAddress(models.TextChoices):
    FORMAL = "formal", _('Formal ("Sie")')
    INFORMAL = "informal", _('Informal ("du")')


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", _("Subscriber")
    LEAD = "lead", _("Lead")
    MARKETING_QUALIFIED = "marketing_qualified", _("Marketing qualified")
    SALES_QUALIFIED = "sales_qualified", _("Sales qualified")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    REGULAR_CUSTOMER = "regular_customer", _("Regular customer")
    AT_RISK = "at_risk", _("At risk")
    INACTIVE = "inactive", _("Inactive")


STAGE_COLORS = {
    LifecycleStage.SUBSCRIBER: "secondary",
    LifecycleStage.LEAD: "azure",
    LifecycleStage.MARKETING_QUALIFIED: "indigo",
    LifecycleStage.SALES_QUALIFIED: "purple",
    LifecycleStage.OPPORTUNITY: "orange",
    LifecycleStage.CUSTOMER: "green",
    LifecycleStage.REGULAR_CUSTOMER: "teal",
    LifecycleStage.AT_RISK: "red",
    LifecycleStage.INACTIVE: "muted",
}


class Source(models.TextChoices):
    WEB_SHOP = "web_shop", _("Web shop")
    MARKETPLACE = "marketplace", _("Marketplace")
    STORE = "store", _("Store")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEBSITE_FORM = "website_form", _("Website form")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    REFERRAL = "referral", _("Referral")
    SOCIAL = "social", _("Social media")
    NEWSLETTER = "newsletter", _("Newsletter")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    OTHER = "other", _("Other")


class EmailKind(models.TextChoices):
    PRIVATE = "private", _("Private")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    WORK = "work", _("Work")
    FAX = "fax", _("Fax")


class AddressKind(models.TextChoices):
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")
    OTHER = "other", _("Other")


class LegalForm(models.TextChoices):
    GMBH = "gmbh", "GmbH"
    UG = "ug", "UG (haftungsbeschränkt)"
    AG = "ag", "AG"
    KG = "kg", "KG"
    GMBH_CO_KG = "gmbh_co_kg", "GmbH & Co. KG"
    OHG = "ohg", "OHG"
    GBR = "gbr", "GbR"
    EK = "ek", "e.K."
    EV = "ev", "e.V."
    SOLE = "sole", _("Sole proprietorship")
    LTD = "ltd", "Ltd"
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250+", _("250 or more employees")


class ChangeSource(models.TextChoices):
    MANUAL = "manual", _("by hand")
    IMPORT = "import", _("import")
    API = "api", _("API")
    SYSTEM = "system", _("automatically")
