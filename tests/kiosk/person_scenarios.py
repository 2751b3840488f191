"""Scenarios for the rules about the person at the screen (KIOSK-UX.md), run in the live kiosk
by driver.py: the full reset when a person leaves, nothing moving under a finger, and warnings
that inform without locking the kiosk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.scenarios import _tap, _type, held_keyboard, settled, still
from tests.kiosk.ui import check_layout, rect, tap, targets, widget

# Every screen a person can leave the kiosk on (kiosk.app.SCREENS and home).
SCREEN_NAMES = (
    "home",
    "board",
    "events",
    "categories",
    "detail",
    "soon",
    "climate",
    "help_kind",
    "help",
    "help_done",
    "pin",
    "guide",
    "booking_practice",
    "booking_when",
    "booking_person",
    "booking_consent",
    "booking_confirm",
    "booking_status",
    "my_booking",
    "my_booking_status",
    "offer_kind",
    "offer_text",
    "offer_contact",
    "offer_check",
    "offer_done",
    "howto",
    "howto_article",
)


# ---- a full reset ----------------------------------------------------------------------------


def traces(app: Any) -> dict[str, Any]:
    """Everything a person may have left on the kiosk, by what it is; empty when nothing is."""
    from kivy.uix.scrollview import ScrollView

    from kiosk.booking_flow import BookingFlow
    from kiosk.screens.booking import session
    from kiosk.widgets import Field

    found: dict[str, Any] = {}
    if app.lang != "de":
        found["language"] = app.lang
    if app.accessible or app.th.palette.name != "default" or app.th.large_text:
        found["theme"] = [app.accessible, app.th.palette.name, app.th.large_text]
    board = app.screen("board")
    if board.category or app.board_category:
        found["topic"] = [board.category, app.board_category]
    scrolled, typed = [], []
    for screen in app.sm.screens:
        for node in screen.walk():
            if isinstance(node, ScrollView) and node.scroll_y != 1.0:
                scrolled.append(f"{screen.name}: {node.scroll_y:.2f}")
            if isinstance(node, Field) and node.value:
                typed.append(f"{screen.name}: {node.value}")
    if scrolled:
        found["scrolled"] = scrolled
    if typed:
        found["typed"] = typed
    pin = app.screen("pin")
    if pin.entered or pin.message:
        found["pin"] = [pin.entered, pin.message]
    errors = {
        name: app.screen(name).error_text
        for name in ("help", "booking_person", "booking_confirm", "offer_text", "offer_check")
        if app.screen(name).error_text
    }
    if errors:
        found["errors"] = errors
    code = app.screen("my_booking")
    if code.typed or code.message:
        found["code"] = [code.typed, code.message]
    mine = app.screen("my_booking_status")
    if mine.request_id or mine.heading_text:
        found["my_booking"] = [mine.request_id, mine.heading_text]
    article = app.screen("howto_article")
    if article.article_id or article.step or article.reading:
        found["howto"] = [article.article_id, article.step, article.reading]
    offer = app.screen("offer_text")
    if offer.kind != "biete" or offer.digits or app.screen("offer_check").contact_text:
        found["offer"] = [offer.kind, offer.digits, app.screen("offer_check").contact_text]
    done = app.screen("help_done")
    if done.name_given or done.phone_given:
        found["help_done"] = [done.name_given, done.phone_given]
    if app.screen("guide").requests:
        found["guide"] = len(app.screen("guide").requests)
    if session() != BookingFlow():
        found["booking_flow"] = repr(session())
    keyboard = app.keyboard
    if keyboard.digits or keyboard.mode != "auto":  # letters, a capital first, no caps lock
        found["keyboard"] = {"digits": keyboard.digits, "mode": keyboard.mode}
    if app.history:
        found["history"] = list(app.history)
    if app.sm.current != "home":
        found["screen"] = app.sm.current
    return found


def _fill(screen: Any, fields: dict[str, str]) -> None:
    """Type into a screen's fields as its keys do, field by field."""
    for field, text in fields.items():
        screen.choose(field)
        for char in text:
            screen.key(char)


def _slot_chosen(app: Any, on_behalf: bool = False) -> Any:
    """A fresh booking flow with a practice and a time chosen: the person step is next."""
    from kiosk.screens.booking import session

    app.open_booking(on_behalf)
    flow = session()
    flow.choose_practice("hausarzt")
    flow.choose_slot("slot-1")
    return flow


def _leave_traces(app: Any, ctx: Context) -> Iterator[Step]:
    """A person's visit in short: English, the accessible mode, a topic, lists scrolled down,
    and something typed into every field and keypad the kiosk has. Through the screens' own
    handlers rather than taps, so seventeen visits fit in one run."""
    app.home()
    app.set_language("en")
    app.toggle_accessible()
    app.open_board()
    app.go("categories")
    app.current.choose("allgemein")
    app.current.ids.rv.scroll_y = 0.4
    app.open_notice(ctx.params["notice_id"])
    app.current.ids.body_scroll.scroll_y = 0.3
    app.open_guide()
    app.current.ids.status_view.scroll_y = 0.5
    app.go("help")
    _fill(app.current, {"name": "Anna", "phone": "0170"})
    app.keyboard.mode = "lock"  # caps lock (Groß twice), left on
    app.current.error_text = app.t("help.error", app.lang)
    app.screen("help_done").show([], "Anna", "0170")
    code = app.screen("my_booking")
    for key in "KM4T":
        code.key(key)
    code.message = app.t("my_booking.unknown", app.lang)
    mine = app.screen("my_booking_status")
    mine.request_id, mine.heading_text = "a-request", app.t("booking.state.cancelled", app.lang)
    article = app.screen("howto_article")  # So funktioniert's: an article at its second step,
    article.show("a-demo-video")  # read aloud
    article.turn(1)
    article.reading = True
    # Biete / Suche through the screens' handlers without showing them (each visit would lay
    # the keyboard out again): a kind, both texts, the digits, a contact and two errors.
    offer, contact = app.screen("offer_text"), app.screen("offer_contact")
    offer.kind = "suche"
    _fill(offer, {"title": "Rad", "text": "blau"})
    offer.toggle_digits()
    offer.error_text = app.t("offer.error.title", app.lang)
    _fill(contact, {"name": "Anna", "phone": "0170"})
    check = app.screen("offer_check")
    check.on_pre_enter()  # what it shows on arrival: the contact
    check.error_text = app.t("offer.error.limit", app.lang)
    _slot_chosen(app).calendar_page = 1
    app.go("booking_person")
    person = app.current
    _fill(person, {"name": "Bert", "birth_date": "0102"})
    person.error_text = app.t("booking.error.birth_date", app.lang)
    person.error_field = "birth_date"
    yield settled(app)


def full_reset(app: Any, ctx: Context) -> Iterator[Step]:
    """From every screen, home included: the traces a person left, and what is left of them
    after the idle reset (the signage start on the home screen). First the topic chosen last
    and the board opened from home again."""
    out = ctx.results
    yield settled(app)
    yield from _topic_after_start(app, out)
    from kiosk.app import SCREENS

    for name in SCREENS:
        app.screen(name)  # every screen built: a reset must reach all of them
    out["screens"] = sorted(app.sm.screen_names)
    left: dict[str, Any] = {}
    before: dict[str, Any] = {}
    for name in SCREEN_NAMES:
        yield from _leave_traces(app, ctx)
        if name == "guide":
            app.open_guide()
        else:
            app.go(name)
        yield settled(app)
        if name == "pin":  # leaving the PIN screen wipes it: typed here, on the way out
            yield from _type(app, "12")
            app.current.message = app.t("pin.wrong", app.lang)
        before[name] = sorted(traces(app))
        if name == "home":
            ctx.clock.advance(app.idle.signage_s + 1)
            yield lambda: app.signage_overlay.parent is not None
            left[name] = traces(app)
            yield from _tap(app, "bar_home")  # wakes the kiosk from the signage
        else:
            ctx.clock.advance(app.idle.idle_limit + 1)
            yield lambda: app.idle_overlay.parent is not None
            ctx.clock.advance(app.idle.warn_limit + 1)
            yield lambda: app.idle_overlay.parent is None
            yield settled(app)
            left[name] = traces(app)
    out["before"], out["left"] = before, left


def _topic_after_start(app: Any, out: dict[str, Any]) -> Iterator[Step]:
    """Verwaltung (no notices), Start, Aushänge: every notice again, not an empty board. The
    topics screen hides a topic with no notices, so it is chosen as if it had had some when
    the screen showed (they may end while it shows)."""
    yield from _tap(app, "tile_notices")
    yield from _tap(app, "category_button")
    out["verwaltung_shown"] = app.current.ids.cat_verwaltung.parent is not None
    app.current.choose("verwaltung")
    yield settled(app)
    board = app.current
    out["verwaltung"] = [board.category, board.count, board.ids.count.text]
    yield from _tap(app, "bar_home")
    yield from _tap(app, "tile_notices")
    out["after_start"] = [board.category, board.count, board.ids.count.text]
    yield from _tap(app, "category_button")
    categories = app.current
    out["marked"] = [key for key, node in categories.ids.items() if getattr(node, "selected", 0)]
    yield from _tap(app, "bar_back")


# ---- nothing moves under a finger ------------------------------------------------------------


def _where(app: Any) -> dict[Any, tuple[float, ...]]:
    return {node: tuple(round(v, 1) for v in rect(node)) for node in targets(app)}


def _label(node: Any) -> str:
    return f"{type(node).__name__}({node.text[:16]!r})"


class Watch:
    """Records every button's place before and after each step; what moved, and how far."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.places = _where(app)
        self.moves: list[str] = []
        self.steps = 0
        self.compared = 0
        self.largest = 0.0

    def check(self, step: str) -> None:
        now = _where(self.app)
        self.steps += 1
        for node, box in now.items():
            old = self.places.get(node)
            if old is None:
                continue  # a key of the other layout: it came, nothing moved
            self.compared += 1
            shift = max(abs(a - b) for a, b in zip(old, box, strict=True))
            self.largest = max(self.largest, shift)
            if shift > 0.5:
                self.moves.append(f"{step}: {_label(node)} moved {shift:.0f} px")
        self.places = now

    def result(self) -> dict[str, Any]:
        return {
            "moves": self.moves,
            "steps": self.steps,
            "compared": self.compared,
            "largest_px": self.largest,
        }


def _press(app: Any, watch: Watch, target: Any, step: str) -> Iterator[Step]:
    yield still(target)
    tap(target)
    yield settled(app, 3)
    watch.check(step)


def _keys(app: Any, watch: Watch, text: str) -> Iterator[Step]:
    for char in text:
        key = held_keyboard(app).keys["space" if char == " " else char.lower()]
        yield from _press(app, watch, key, f"key {char!r}")


def _shown(app: Any, watch: Watch, screen: Any, error: str, step: str) -> Iterator[Step]:
    """An error shown as the screen shows it (no key can type what would cause it)."""
    screen.error_text = app.t(error, app.lang)
    yield settled(app, 3)
    watch.check(step)


def stillness(app: Any, ctx: Context) -> Iterator[Step]:
    """Every key and every error on the PIN, help and booking screens: no button moves."""
    from kiosk.pin import set_pin

    out = ctx.results
    set_pin(ctx.home, "4711")
    yield settled(app)
    for theme in ctx.params["themes"]:
        app.privacy_reset()
        app.set_theme(theme["palette"], theme["large"])
        app.set_language(theme["language"])
        yield settled(app, 3)
        found = {}
        screens = (("pin", _pin), ("help", _help), ("booking_person", _person))
        for screen, steps in (*screens, ("my_booking", _code_pad)):
            watch = yield from _open(app, screen)
            yield from steps(app, watch)
            found[screen] = watch.result()
        out[f"{theme['palette']}-{theme['large']}-{theme['language']}"] = found


def _open(app: Any, screen: str) -> Iterator[Step]:
    app.home()
    yield settled(app)
    if screen == "booking_person":
        _slot_chosen(app, on_behalf=True)  # the guide's field too
    app.go(screen)
    yield settled(app, 3)
    yield still(app.root.ids.bar.ids.bar_help)
    watch = Watch(app)
    return watch


def _pin(app: Any, watch: Watch) -> Iterator[Step]:
    yield from _keys(app, watch, "1234")
    yield from _press(app, watch, held_keyboard(app).keys["delete"], "delete")
    for attempt in range(5):  # wrong, then locked: both messages
        yield from _keys(app, watch, "9")
        yield from _press(app, watch, widget(app, "pin_ok"), f"wrong PIN {attempt + 1}")
    yield from _keys(app, watch, "12")


def _help(app: Any, watch: Watch) -> Iterator[Step]:
    screen = app.current
    yield from _keys(app, watch, "Anna M")
    yield from _press(app, watch, held_keyboard(app).keys["shift"], "shift")
    yield from _press(app, watch, held_keyboard(app).keys["shift"], "caps lock")
    yield from _press(app, watch, held_keyboard(app).keys["delete"], "delete")
    for key in ("help.error_name", "help.error_phone", "help.error"):
        yield from _shown(app, watch, screen, key, key)
    yield from _press(app, watch, screen.ids.phone_field, "phone field")
    yield from _keys(app, watch, "0170 12")  # the pad's space key too
    yield from _press(app, watch, screen.ids.name_field, "name field")


def _person(app: Any, watch: Watch) -> Iterator[Step]:
    from content.booking import BookingError

    screen = app.current
    next_button = widget(app, "person_next")
    # Every error at once: the name's and the date's.
    yield from _press(app, watch, next_button, "next, nothing typed")
    yield from _press(app, watch, screen.ids.birth_date_field, "birth field, errors shown")
    yield from _keys(app, watch, "3102")
    yield from _press(app, watch, next_button, "next, half a date")
    yield from _press(app, watch, screen.ids.birth_date_field, "birth field again")
    yield from _keys(app, watch, "2020")  # complete: the phone field comes next
    yield from _press(app, watch, next_button, "next, no such day")
    errors = ("name", "name"), ("birth_date", "birth_year"), ("phone", "phone")
    screen.show_errors([(field, f"booking.error.{key}") for field, key in errors])
    yield settled(app, 3)
    watch.check("every error")
    yield from _press(app, watch, screen.ids.birth_date_field, "birth field")
    for _ in range(8):
        yield from _press(app, watch, held_keyboard(app).keys["delete"], "delete")
    yield from _keys(app, watch, "01011950")
    yield from _press(app, watch, next_button, "next, no name")  # the name's error
    yield from _keys(app, watch, "Anna")
    screen.show_error(BookingError("", "phone"))
    yield settled(app, 3)
    watch.check("phone error")
    yield from _keys(app, watch, "0170")
    yield from _press(app, watch, screen.ids.guide_field, "guide field")
    yield from _keys(app, watch, "Kern")


def _code_pad(app: Any, watch: Watch) -> Iterator[Step]:
    """Meine Buchung: the code line, every message (short, unknown, locked) and the keys."""
    from kiosk.lockout import MAX_WRONG

    screen = app.current
    screen.gate.locked_until = 0.0  # a lock left by the theme before
    for char in "KM4":
        yield from _press(app, watch, screen.keys[char], f"key {char!r}")
    yield from _press(app, watch, widget(app, "my_booking_show"), "show, code too short")
    for char in "T7QXA":
        yield from _press(app, watch, screen.keys[char], f"key {char!r}")
    yield from _press(app, watch, widget(app, "my_booking_show"), "unknown")
    screen.gate.wrong = MAX_WRONG - 1
    yield from _press(app, watch, widget(app, "my_booking_show"), "locked")
    yield from _press(app, watch, screen.keys[""], "delete")


# ---- warnings that inform, never lock --------------------------------------------------------


def emergency_banner(app: Any, ctx: Context) -> Iterator[Step]:
    """An emergency takes over once; Start leaves it for a banner; the board, booking and guide
    mode stay in reach; the banner opens it again and "Verstanden" closes it; the idle warning
    keeps "Hilfe holen" in reach; the next person sees it in full; retracted, it is gone."""
    from tests.kiosk.hubhome import publish_emergency, retract

    out, said = ctx.results, ctx.speaker.said
    main = app.root.ids.main
    banner = app.root.ids.banner
    yield settled(app)
    yield from _tap(app, "tile_notices")
    notice_id = publish_emergency(ctx.home, Path(ctx.params["admin_key"]))
    overlay = app.emergency_overlay
    yield lambda: overlay.parent is not None
    yield settled(app, 3)
    out["takeover"] = {
        "screen": app.sm.current,
        "covers": [list(overlay.pos), list(overlay.size)] == [list(main.pos), list(main.size)],
        "title_px": overlay.ids.title.font_size,
        "body_px": overlay.ids.body.font_size,
        "spoken": [text for text, _, _ in said],
        "layout": check_layout(app)["problems"],
    }
    yield from _tap(app, "bar_home")
    out["after_start"] = [app.sm.current, overlay.parent is None, banner.height > 0]
    out["banner"] = [widget(app, "banner_title").text, check_layout(app)["problems"]]
    reached = []
    for tile in ("tile_notices", "tile_doctor", "guide_login"):
        yield from _tap(app, tile)
        reached.append(app.sm.current)
        yield from _tap(app, "bar_home")
    out["reached"] = reached
    yield from _tap(app, "tile_notices")
    spoken = len(said)
    yield from _tap(app, "banner_open")
    out["reopened"] = [overlay.parent is not None, said[spoken:]]
    yield from _tap(app, "emergency_understood")
    out["understood"] = [app.sm.current, overlay.parent is None, banner.height > 0]
    yield from _tap(app, "banner_open")
    yield from _tap(app, "bar_back")
    out["back_leaves_it"] = [app.sm.current, overlay.parent is None]
    app.go("board")
    yield settled(app)
    ctx.clock.advance(app.idle.idle_limit + 1)
    yield lambda: app.idle_overlay.parent is not None
    yield settled(app, 3)
    idle = app.idle_overlay
    out["idle"] = {
        "role": idle.role,
        "bar_free": idle.top <= app.root.ids.bar.y + 1e-6 or idle.y >= app.root.ids.bar.top,
        "layout": check_layout(app)["problems"],
    }
    yield from _tap(app, "bar_help")
    out["help_through_warning"] = [app.sm.current, idle.parent is None]
    ctx.clock.advance(app.idle.idle_limit + 1)
    yield lambda: idle.parent is not None
    ctx.clock.advance(app.idle.warn_limit + 1)
    yield lambda: app.sm.current == "home" and idle.parent is None
    out["next_person"] = overlay.parent is not None
    retract(ctx.home, Path(ctx.params["admin_key"]), notice_id)
    yield lambda: not app.emergency_title
    yield settled(app, 3)
    out["retracted"] = [overlay.parent is None, banner.height, banner.opacity]
