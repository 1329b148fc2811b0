"""Forms of the import pages; they only parse input, the services check it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ImportEntity
from .mapping import Target

ACCEPT = ",".join(
    (
        ".csv",
        ".txt",
        ".tsv",
        ".xlsx",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
)


class ImportUploadForm(forms.Form):
    entity = forms.ChoiceField(
        label=_("What does the file contain?"),
        choices=ImportEntity.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=ImportEntity.CONTACT,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows/Excel encoding, separated by semicolons, commas "
            "or tabs) or an Excel workbook (.xlsx, first sheet). The first row must "
            "hold the column names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def _choices(targets: list[Target]) -> list:
    groups: dict[str, list] = {}
    for target in targets:
        groups.setdefault(str(target.group), []).append((target.key, target.label))
    return [("", _("— do not import —")), *groups.items()]


class MappingForm(forms.Form):
    """One select per column of the file: the field it is imported into."""

    def __init__(self, *args, headers: list[str], targets: list[Target], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = _choices(targets)
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )

    def mapping(self) -> list[str]:
        return [
            self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))
        ]

    def columns(self):
        return [(i, header, self[f"col_{i}"]) for i, header in enumerate(self.headers)]
