"""Source of `local_action_plan_activity.xlsx`: one activity of an LSG's local action plan.

Each submission creates an entity in the `lap_activities` list, which
`update_lap_activity` then updates from officers' phones.
"""

from __future__ import annotations

from forms.examples.common import (
    NON_NEGATIVE,
    OTHER,
    Row,
    Text,
    XlsFormSource,
    choice_list,
    location_rows,
    required,
    specify_other,
)
from forms.examples.geography import location_choices

ENTITY_LIST = "lap_activities"

BUDGET_HINT: Text = (
    "Бардык булактардан, кыргыз сому менен; каражат жок болсо — 0.",
    "Из всех источников, в сомах; если средств нет — 0.",
    "From all sources, in Kyrgyz som; 0 if there is none.",
)
PROGRESS_MESSAGE: Text = (
    "0дөн 100гө чейинки пайызды жазыңыз; аткарылган иш-чара үчүн — 100.",
    "Укажите процент от 0 до 100; у выполненного мероприятия — 100.",
    "Enter a percentage from 0 to 100; a completed activity is at 100.",
)


def status_row() -> Row:
    """The activity status question, saved to the entity."""
    return required(
        {
            "type": "select_one status",
            "name": "status",
            "label": ("Абалы", "Статус", "Status"),
            "save_to": "status",
        }
    )


def progress_row() -> Row:
    """Progress in percent, 0 to 100, and 100 once the activity is completed."""
    return required(
        {
            "type": "integer",
            "name": "progress",
            "label": ("Аткарылышы, %", "Выполнение, %", "Progress, %"),
            "constraint": ". >= 0 and . <= 100 and (${status} != 'completed' or . = 100)",
            "constraint_message": PROGRESS_MESSAGE,
            "save_to": "progress",
        }
    )


def budget_spent_row() -> Row:
    """Money spent so far, in som, saved to the entity."""
    return required(
        {
            "type": "decimal",
            "name": "budget_spent",
            "label": ("Сарпталган каражат, сом", "Израсходовано, сом", "Spent so far, som"),
            "hint": BUDGET_HINT,
            "constraint": ". >= 0",
            "constraint_message": NON_NEGATIVE,
            "save_to": "budget_spent",
        }
    )


EVIDENCE_PHOTO: Row = {
    "type": "image",
    "parameters": "max-pixels=1280",
    "name": "evidence_photo",
    "label": ("Далил катары сүрөт", "Фото-подтверждение", "Evidence photo"),
    "hint": (
        "Натыйжанын же иш-чаранын сүрөтү; жеке маалыматтар (тизмелер, документтер) көрүнбөсүн.",
        "Фото результата или мероприятия; без личных данных (списков, документов) в кадре.",
        "A photo of the result or the event; no personal data (lists, documents) in view.",
    ),
}

SURVEY: list[Row] = [
    *location_rows(
        ("Жергиликтүү өз алдынча башкаруу", "Местное самоуправление", "Local self-government"),
        save_to=True,
    ),
    required(
        {
            "type": "select_one goal",
            "name": "goal",
            "label": (
                "Улуттук иш-аракеттер планынын (2018–2020) максаты",
                "Цель НПД 2018–2020",
                "NAP 2018–2020 goal",
            ),
            "hint": (
                "БУУнун Коопсуздук Кеңешинин 1325-резолюциясы боюнча Улуттук иш-аракеттер планы.",
                "Национальный план действий по резолюции СБ ООН 1325.",
                "National Action Plan on UN Security Council Resolution 1325.",
            ),
            "save_to": "goal",
        }
    ),
    required(
        {
            "type": "select_one task",
            "name": "task",
            "label": ("Улуттук иш-аракеттер планынын милдети", "Задача НПД", "NAP task"),
            "choice_filter": "goal = ${goal}",
            "save_to": "task",
        }
    ),
    required(
        {
            "type": "text",
            "name": "activity_name",
            "label": ("Иш-чара", "Мероприятие", "Activity"),
            "hint": (
                "Жаңыртуу формасында таанылгыдай кыска аталыш, мисалы: «Айылдык кеңешке "
                "талапкер аялдар үчүн лидерлик мектеби».",
                "Краткое название, по которому его узнают в форме обновления, например: "
                "«Школа лидерства для женщин — кандидатов в айылный кенеш».",
                "A short name officers will recognise in the update form, e.g. "
                "'Leadership school for women candidates to the ayil kenesh'.",
            ),
        }
    ),
    required(
        {
            "type": "select_one responsible",
            "name": "responsible",
            "label": ("Жооптуу орган", "Ответственный орган", "Responsible body"),
            "save_to": "responsible",
        }
    ),
    specify_other("responsible_other", "responsible"),
    {
        "type": "date",
        "name": "due_date",
        "label": ("Аяктоо мөөнөтү", "Срок завершения", "Due date"),
        "save_to": "due_date",
    },
    required(
        {
            "type": "decimal",
            "name": "budget_planned",
            "label": (
                "Пландалган бюджет, сом",
                "Запланированный бюджет, сом",
                "Planned budget, som",
            ),
            "hint": BUDGET_HINT,
            "constraint": ". >= 0",
            "constraint_message": NON_NEGATIVE,
            "save_to": "budget_planned",
        }
    ),
    budget_spent_row(),
    status_row(),
    progress_row(),
    required(
        {
            "type": "integer",
            "name": "women_participants",
            "label": (
                "Катышкан аялдардын саны",
                "Число участвовавших женщин",
                "Women who took part",
            ),
            "hint": (
                "Азырынча эч ким катышпаса — 0.",
                "Если участниц пока нет — 0.",
                "0 if nobody has taken part yet.",
            ),
            "constraint": ". >= 0",
            "constraint_message": NON_NEGATIVE,
            "save_to": "women_participants",
        }
    ),
    EVIDENCE_PHOTO,
]

GOALS = choice_list(
    "goal",
    [
        (
            "goal_1",
            (
                "1-максат. Тынчтыкты жана коопсуздукту сактоого багытталган ишмердүүлүктө, анын "
                "ичинде чечим кабыл алуу деңгээлинде, аялдардын ролун жана катышуусун күчөтүү",
                "Цель 1. Усиление роли и участия женщин в деятельности по сохранению мира и "
                "безопасности, в том числе на уровне принятия решений",
                "Goal 1. Strengthened role and participation of women in activity aimed at "
                "preserving peace and security, including at the decision-making level",
            ),
        ),
        (
            "goal_2",
            (
                "2-максат. Чыр-чатактардын жана аялдарга, кыздарга карата зордук-зомбулук "
                "коркунучтарынын алдын алууда мамлекеттик органдардын, ЖӨБ органдарынын жана "
                "жарандык коомдун өз ара аракеттенүүсүн күчөтүү",
                "Цель 2. Усиление взаимодействия государственных органов, ОМСУ и гражданского "
                "общества в предупреждении конфликтов и рисков насилия в отношении женщин и "
                "девочек",
                "Goal 2. Strengthened interaction of state agencies, LSGs and the civil society "
                "for the prevention of conflicts and risks of violence towards women and girls",
            ),
        ),
        (
            "goal_3",
            (
                "3-максат. Өзгөчө кырдаалдарда аялдарды жана кыздарды коргоо жана алардын "
                "өзгөчө муктаждыктарын канааттандыруу системасын өркүндөтүү",
                "Цель 3. Совершенствование системы защиты и удовлетворения особых потребностей "
                "женщин и девочек в чрезвычайных ситуациях",
                "Goal 3. Improvement of the system of protection and meeting the special needs "
                "of women and girls in emergencies",
            ),
        ),
    ],
)


def _task(name: str, goal: str, label: Text) -> Row:
    return {"list_name": "task", "name": name, "goal": goal, "label": label}


# The seven tasks (long-term measures) of NAP 2018-2020, worded as in the UN Women report.
TASKS: list[Row] = [
    _task(
        "task_1_1",
        "goal_1",
        (
            "1.1. Жергиликтүү бийлик жана өз алдынча башкаруу органдарында аялдардын "
            "өкүлчүлүгүн көбөйтүү",
            "1.1. Увеличение представленности женщин в органах местной власти и самоуправления",
            "1.1. Increased representation of women in local administration and self-government",
        ),
    ),
    _task(
        "task_1_2",
        "goal_1",
        (
            "1.2. Зордук-зомбулук экстремизмине жана терроризмге алып баруучу диний "
            "радикалдашуунун коркунучтарын азайтуу үчүн аялдардын катышуусун кеңейтүү жана "
            "аялдардын демилгелерин, анын ичинде жергиликтүү деңгээлде, колдоо",
            "1.2. Расширение участия женщин и поддержка женских инициатив, в том числе на "
            "местном уровне, для снижения рисков религиозной радикализации, ведущей к "
            "насильственному экстремизму и терроризму",
            "1.2. Increasing the participation of women and supporting women's initiatives, "
            "including those at the local level, to reduce the risks of religious radicalization "
            "leading to violent extremism and terrorism",
        ),
    ),
    _task(
        "task_2_1",
        "goal_2",
        (
            "2.1. Ыйгарым укуктуу мамлекеттик органдардын чыр-чатактардын жана аялдарга, "
            "кыздарга карата зордук-зомбулук коркунучтарынын алдын алуу боюнча мүмкүнчүлүгүн "
            "жана даярдыгын жогорулатуу",
            "2.1. Повышение потенциала и готовности уполномоченных государственных органов к "
            "предупреждению конфликтов и рисков насилия в отношении женщин и девочек",
            "2.1. Increased capacity and preparedness of authorized state agencies to prevent "
            "conflicts and risks of violence against women and girls",
        ),
    ),
    _task(
        "task_2_2",
        "goal_2",
        (
            "2.2. Тынчтыкты жана коопсуздукту камсыз кылууда мамлекеттик органдардын, ЖӨБ "
            "органдарынын жана жарандык коомдун өз ара аракеттенүүсүн күчөтүү",
            "2.2. Усиление взаимодействия государственных органов, ОМСУ и гражданского "
            "общества в обеспечении мира и безопасности",
            "2.2. Strengthened interaction of state bodies, LSGs and the civil society in "
            "ensuring peace and security",
        ),
    ),
    _task(
        "task_2_3",
        "goal_2",
        (
            "2.3. Кыздарды жана балдарды зордук-зомбулуксуз маданиятка, гендердик "
            "адилеттүүлүккө жана өз ара урматтоого окутуу аркылуу алардын мүмкүнчүлүктөрүн "
            "жогорулатуу",
            "2.3. Повышение потенциала девочек и мальчиков через обучение культуре ненасилия, "
            "гендерной справедливости и взаимного уважения",
            "2.3. Increasing the capacity of girls and boys through training in the culture of "
            "non violence, gender justice, and mutual respect",
        ),
    ),
    _task(
        "task_3_1",
        "goal_3",
        (
            "3.1. Өзгөчө кырдаалдарда аялдарды жана кыздарды коргоону камсыз кылуу жана "
            "алардын өзгөчө муктаждыктарын эске алуу милдеттерин эске алуу менен ыйгарым "
            "укуктуу органдардын даярдыгын жогорулатуу",
            "3.1. Повышение готовности уполномоченных органов с учётом задач по обеспечению "
            "защиты и учёту особых потребностей женщин и девочек в чрезвычайных ситуациях",
            "3.1. Increase the readiness of authorized agencies, taking into account the tasks "
            "to ensure protection and take into account the special needs of women and girls "
            "in emergencies",
        ),
    ),
    _task(
        "task_3_2",
        "goal_3",
        (
            "3.2. Өзгөчө кырдаалдардан жабыр тарткандарга, анын ичинде аялдарга жана "
            "балдарга, көрсөтүлүүчү кызматтардын сапатын жакшыртуу",
            "3.2. Повышение качества услуг, оказываемых пострадавшим от чрезвычайных "
            "ситуаций, в том числе женщинам и детям",
            "3.2. Improved quality of services delivered to the victims of emergencies, "
            "including women and children",
        ),
    ),
]

RESPONSIBLE = choice_list(
    "responsible",
    [
        ("lsg", ("Айыл өкмөтү", "Айыл окмоту", "LSG executive (ayil okmotu)")),
        ("local_council", ("Айылдык кеңеш", "Айылный кенеш", "Local council (ayil kenesh)")),
        (
            "women_initiative_group",
            ("Аялдардын демилгелүү тобу", "Женская инициативная группа", "Women Initiative Group"),
        ),
        (
            "rayon_administration",
            (
                "Райондук мамлекеттик администрация",
                "Районная государственная администрация",
                "Rayon state administration",
            ),
        ),
        ("police", ("Милиция", "Милиция", "Police")),
        (
            "emergencies",
            (
                "Өзгөчө кырдаалдар министрлиги",
                "Министерство чрезвычайных ситуаций",
                "Ministry of Emergency Situations",
            ),
        ),
        (
            "school",
            (
                "Мектеп же билим берүү бөлүмү",
                "Школа или отдел образования",
                "School or education department",
            ),
        ),
        (
            "social_development",
            (
                "Социалдык өнүктүрүү бөлүмү",
                "Управление социального развития",
                "Social development department",
            ),
        ),
        ("ngo", ("Коомдук уюм", "Общественная организация", "NGO or civil society organisation")),
        ("other", OTHER),
    ],
)

STATUSES = choice_list(
    "status",
    [
        ("planned", ("Пландалган", "Запланировано", "Planned")),
        ("in_progress", ("Аткарылып жатат", "Выполняется", "In progress")),
        ("completed", ("Аткарылды", "Выполнено", "Completed")),
        ("cancelled", ("Жокко чыгарылды", "Отменено", "Cancelled")),
    ],
)

FORM = XlsFormSource(
    name="local_action_plan_activity",
    title="Local action plan activity",
    version="2026113002",
    survey=SURVEY,
    choices=[*location_choices(), *GOALS, *TASKS, *RESPONSIBLE, *STATUSES],
    entities=[{"list_name": ENTITY_LIST, "label": "${activity_name}"}],
)
