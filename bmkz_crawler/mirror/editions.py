"""The two editions of the site: Russian at the root, Kazakh under /kz/.

Everything that differs between them (names, paths, printed forms, corpus) is data here, so
the generator and the renderer have one code path for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from bmkz_crawler.mirror import corpus_kk, corpus_ru

RU_MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
KK_MONTHS = (
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
    "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
)  # fmt: skip


@dataclass(frozen=True)
class Section:
    name: str
    slug: str


@dataclass(frozen=True)
class StaticPage:
    page_id: int
    slug: str
    title: str
    text: str


@dataclass(frozen=True)
class Edition:
    lang: str  # "ru" / "kk": the Article's language code
    html_lang: str
    locale: str  # og:locale
    prefix: str  # path prefix: "" or "kz/"
    home_name: str  # first menu entry
    crumb_home: str
    sections: tuple[Section, ...]  # the 8 menu sections after the home entry
    news: Section  # the usual primary category label, not in the menu
    months: tuple[str, ...]
    related_heading: str
    top_heading: str
    latest_heading: str
    author_prefix: str
    tags_label: str
    static_pages: tuple[StaticPage, ...]
    corpus: ModuleType
    feed_title: str
    not_found: str

    def views_text(self, views: int) -> str:
        """`4 518 просмотра` / `1 204 рет қаралды`, thousands separated by a no-break space."""
        number = f"{views:,}".replace(",", "\u00a0")
        if self.lang == "kk":
            return f"{number} рет қаралды"
        if views % 10 == 1 and views % 100 != 11:
            word = "просмотр"
        elif 2 <= views % 10 <= 4 and not 12 <= views % 100 <= 14:
            word = "просмотра"
        else:
            word = "просмотров"
        return f"{number} {word}"

    def printed_date(self, day: int, month: int, year: int) -> str:
        return f"{day} {self.months[month - 1]}, {year}"

    def dateline_date(self, day: int, month: int) -> str:
        return f"{day} {self.months[month - 1]}"


RU = Edition(
    lang="ru",
    html_lang="ru-RU",
    locale="ru_RU",
    prefix="",
    home_name="Главная",
    crumb_home="Главная страница",
    sections=(
        Section("Политика", "politika"),
        Section("Экономика", "ekonomika"),
        Section("Культура", "kultura"),
        Section("Спорт", "sport"),
        Section("Мир", "mir"),
        Section("ЧП", "chp"),
        Section("Общество", "obshhestvo"),
        Section("Криминал", "kriminal"),
    ),
    news=Section("Новости", "novosti"),
    months=RU_MONTHS_GENITIVE,
    related_heading="Продолжай читать",
    top_heading="ТОП посты",
    latest_heading="Новости",
    author_prefix="Автор",
    tags_label="Теги:",
    static_pages=(
        StaticPage(12, "o-nas", "О нас", "BM.KZ – информационное агентство. Пишите нам: info@bm.kz"),
        StaticPage(14, "kontakty", "Контакты", "Адрес редакции: Астана, проспект Мангилик Ел, 55."),
    ),
    corpus=corpus_ru,
    feed_title="BM.KZ",
    not_found="Страница не найдена",
)

KK = Edition(
    lang="kk",
    html_lang="kk-KZ",
    locale="kk_KZ",
    prefix="kz/",
    home_name="Басты бет",
    crumb_home="Басты бет",
    sections=(
        Section("Саясат", "sayasat"),
        Section("Экономика", "ekonomika-kz"),
        Section("Мәдениет", "madeniet"),
        Section("Спорт", "sport-kz"),
        Section("Әлем", "alem"),
        Section("ТЖ", "tzh"),
        Section("Қоғам", "qogam"),
        Section("Криминал", "kriminal-kz"),
    ),
    news=Section("Жаңалықтар", "zhanalyqtar"),
    months=KK_MONTHS,
    related_heading="Оқуды жалғастыр",
    top_heading="ТОП жазбалар",
    latest_heading="Жаңалықтар",
    author_prefix="Авторы",
    tags_label="Тегтер:",
    static_pages=(
        StaticPage(16, "biz-turaly", "Біз туралы", "BM.KZ – ақпараттық агенттік. Хат жазыңыз: info@bm.kz"),
        StaticPage(18, "bajlanys", "Байланыс", "Редакция мекенжайы: Астана, Мәңгілік Ел даңғылы, 55."),
    ),
    corpus=corpus_kk,
    feed_title="BM.KZ Қазақша",
    not_found="Бет табылмады",
)

EDITIONS: tuple[Edition, ...] = (RU, KK)
