"""Ready-made message templates that other apps ship (playbooks, surveys)."""

from __future__ import annotations

# key -> (name, purpose, {language: (subject, html)})
Templates = dict[str, tuple[str, str, dict[str, tuple[str, str]]]]


def install_templates(apps, templates: Templates) -> int:
    """Add the templates of ``templates`` that are missing; return how many.

    Works with a migration's historical models (``apps``) and the real ones;
    a template that exists (by key) is left as its users changed it.
    """
    template_model = apps.get_model("messaging", "MessageTemplate")
    content_model = apps.get_model("messaging", "TemplateContent")
    added = 0
    for key, (name, purpose, contents) in templates.items():
        template, created = template_model.objects.get_or_create(
            key=key, defaults={"name": name, "purpose": purpose}
        )
        if not created:
            continue
        added += 1
        for language, (subject, html) in contents.items():
            content_model.objects.create(
                template=template, language=language, subject=subject, html=html
            )
    return added
