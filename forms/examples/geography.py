"""Oblasts, rayons and ayil aimaks of southern Kyrgyzstan for the location cascade.

Every rayon and city of oblast significance of Batken, Osh and Jalal-Abad oblasts is listed
(Osh oblast has none). The city of Osh is of republican significance, outside Osh oblast, so
it sits beside the oblasts, as official statistics count it. A city takes a place at each
level below its own (city, then its own LSG) so that the cascade always has an answer. The
ayil aimaks are a selection (border communities first), not the full register of about 250
LSGs in the south: add the ones a deployment needs, keeping names as the State Agency spells
them. A place renamed or made a town keeps its old `name`, which submissions already store, and
only its label changes.
"""

from __future__ import annotations

from forms.examples.common import Row, Text

OBLASTS: list[tuple[str, Text]] = [
    ("batken", ("Баткен облусу", "Баткенская область", "Batken oblast")),
    ("osh", ("Ош облусу", "Ошская область", "Osh oblast")),
    ("jalal_abad", ("Жалал-Абад облусу", "Джалал-Абадская область", "Jalal-Abad oblast")),
    ("osh_city", ("Ош шаары", "город Ош", "Osh city")),
]

# (name, oblast, label)
RAYONS: list[tuple[str, str, Text]] = [
    ("batken_rayon", "batken", ("Баткен району", "Баткенский район", "Batken rayon")),
    ("kadamjay", "batken", ("Кадамжай району", "Кадамжайский район", "Kadamjay rayon")),
    ("leylek", "batken", ("Лейлек району", "Лейлекский район", "Leylek rayon")),
    ("batken_city", "batken", ("Баткен шаары", "город Баткен", "Batken city")),
    ("kyzyl_kiya", "batken", ("Кызыл-Кыя шаары", "город Кызыл-Кия", "Kyzyl-Kiya city")),
    ("sulukta", "batken", ("Сүлүктү шаары", "город Сулюкта", "Sulukta city")),
    ("alay", "osh", ("Алай району", "Алайский район", "Alay rayon")),
    ("aravan", "osh", ("Араван району", "Араванский район", "Aravan rayon")),
    ("chong_alay", "osh", ("Чоң-Алай району", "Чон-Алайский район", "Chong-Alay rayon")),
    ("kara_kulja", "osh", ("Кара-Кулжа району", "Кара-Кульджинский район", "Kara-Kulja rayon")),
    ("kara_suu", "osh", ("Кара-Суу району", "Кара-Суйский район", "Kara-Suu rayon")),
    ("nookat", "osh", ("Ноокат району", "Ноокатский район", "Nookat rayon")),
    ("uzgen", "osh", ("Өзгөн району", "Узгенский район", "Uzgen rayon")),
    ("aksy", "jalal_abad", ("Аксы району", "Аксыйский район", "Aksy rayon")),
    ("ala_buka", "jalal_abad", ("Ала-Бука району", "Ала-Букинский район", "Ala-Buka rayon")),
    (
        "bazar_korgon",
        "jalal_abad",
        ("Базар-Коргон району", "Базар-Коргонский район", "Bazar-Korgon rayon"),
    ),
    ("chatkal", "jalal_abad", ("Чаткал району", "Чаткальский район", "Chatkal rayon")),
    ("nooken", "jalal_abad", ("Ноокен району", "Ноокенский район", "Nooken rayon")),
    ("suzak", "jalal_abad", ("Сузак району", "Сузакский район", "Suzak rayon")),
    (
        "toguz_toro",
        "jalal_abad",
        ("Тогуз-Торо району", "Тогуз-Тороуский район", "Toguz-Toro rayon"),
    ),
    ("toktogul", "jalal_abad", ("Токтогул району", "Токтогульский район", "Toktogul rayon")),
    (
        "jalal_abad_city",
        "jalal_abad",
        ("Жалал-Абад шаары", "город Джалал-Абад", "Jalal-Abad city"),
    ),
    ("tash_kumyr", "jalal_abad", ("Таш-Көмүр шаары", "город Таш-Кумыр", "Tash-Kumyr city")),
    ("mailuu_suu", "jalal_abad", ("Майлуу-Суу шаары", "город Майлуу-Суу", "Mailuu-Suu city")),
    ("kara_kul", "jalal_abad", ("Кара-Көл шаары", "город Кара-Куль", "Kara-Kul city")),
    ("osh_city", "osh_city", ("Ош шаары", "город Ош", "Osh city")),
]

# (name, rayon, label). Towns and cities carry their own LSG, so they sit beside ayil aimaks.
AYIL_AIMAKS: list[tuple[str, str, Text]] = [
    ("ak_say", "batken_rayon", ("Ак-Сай", "Ак-Сай", "Ak-Say")),
    ("ak_tatyr", "batken_rayon", ("Ак-Татыр", "Ак-Татыр", "Ak-Tatyr")),
    ("kara_bak", "batken_rayon", ("Кара-Бак", "Кара-Бак", "Kara-Bak")),
    ("samarkandek", "batken_rayon", ("Самаркандек", "Самаркандек", "Samarkandek")),
    ("kadamjay_town", "kadamjay", ("Кадамжай шаары", "город Кадамжай", "Kadamjay town")),
    ("uch_korgon", "kadamjay", ("Үч-Коргон", "Уч-Коргон", "Uch-Korgon")),
    ("khalmion", "kadamjay", ("Халмион", "Халмион", "Khalmion")),
    ("orozbekov", "kadamjay", ("Орозбеков", "Орозбеков", "Orozbekov")),
    ("birlik", "kadamjay", ("Бирлик", "Бирлик", "Birlik")),
    # Isfana was renamed Razzakov by law in March 2022; people still say Isfana.
    (
        "isfana_town",
        "leylek",
        (
            "Раззаков шаары (мурдагы Исфана)",
            "город Раззаков (бывш. Исфана)",
            "Razzakov town (formerly Isfana)",
        ),
    ),
    ("ak_suu_leylek", "leylek", ("Ак-Суу", "Ак-Суу", "Ak-Suu")),
    ("besh_kent", "leylek", ("Беш-Кент", "Беш-Кент", "Besh-Kent")),
    ("katran", "leylek", ("Катран", "Катран", "Katran")),
    ("kulundu", "leylek", ("Кулунду", "Кулунду", "Kulundu")),
    ("sumbula", "leylek", ("Сумбула", "Сумбула", "Sumbula")),
    ("toguz_bulak", "leylek", ("Тогуз-Булак", "Тогуз-Булак", "Toguz-Bulak")),
    ("batken_city_lsg", "batken_city", ("Баткен шаары", "город Баткен", "Batken city")),
    ("kyzyl_kiya_city", "kyzyl_kiya", ("Кызыл-Кыя шаары", "город Кызыл-Кия", "Kyzyl-Kiya city")),
    ("sulukta_city", "sulukta", ("Сүлүктү шаары", "город Сулюкта", "Sulukta city")),
    # Gulcha ayil aimak became a town of rayon significance by law in October 2025.
    ("gulcha", "alay", ("Гүлчө шаары", "город Гульча", "Gulcha town")),
    ("sopu_korgon", "alay", ("Сопу-Коргон", "Сопу-Коргон", "Sopu-Korgon")),
    ("taldy_suu", "alay", ("Талды-Суу", "Талды-Суу", "Taldy-Suu")),
    ("korul", "alay", ("Корул", "Корул", "Korul")),
    ("alla_anarov", "aravan", ("Алля Анаров", "Алля-Анаров", "Alla Anarov")),
    ("mangyt", "aravan", ("Маңгыт", "Мангыт", "Mangyt")),
    ("kerme_too", "aravan", ("Керме-Тоо", "Керме-Тоо", "Kerme-Too")),
    ("daroot_korgon", "chong_alay", ("Дароот-Коргон", "Дароот-Коргон", "Daroot-Korgon")),
    ("kashka_suu", "chong_alay", ("Кашка-Суу", "Кашка-Суу", "Kashka-Suu")),
    ("jekendi", "chong_alay", ("Жекенди", "Джекенди", "Jekendi")),
    ("karamyk", "chong_alay", ("Карамык", "Карамык", "Karamyk")),
    ("kara_kulja_aa", "kara_kulja", ("Кара-Кулжа", "Кара-Кульджа", "Kara-Kulja")),
    ("alaykuu", "kara_kulja", ("Алайкуу", "Алайку", "Alaykuu")),
    (
        "ryspay_abdykadyrov",
        "kara_kulja",
        ("Рыспай Абдыкадыров", "Рыспай Абдыкадыров", "Ryspay Abdykadyrov"),
    ),
    ("kara_suu_town", "kara_suu", ("Кара-Суу шаары", "город Кара-Суу", "Kara-Suu town")),
    ("kashkar_kyshtak", "kara_suu", ("Кашкар-Кыштак", "Кашкар-Кыштак", "Kashkar-Kyshtak")),
    ("mady", "kara_suu", ("Мады", "Мады", "Mady")),
    ("nariman", "kara_suu", ("Нариман", "Нариман", "Nariman")),
    ("papan", "kara_suu", ("Папан", "Папан", "Papan")),
    ("nookat_town", "nookat", ("Ноокат шаары", "город Ноокат", "Nookat town")),
    ("jany_nookat", "nookat", ("Жаңы-Ноокат", "Джаны-Ноокат", "Jany-Nookat")),
    ("gulstan", "nookat", ("Гүлстан", "Гулистан", "Gulistan")),
    ("bel", "nookat", ("Бел", "Бел", "Bel")),
    ("on_eki_bel", "nookat", ("Он Эки-Бел", "Он-Эки-Бел", "On-Eki-Bel")),
    ("uzgen_town", "uzgen", ("Өзгөн шаары", "город Узген", "Uzgen town")),
    ("jalpak_tash", "uzgen", ("Жалпак-Таш", "Джалпак-Таш", "Jalpak-Tash")),
    ("bash_dobo", "uzgen", ("Баш-Дөбө", "Баш-Дёбё", "Bash-Dobo")),
    ("kyzyl_oktyabr", "uzgen", ("Кызыл-Октябрь", "Кызыл-Октябрь", "Kyzyl-Oktyabr")),
    ("kerben_town", "aksy", ("Кербен шаары", "город Кербен", "Kerben town")),
    ("ak_jol", "aksy", ("Ак-Жол", "Ак-Жол", "Ak-Jol")),
    ("avletim", "aksy", ("Авлетим", "Авлетим", "Avletim")),
    ("jany_jol_aksy", "aksy", ("Жаңы-Жол", "Джаны-Джол", "Jany-Jol")),
    ("kara_jygach", "aksy", ("Кара-Жыгач", "Кара-Джыгач", "Kara-Jygach")),
    ("kosh_dobo", "aksy", ("Кош-Дөбө", "Кош-Дёбё", "Kosh-Dobo")),
    ("ala_buka_aa", "ala_buka", ("Ала-Бука", "Ала-Бука", "Ala-Buka")),
    ("baltagulov", "ala_buka", ("Т. Балтагулов", "Т. Балтагулов", "T. Baltagulov")),
    # The Bazar-Korgon ayil aimak became Bazar-Korgon town by law in February 2021.
    (
        "bazar_korgon_aa",
        "bazar_korgon",
        ("Базар-Коргон шаары", "город Базар-Коргон", "Bazar-Korgon town"),
    ),
    ("akman", "bazar_korgon", ("Акман", "Акман", "Akman")),
    ("arstanbap", "bazar_korgon", ("Арстанбап", "Арсланбоб", "Arslanbob")),
    ("chatkal_aa", "chatkal", ("Чаткал", "Чаткал", "Chatkal")),
    ("sumsar", "chatkal", ("Сумсар", "Сумсар", "Sumsar")),
    ("kochkor_ata_town", "nooken", ("Кочкор-Ата шаары", "город Кочкор-Ата", "Kochkor-Ata town")),
    ("massy", "nooken", ("Масы", "Масы", "Massy")),
    ("suzak_aa", "suzak", ("Сузак", "Сузак", "Suzak")),
    ("barpy", "suzak", ("Барпы", "Барпы", "Barpy")),
    ("s_atabekov", "suzak", ("С. Атабеков", "С. Атабеков", "S. Atabekov")),
    ("kazarman", "toguz_toro", ("Казарман", "Казарман", "Kazarman")),
    ("toktogul_town", "toktogul", ("Токтогул шаары", "город Токтогул", "Toktogul town")),
    ("uch_terek", "toktogul", ("Үч-Терек", "Уч-Терек", "Uch-Terek")),
    ("bel_aldy", "toktogul", ("Бел-Алды", "Бел-Алды", "Bel-Aldy")),
    ("cholpon_ata_toktogul", "toktogul", ("Чолпон-Ата", "Чолпон-Ата", "Cholpon-Ata")),
    (
        "jalal_abad_city_lsg",
        "jalal_abad_city",
        ("Жалал-Абад шаары", "город Джалал-Абад", "Jalal-Abad city"),
    ),
    ("tash_kumyr_city", "tash_kumyr", ("Таш-Көмүр шаары", "город Таш-Кумыр", "Tash-Kumyr city")),
    ("mailuu_suu_city", "mailuu_suu", ("Майлуу-Суу шаары", "город Майлуу-Суу", "Mailuu-Suu city")),
    ("kara_kul_city", "kara_kul", ("Кара-Көл шаары", "город Кара-Куль", "Kara-Kul city")),
    ("osh_city_lsg", "osh_city", ("Ош шаары", "город Ош", "Osh city")),
]


def location_choices() -> list[Row]:
    """Choice rows of the oblast, rayon and ayil_aimak lists, with their filter columns."""
    rows: list[Row] = [{"list_name": "oblast", "name": n, "label": lb} for n, lb in OBLASTS]
    rows += [{"list_name": "rayon", "name": n, "oblast": o, "label": lb} for n, o, lb in RAYONS]
    rows += [
        {"list_name": "ayil_aimak", "name": n, "rayon": r, "label": lb} for n, r, lb in AYIL_AIMAKS
    ]
    return rows
