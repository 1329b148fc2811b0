from django.urls import path

from .views import home, profile, tasks, timeline

app_name = "activity"

urlpatterns = [
    path("", home.home, name="home"),
    path("contacts/<int:pk>/", profile.contact_detail, name="contact_detail"),
    path(
        "contacts/<int:pk>/timeline/",
        timeline.contact_timeline,
        name="contact_timeline",
    ),
    path("contacts/<int:pk>/log/", timeline.contact_log, name="contact_log"),
    path("contacts/<int:pk>/task/", tasks.contact_task, name="contact_task"),
    path("companies/<int:pk>/", profile.company_detail, name="company_detail"),
    path(
        "companies/<int:pk>/timeline/",
        timeline.company_timeline,
        name="company_timeline",
    ),
    path("companies/<int:pk>/log/", timeline.company_log, name="company_log"),
    path("companies/<int:pk>/task/", tasks.company_task, name="company_task"),
    path("timeline/<int:pk>/", timeline.entry_detail, name="entry_detail"),
    path("timeline/<int:pk>/edit/", timeline.entry_edit, name="entry_edit"),
    path("timeline/<int:pk>/delete/", timeline.entry_delete, name="entry_delete"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", tasks.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
]
