"""So funktioniert's: the how-to library (content/articles.py) at the kiosk.

The library lists the articles this hub shows, one large row each (title and summary). An
article shows one step per page: "Schritt 2 von 5", its picture and its text in reading size,
"Schritt zurück" and "Weiter" always in the same place (hidden, a button keeps its place).
The speaker button reads the step; once it has, every step the resident turns to is read too,
until they leave the article. "Groß drucken", where a printer exists, prints the whole article
in large print with its pictures (content/article_print.py).
"""

from __future__ import annotations

import io
import logging
from typing import Any

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.scrollview import ScrollView
from kivy.utils import escape_markup

from content.articles import Article, articles_for_hub, get_article, picture
from kiosk import slip as slips
from kiosk.print_job import BackgroundPrint
from kiosk.screens.base import KioskScreen, page, running_app, tr
from kiosk.widgets import KButton

log = logging.getLogger("dorfhub.kiosk")

HOWTO = "howto"
HOWTO_ARTICLE = "howto_article"
_IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def paging(view: ScrollView) -> tuple[bool, bool]:
    """Whether there is more above and below what a scrolled list or text shows."""
    content = view.children[0] if view.children else None
    if content is None or content.height <= view.height + 1:
        return False, False
    return view.scroll_y < 0.999, view.scroll_y > 0.001


class HowtoRow(KButton):
    """One article in the library: its title in bold over its summary, in reading text of at most 70
    characters a line (KIOSK-UX.md), the row as high as its text. Set here, not in howto.kv:
    that file loads before widgets.kv, whose KButton rule would win."""

    article_id = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role = "surface"
        self.size_role = "reading"
        self.shorten = False
        self.halign = "left"
        self.markup = True  # the title in bold
        fit = Clock.create_trigger(self._fit, -1)
        self.bind(width=fit, texture_size=fit, height=fit)
        fit()

    def _fit(self, *_: object) -> None:
        th = running_app().th
        self.padding = (0, 0, max(0, self.width - 2 * th.padding - th.measure), 0)
        self.height = max(th.target, self.texture_size[1] + 2 * th.padding)


class HowtoScreen(KioskScreen):
    """The library: every article this hub shows, alphabetically by German title."""

    count = NumericProperty(0)
    can_page_up = BooleanProperty(False)
    can_page_down = BooleanProperty(False)

    def on_kv_post(self, base_widget: object) -> None:
        view = self.ids.scroll
        update = Clock.create_trigger(self._update_paging)
        view.bind(scroll_y=update, height=update)
        self.ids.rows.bind(height=update)

    def _update_paging(self, *_: object) -> None:
        self.can_page_up, self.can_page_down = paging(self.ids.scroll)

    def articles(self) -> list[Article]:
        app = running_app()
        return articles_for_hub(app.data.conn, app.data.hub.key_id)

    shown: tuple[object, ...] = ()  # what the rows were made from: made again only for a change

    def refresh(self) -> None:
        """Read the library again (any new op, a new language): the rows are made again only
        when an article came, went or changed, so the resident's place in the list stays."""
        lang = running_app().lang
        found = self.articles()
        shown = (lang, *((a.id, a.updated_at) for a in found))
        if shown == self.shown:
            return
        self.shown = shown
        rows = self.ids.rows
        rows.clear_widgets()
        for article in found:
            title, summary = (
                escape_markup(article.title(lang)),
                escape_markup(article.summary(lang)),
            )
            row = HowtoRow(article_id=article.id, text=f"[b]{title}[/b]\n{summary}")
            row.bind(on_release=self._open)
            rows.add_widget(row)
        self.count = len(found)

    def _open(self, row: HowtoRow) -> None:
        app = running_app()
        app.screen(HOWTO_ARTICLE).show(row.article_id)
        app.dirty.discard(HOWTO_ARTICLE)  # just read: no second read on the way in
        app.go(HOWTO_ARTICLE)

    def page(self, direction: int) -> None:
        page(self.ids.scroll, direction)

    def reset(self) -> None:
        """Only the place in the list was the reader's (a scroll position the app resets)."""

    def speech(self) -> str:
        lang = running_app().lang
        parts = [tr("howto.heading")]
        found = self.articles()
        if not found:
            return f"{parts[0]}. {tr('howto.empty')}"
        parts.append(tr("howto.intro"))
        parts += [f"{a.title(lang)}: {a.summary(lang)}" for a in found]
        return ". ".join(part.rstrip(".") for part in parts) + "."


class HowtoArticleScreen(BackgroundPrint, KioskScreen):
    """One article, one step per page."""

    article_id = StringProperty("")
    step = NumericProperty(0)  # the step shown, from 0
    steps = NumericProperty(0)
    title_text = StringProperty("")
    position_text = StringProperty("")
    step_text = StringProperty("")
    picture_note = StringProperty("")  # the alt text, shown while the picture is not here
    can_print = BooleanProperty(False)
    print_prefix = "howto"
    reading = False  # the resident had a step read: the next ones are read too

    def show(self, article_id: str) -> None:
        """Open an article at its first step."""
        self.article_id = article_id
        self.step = 0
        self.reading = False
        self.print_text = ""
        self._textures: dict[str, Any] = {}
        self.refresh()
        self.ids.text_scroll.scroll_y = 1.0

    def article(self) -> Article | None:
        if not self.article_id:
            return None
        return get_article(running_app().data.conn, self.article_id)

    def refresh(self) -> None:
        """Read the article again (a new version, a new language); a retracted one is gone:
        the resident is taken back to the library."""
        app = running_app()
        article = self.article()
        if article is None:
            self.steps = 0
            self.title_text = self.position_text = self.step_text = self.picture_note = ""
            self.ids.picture.texture = None
            if app.sm.current == self.name and self.article_id:
                self.article_id = ""
                app.back()
            return
        lang = app.lang
        self.steps = len(article.body.steps)
        self.step = min(self.step, self.steps - 1)
        self.title_text = article.title(lang)
        self.position_text = tr("howto.step", number=self.step + 1, total=self.steps)
        self.step_text = article.step_text(self.step, lang)
        self.ids.picture.texture = self._texture(article)
        self.picture_note = "" if self.ids.picture.texture else article.alt(self.step, lang)
        self.can_print = slips.find_printer(app.home_dir) is not None

    def _texture(self, article: Article) -> Any:
        found = article.body.steps[self.step].picture
        textures = getattr(self, "_textures", {})
        if found.blob not in textures:
            data = picture(running_app().data.conn, found.blob)
            if data is None:  # its bytes still on their way to this hub
                return None
            image = CoreImage(io.BytesIO(data), ext=_IMAGE_EXTENSIONS[found.mime])
            textures[found.blob] = image.texture
            self._textures = textures
        return textures[found.blob]

    def turn(self, direction: int) -> None:
        """Weiter (+1) or Schritt zurück (-1); Weiter on the last step returns to the library."""
        target = self.step + direction
        if target < 0:
            return
        if target >= self.steps:
            running_app().back()
            return
        self.step = target
        self.refresh()
        self.ids.text_scroll.scroll_y = 1.0  # a new step is read from its top
        if self.reading:
            running_app().say(self.speech())

    def speech(self) -> str:
        """The step as read aloud; from now on each step the resident turns to is read."""
        if not self.steps:
            return ""
        self.reading = True
        parts = [self.position_text, self.step_text]
        if self.step == 0:
            parts.insert(0, self.title_text)
        return " ".join(part if part[-1] in ".:!?" else f"{part}." for part in parts if part)

    def print_article(self) -> None:
        """The whole article in large print, made and sent in a thread: a slow printer never
        freezes the screen."""
        app = running_app()
        article = self.article()
        printer = slips.find_printer(app.home_dir)
        if article is None or printer is None or self.printing:
            return
        conn = app.data.conn  # read here: the connection is this thread's
        pictures = {
            step.picture.blob: data
            for step in article.body.steps
            if (data := picture(conn, step.picture.blob)) is not None
        }
        lang = app.lang
        labels = {
            (number, total): tr("howto.step", number=number, total=total)
            for total in (len(article.body.steps),)
            for number in range(1, total + 1)
        }

        def render() -> bytes:
            from content.article_print import render_article

            return render_article(article, lang, pictures, lambda n, t: labels[(n, t)])

        self.start_print(render, printer, f"article {self.article_id}")

    def page(self, direction: int) -> None:
        page(self.ids.text_scroll, direction)

    def reset(self) -> None:
        """The article and the step a person was reading, and read-aloud, go with them."""
        self.article_id = ""
        self.step = 0
        self.steps = 0
        self.reading = False
        self.print_text = ""
        self.title_text = self.position_text = self.step_text = self.picture_note = ""
        if "picture" in self.ids:
            self.ids.picture.texture = None


HOWTO_SCREENS = {HOWTO: HowtoScreen, HOWTO_ARTICLE: HowtoArticleScreen}
