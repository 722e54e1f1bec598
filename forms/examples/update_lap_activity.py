"""Source of `update_lap_activity.xlsx`: an officer updates one local action plan activity.

The activity is picked from the `lap_activities` entity list (delivered to the phone as
`lap_activities.csv`, only the rows of the officer's ayil aimak); `entity_id` makes every
submission an update of that entity's status, progress and spending.
"""

from __future__ import annotations

from forms.examples.common import Row, XlsFormSource
from forms.examples.local_action_plan_activity import (
    ENTITY_LIST,
    EVIDENCE_PHOTO,
    STATUSES,
    budget_spent_row,
    progress_row,
    status_row,
)


def _current(prop: str) -> str:
    """XPath to a property of the chosen activity in the attached entity list."""
    return f"instance('{ENTITY_LIST}')/root/item[name = ${{activity}}]/{prop}"


SURVEY: list[Row] = [
    {
        "type": f"select_one_from_file {ENTITY_LIST}.csv",
        "name": "activity",
        "label": ("Иш-чара", "Мероприятие", "Activity"),
        "hint": (
            "Тизмеде сиздин айыл аймагыңыздын иш-чаралары гана бар.",
            "В списке только мероприятия вашего айыльного аймака.",
            "Only the activities of your ayil aimak are listed.",
        ),
        "required": "yes",
        "required_message": (
            "Иш-чараны тандаңыз.",
            "Выберите мероприятие.",
            "Choose an activity.",
        ),
    },
    {"type": "calculate", "name": "current_progress", "calculation": _current("progress")},
    {"type": "calculate", "name": "current_spent", "calculation": _current("budget_spent")},
    {
        "type": "note",
        "name": "current_note",
        "label": (
            "Акыркы маалымат боюнча: аткарылышы ${current_progress}%, "
            "сарпталганы ${current_spent} сом.",
            "По последним данным: выполнено ${current_progress}%, "
            "израсходовано ${current_spent} сом.",
            "Last recorded: ${current_progress}% done, ${current_spent} som spent.",
        ),
        "relevant": "${activity} != ''",
    },
    status_row(),
    progress_row(),
    budget_spent_row(),
    {
        "type": "text",
        "name": "update_note",
        "label": ("Эскертүү", "Комментарий", "Note"),
        "hint": (
            "Акыркы жолкудан бери эмне өзгөрдү? Жеке адамдардын аты-жөнүн жазбаңыз.",
            "Что изменилось с прошлого раза? Без имён частных лиц.",
            "What has changed since the last update? No names of private persons.",
        ),
        "appearance": "multiline",
        "save_to": "last_note",
    },
    EVIDENCE_PHOTO,
]

FORM = XlsFormSource(
    name="update_lap_activity",
    title="Update a local action plan activity",
    version="2026112901",
    survey=SURVEY,
    choices=STATUSES,
    entities=[{"list_name": ENTITY_LIST, "entity_id": "${activity}"}],
)
