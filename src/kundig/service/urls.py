from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", views.ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/change/", views.ticket_change, name="ticket_change"),
    path("tickets/<int:pk>/escalate/", views.ticket_escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/steps/<int:step>/", views.ticket_step, name="ticket_step"),
    path("tickets/<int:pk>/goodwill/", views.ticket_goodwill, name="ticket_goodwill"),
    path("tickets/<int:pk>/return/", views.ticket_return, name="ticket_return"),
    path("tickets/<int:pk>/merge/", views.ticket_merge, name="ticket_merge"),
    path(
        "tickets/<int:pk>/files/<int:attachment>/",
        views.ticket_attachment,
        name="ticket_attachment",
    ),
    path(
        "tickets/<int:pk>/split/<int:entry>/",
        views.ticket_split,
        name="ticket_split",
    ),
    path("tickets/goodwill/", views.goodwill_approvals, name="goodwill_approvals"),
    path("tickets/dashboard/", views.service_dashboard, name="dashboard"),
    path(
        "tickets/goodwill/<int:pk>/decide/",
        views.goodwill_decide,
        name="goodwill_decide",
    ),
    path("tickets/crisis-plans/", views.crisis_plan_list, name="crisis_plan_list"),
    path(
        "tickets/crisis-plans/new/", views.crisis_plan_edit, name="crisis_plan_create"
    ),
    path(
        "tickets/crisis-plans/<int:pk>/",
        views.crisis_plan_edit,
        name="crisis_plan_edit",
    ),
    path(
        "tickets/crisis-plans/<int:pk>/delete/",
        views.crisis_plan_delete,
        name="crisis_plan_delete",
    ),
    path("tickets/social-rules/", views.social_rule_list, name="social_rule_list"),
    path(
        "tickets/social-rules/new/", views.social_rule_edit, name="social_rule_create"
    ),
    path(
        "tickets/social-rules/<int:pk>/",
        views.social_rule_edit,
        name="social_rule_edit",
    ),
    path(
        "tickets/social-rules/<int:pk>/delete/",
        views.social_rule_delete,
        name="social_rule_delete",
    ),
    path("tickets/replies/", views.macro_list, name="macro_list"),
    path("tickets/replies/new/", views.macro_edit, name="macro_create"),
    path("tickets/replies/<int:pk>/", views.macro_edit, name="macro_edit"),
    path("tickets/replies/<int:pk>/delete/", views.macro_delete, name="macro_delete"),
    path("tickets/queues/", views.queue_list, name="queue_list"),
    path("tickets/queues/new/", views.queue_edit, name="queue_create"),
    path("tickets/queues/<int:pk>/", views.queue_edit, name="queue_edit"),
    path("tickets/service-levels/", views.sla_policy_list, name="sla_policy_list"),
    path(
        "tickets/service-levels/new/", views.sla_policy_edit, name="sla_policy_create"
    ),
    path(
        "tickets/service-levels/<int:pk>/",
        views.sla_policy_edit,
        name="sla_policy_edit",
    ),
    path(
        "tickets/service-levels/<int:pk>/delete/",
        views.sla_policy_delete,
        name="sla_policy_delete",
    ),
    path("contacts/<int:pk>/tickets/", views.contact_tickets, name="contact_tickets"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("chat/widget.js", views.chat_widget_js, name="chat_widget"),
    path("chat/", views.chat_page, name="chat_page"),
    path("chat/api/suggest/", views.chat_api_suggest, name="chat_suggest"),
    path("chat/api/start/", views.chat_api_start, name="chat_start"),
    path("chat/api/messages/", views.chat_api_messages, name="chat_messages"),
    path("contact/", views.contact_form, name="contact_form"),
    path("help/", views.help_index, name="help_index"),
    path("help/<slug:slug>/", views.help_article, name="help_article"),
    path("help/<slug:slug>/vote/", views.help_vote, name="help_vote"),
    path("tickets/articles/", views.article_list, name="article_list"),
    path("tickets/articles/new/", views.article_edit, name="article_create"),
    path("tickets/articles/<int:pk>/", views.article_edit, name="article_edit"),
    path(
        "tickets/articles/<int:pk>/delete/",
        views.article_delete,
        name="article_delete",
    ),
    path("portal/", views.portal_start, name="portal_start"),
    path("portal/in/<str:token>/", views.portal_enter, name="portal_enter"),
    path("portal/out/", views.portal_leave, name="portal_leave"),
    path("portal/home/", views.portal_home, name="portal_home"),
    path("portal/orders/<int:pk>/", views.portal_order, name="portal_order"),
    path(
        "portal/returns/<int:pk>/sent/",
        views.portal_return_sent,
        name="portal_return_sent",
    ),
    path("portal/tickets/<int:pk>/", views.portal_ticket, name="portal_ticket"),
]
