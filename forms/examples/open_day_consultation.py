"""Source of `open_day_consultation.xlsx`: one Open Day for Peace consultation and its outcomes."""

from __future__ import annotations

from forms.examples.common import (
    NOT_IN_FUTURE,
    OTHER,
    Row,
    XlsFormSource,
    choice_list,
    location_rows,
    required,
    sex_age_counts,
    specify_other,
)
from forms.examples.geography import location_choices

_COUNTS, _SUM_OF_COUNTS = sex_age_counts("14_17")

SURVEY: list[Row] = [
    required(
        {
            "type": "date",
            "name": "consultation_date",
            "label": ("Консультация өткөн күн", "Дата консультации", "Date of the consultation"),
            "constraint": ". <= today()",
            "constraint_message": NOT_IN_FUTURE,
        }
    ),
    *location_rows(("Өткөрүлгөн жери", "Место проведения", "Venue")),
    required(
        {
            "type": "select_one organiser",
            "name": "organiser",
            "label": ("Уюштуруучу", "Организатор", "Organiser"),
            "hint": (
                "Иш-чараны ким уюштурду? Бир нече уюштуруучу болсо, негизгисин тандаңыз.",
                "Кто организовал встречу? Если организаторов несколько, выберите основного.",
                "Who organised the meeting? If there were several, choose the lead one.",
            ),
        }
    ),
    specify_other("organiser_other", "organiser"),
    {
        "type": "begin_group",
        "name": "participants",
        "label": ("Катышуучулар", "Участники", "Participants"),
        "hint": (
            "Катышуучулардын тизмеси боюнча санаңыз; ар бир адамды бир жолу гана эсептеңиз.",
            "Считайте по листу регистрации; каждого человека — один раз.",
            "Count from the attendance sheet; each person once.",
        ),
    },
    *_COUNTS,
    {"type": "calculate", "name": "counted_total", "calculation": _SUM_OF_COUNTS},
    required(
        {
            "type": "integer",
            "name": "participants_total",
            "label": ("Катышуучулардын жалпы саны", "Всего участников", "Total participants"),
            "constraint": ". >= 0 and . = ${counted_total}",
            "constraint_message": (
                "Жалпы сан жынысы жана жашы боюнча сандардын суммасына барабар болушу керек.",
                "Общее число должно равняться сумме чисел по полу и возрасту.",
                "The total must equal the sum of the counts by sex and age.",
            ),
        }
    ),
    required(
        {
            "type": "integer",
            "name": "participants_with_disabilities",
            "label": (
                "Алардын ичинен ден соолугунун мүмкүнчүлүгү чектелген катышуучулар",
                "Из них участников с инвалидностью",
                "Of whom participants with disabilities",
            ),
            "constraint": ". >= 0 and . <= ${participants_total}",
            "constraint_message": (
                "Бул сан терс боло албайт жана жалпы сандан ашпашы керек.",
                "Число не может быть отрицательным или больше общего числа участников.",
                "The number cannot be negative or larger than the total.",
            ),
            "default": "0",
        }
    ),
    {"type": "end_group", "name": "participants"},
    required(
        {
            "type": "select_multiple topic",
            "name": "topics",
            "label": ("Көтөрүлгөн темалар", "Поднятые темы", "Topics raised"),
            "hint": (
                "Талкууланган темалардын баарын белгилеңиз.",
                "Отметьте все темы, которые обсуждались.",
                "Select every topic that was discussed.",
            ),
        }
    ),
    {
        "type": "begin_repeat",
        "name": "recommendation",
        "label": ("Сунуш", "Рекомендация", "Recommendation"),
    },
    required(
        {
            "type": "text",
            "name": "text",
            "label": ("Сунуштун мазмуну", "Текст рекомендации", "Recommendation"),
            "hint": (
                "Катышуучулар айткандай жазыңыз; жеке адамдардын аты-жөнүн көрсөтпөңүз.",
                "Запишите так, как сформулировали участники; без имён частных лиц.",
                "As the participants put it; no names of private persons.",
            ),
            "appearance": "multiline",
        }
    ),
    required(
        {
            "type": "select_one addressee",
            "name": "addressee",
            "label": ("Кимге багытталган", "Кому адресована", "Addressed to"),
        }
    ),
    specify_other("addressee_other", "addressee"),
    {"type": "end_repeat", "name": "recommendation"},
    {
        "type": "image",
        "parameters": "max-pixels=1280",
        "name": "photo_1",
        "label": ("Иш-чаранын сүрөтү", "Фото мероприятия", "Photo of the meeting"),
        "hint": (
            "Сүрөткө түшкөндөрдүн макулдугу менен гана тартыңыз; балдардын жүзү көрүнбөсүн.",
            "Только с согласия людей на снимке; лица детей не должны быть видны.",
            "Only with the consent of the people shown; children's faces must not be visible.",
        ),
    },
    {
        "type": "image",
        "parameters": "max-pixels=1280",
        "name": "photo_2",
        "label": ("Дагы бир сүрөт", "Ещё одно фото", "Another photo"),
        "relevant": "${photo_1} != ''",
    },
]

TOPICS = choice_list(
    "topic",
    [
        (
            "radicalisation",
            (
                "Радикалдашуу жана зордук-зомбулук экстремизми",
                "Радикализация и насильственный экстремизм",
                "Radicalisation and violent extremism",
            ),
        ),
        (
            "cross_border",
            (
                "Чек арадагы окуялар жана чыр-чатактар",
                "Приграничные инциденты и конфликты",
                "Cross-border incidents and conflicts",
            ),
        ),
        (
            "inter_ethnic",
            (
                "Этностор аралык мамилелер жана толеранттуулук",
                "Межэтнические отношения и толерантность",
                "Inter-ethnic relations and tolerance",
            ),
        ),
        (
            "political_participation",
            (
                "Аялдардын саясатка катышуусу жана чечим кабыл алуусу",
                "Политическое участие женщин и принятие решений",
                "Women's political participation and decision-making",
            ),
        ),
        (
            "social_norms",
            (
                "Коомдук нормалар жана гендердик стереотиптер",
                "Социальные нормы и гендерные стереотипы",
                "Social norms and gender stereotypes",
            ),
        ),
        (
            "education",
            (
                "Билим берүү жана укуктар тууралуу маалымдуулук",
                "Образование и знание своих прав",
                "Education and knowledge of rights",
            ),
        ),
        ("labour_migration", ("Эмгек миграциясы", "Трудовая миграция", "Labour migration")),
        (
            "natural_resources",
            (
                "Жаратылыш ресурстары (суу, жер, жайыт)",
                "Природные ресурсы (вода, земля, пастбища)",
                "Natural resources (water, land, pastures)",
            ),
        ),
        (
            "emergencies",
            (
                "Өзгөчө кырдаалдар жана табигый кырсыктар",
                "Чрезвычайные ситуации и стихийные бедствия",
                "Emergencies and natural disasters",
            ),
        ),
    ],
)

ORGANISERS = choice_list(
    "organiser",
    [
        (
            "lsg",
            (
                "Жергиликтүү өз алдынча башкаруу органы (айыл өкмөтү)",
                "Орган местного самоуправления (айыл окмоту)",
                "Local self-government (ayil okmotu)",
            ),
        ),
        (
            "women_initiative_group",
            ("Аялдардын демилгелүү тобу", "Женская инициативная группа", "Women Initiative Group"),
        ),
        (
            "ngo",
            (
                "Коомдук уюм",
                "Общественная организация",
                "NGO or civil society organisation",
            ),
        ),
        ("other", OTHER),
    ],
)

ADDRESSEES = choice_list(
    "addressee",
    [
        ("lsg", ("Айыл өкмөтү", "Айыл окмоту", "LSG executive (ayil okmotu)")),
        ("local_council", ("Айылдык кеңеш", "Айылный кенеш", "Local council (ayil kenesh)")),
        (
            "rayon_administration",
            (
                "Райондук мамлекеттик администрация",
                "Районная государственная администрация",
                "Rayon state administration",
            ),
        ),
        ("police", ("Милиция", "Милиция", "Police")),
        ("border_service", ("Чек ара кызматы", "Пограничная служба", "Border service")),
        (
            "ministry",
            (
                "Министрлик же мамлекеттик агенттик",
                "Министерство или государственное агентство",
                "Ministry or state agency",
            ),
        ),
        (
            "parliament",
            ("Жогорку Кеңеш", "Жогорку Кенеш", "Parliament (Jogorku Kenesh)"),
        ),
        (
            "international",
            (
                "Эл аралык уюмдар жана донорлор",
                "Международные организации и доноры",
                "International organisations and donors",
            ),
        ),
        ("community", ("Жергиликтүү жамаат", "Местное сообщество", "Local community")),
        ("other", OTHER),
    ],
)

FORM = XlsFormSource(
    name="open_day_consultation",
    title="Open Day for Peace: consultation",
    version="2026113002",
    survey=SURVEY,
    choices=[*location_choices(), *ORGANISERS, *TOPICS, *ADDRESSEES],
)
