"""Scenarios run inside the live kiosk (see driver.py). Each yields waits and records facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.kiosk.driver import Context, Step
from tests.kiosk.ui import rows, tap, widget


def settled(app: Any, frames: int = 3) -> Step:
    """A wait until the screen change is done and a few frames were drawn after it."""
    from kivy.clock import Clock

    start = Clock.frames

    def done() -> bool:
        return not app.sm.transition.is_active and Clock.frames >= start + frames

    return done


def still(target: Any, frames: int = 2) -> Step:
    """A wait until `target` has stayed in place for `frames` frames. After a screen change a
    layout can take several frames to settle (a text wraps, then its parents follow): a tap
    computed before that lands where the widget was (seen: a field 29 px off)."""
    from kivy.clock import Clock

    seen: dict[str, Any] = {}

    def done() -> bool:
        where = (*target.to_window(*target.pos), *target.size)
        if seen.get("where") != where:
            seen.update(where=where, frame=Clock.frames)
        return bool(Clock.frames >= seen["frame"] + frames)

    return done


def tour(app: Any, ctx: Context) -> Iterator[Step]:
    """Visit every screen and write a screenshot of each."""
    shots = Path(ctx.params["shots"])
    shots.mkdir(parents=True, exist_ok=True)
    yield 0.5

    def shot(name: str) -> Iterator[Step]:
        yield settled(app)
        app.root.export_to_png(str(shots / f"{name}.png"))

    yield from shot("home")
    tap(widget(app, "tile_notices"))
    yield from shot("board")
    tap(rows(app)[0])
    yield from shot("detail")
    app.home()
    yield settled(app)
    tap(widget(app, "tile_events"))
    yield from shot("events")
    app.home()
    yield settled(app)
    tap(widget(app, "bar_help"))
    yield from shot("help")
    app.go("pin")
    yield from shot("pin")
    app.open_soon("tile.doctor")
    yield from shot("soon")
    app.go("categories")
    yield from shot("categories")


def _go_and_settle(app: Any, action: Any) -> Iterator[Step]:
    action()
    yield settled(app)


def layout(app: Any, ctx: Context) -> Iterator[Step]:
    """Every screen and overlay in one theme: measure, and write a screenshot of each."""
    from tests.kiosk.hubhome import publish_emergency, publish_notice
    from tests.kiosk.ui import check_layout

    palette, large = ctx.params["palette"], ctx.params["large"]
    shots = Path(ctx.params["shots"]) if ctx.params.get("shots") else None
    app.set_theme(palette, large)
    app.set_language(ctx.params.get("language", "de"))
    # A title of three lines and more in reading text: its row must grow with it (home's
    # newest notices and the board show it first).
    long_id = publish_notice(ctx.home, Path(ctx.params["admin_key"]), LONG_TITLE)
    yield lambda: app.current.notice_ids[0] == long_id
    yield settled(app)

    def measure(state: str) -> Iterator[Step]:
        yield settled(app)
        ctx.results[state] = check_layout(app)
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            app.root.export_to_png(str(shots / f"{state}.png"))

    yield from measure("home")
    ctx.results["home"]["today"] = _today(app.current)
    yield from _go_and_settle(app, app.open_board)
    yield from measure("board")
    ctx.results["board"]["paging"] = _paging(app)
    row = next(row for row in rows(app) if row.notice_id == long_id)
    ctx.results["board"]["long_row"] = [
        len(row._label._cached_lines),
        row.texture_size[1],
        row.height,
    ]
    yield from _go_and_settle(app, lambda: app.go("categories"))
    yield from measure("categories")
    grid = app.current.ids.grid.__self__  # ids are weak proxies
    ctx.results["categories"]["shown"] = [
        key for key, node in app.current.ids.items() if node.parent is grid
    ]
    yield from _go_and_settle(app, lambda: app.open_notice(ctx.params["event_id"]))
    yield from measure("detail")
    ctx.results["detail"]["paging"] = _paging(app)
    yield from _go_and_settle(app, lambda: app.go("events"))
    yield from measure("events")
    yield from _go_and_settle(app, lambda: app.open_soon("tile.doctor"))
    yield from measure("soon")
    # Raumklima at its fullest: a day of history, an alert, every value; guide mode then lists
    # the sensors from the status file this writes too.
    from tests.kiosk.climate_scenarios import fill_climate

    fill_climate(ctx.home)
    yield from _go_and_settle(app, lambda: app.go("climate"))
    yield from measure("climate")
    home = app.screen("home")
    home.refresh()  # as the sensors' next commit would
    ctx.results["climate"]["home_line"] = home.climate_text
    yield from _go_and_settle(app, app.open_help)
    yield from measure("help_kind")
    yield from _go_and_settle(app, lambda: app.current.choose_kind("health"))
    yield from measure("help_name")
    yield from _go_and_settle(app, lambda: app.current.choose("phone"))
    yield from measure("help_phone")
    app.screen("help_done").show(["Di 02.12., 14:00–16:00 Uhr, Dorfhub: Sprechstunde"])
    yield from _go_and_settle(app, lambda: app.go("help_done"))
    yield from measure("help_done")
    # Meine Buchung's pad with its longest message; Biete / Suche's text screen with the keys
    # (the other screens of both: tests/kiosk/test_my_booking.py, test_offer.py).
    yield from _go_and_settle(app, app.open_my_booking)
    app.current.message = app.t("my_booking.unknown", app.lang)
    yield from measure("my_booking")
    app.screen("offer_text").kind = "fund"
    yield from _go_and_settle(app, lambda: app.go("offer_text"))
    app.current.ids.title_field.value = "Schlüsselbund am Dorfplatz gefunden"
    yield from measure("offer_text")
    yield from _go_and_settle(app, lambda: app.go("pin"))
    app.current.message = app.t("pin.wrong", app.lang)
    yield from measure("pin")
    yield from _go_and_settle(app, app.open_guide)
    yield from measure("guide")
    app.home()
    app.idle.touched(ctx.clock())
    app.go("board")
    ctx.clock.advance(app.idle.idle_limit + 1)
    yield lambda: app.idle_overlay.parent is not None
    yield from measure("idle_warning")
    app.keep_going()
    app.home()
    yield settled(app)
    ctx.clock.advance(app.idle.signage_s + 1)
    yield lambda: app.signage_overlay.parent is not None
    yield from measure("signage")
    publish_emergency(ctx.home, Path(ctx.params["admin_key"]))
    yield lambda: app.emergency_overlay.parent is not None
    yield from measure("emergency")
    app.dismiss_emergency()  # "Verstanden": the banner above the screen
    yield from measure("emergency_banner")


LONG_TITLE = (
    "Gemeinderatssitzung am Donnerstag: Ausbau der Ortsdurchfahrt, neue Straßenbeleuchtung "
    "am Kirchplatz und ein Zuschuss für den Dorfladen im kommenden Haushaltsjahr"
)


def _today(home: Any) -> dict[str, Any]:
    """What home's "today" shows, by part."""
    return {
        "important": home.important_text,
        "events": [text for text in home.event_texts if text],
        "notices": [text for text in home.notice_texts if text],
        "office_hours": home.office_text,
        "climate": home.climate_text,
        "lines": [
            key
            for key in home.ids
            if key.startswith(("event_", "notice_")) and home.ids[key].parent is not None
        ],
    }


def _paging(app: Any) -> list[bool]:
    """Whether the page buttons on screen can be seen and touched: up, down."""
    return [
        widget(app, name).opacity == 1 and not widget(app, name).disabled
        for name in ("page_up", "page_down")
    ]


def _tap(app: Any, widget_id: str) -> Iterator[Step]:
    target = widget(app, widget_id)
    yield still(target)
    tap(target)
    yield settled(app)


def held_keyboard(app: Any) -> Any:
    """The kiosk's one keyboard, which the screen shown must hold."""
    keyboard = app.current.ids.keyboard_slot.keyboard
    assert keyboard is app.keyboard, f"{app.sm.current} shows no keyboard"
    return keyboard


def _type(app: Any, text: str) -> Iterator[Step]:
    for char in text:
        tap(held_keyboard(app).keys["space" if char == " " else char.lower()])
        yield settled(app, 1)


def navigation(app: Any, ctx: Context) -> Iterator[Step]:
    """Every tile opens its screen; back and home; a notice in detail; categories; language."""
    out = ctx.results
    yield settled(app)
    opened = {}
    for tile in (
        "tile_notices",
        "tile_events",
        "tile_doctor",
        "tile_howto",
        "tile_climate",
        "tile_offer",
        "guide_login",
    ):
        yield from _tap(app, tile)
        opened[tile] = [app.sm.current, getattr(app.current, "topic", "")]
        yield from _tap(app, "bar_back")
        opened[tile].append(app.sm.current)
    out["opened"] = opened
    # Today's lines open what they show: an event, a notice, the important one, the office
    # hour, the room climate.
    today = {}
    for line in ("event_0", "notice_0", "important", "office_hours", "climate_line"):
        yield from _tap(app, line)
        today[line] = [app.sm.current, getattr(app.current, "notice_id", "")]
        yield from _tap(app, "bar_home")
    out["today_opened"] = today
    yield from _tap(app, "tile_notices")
    first = rows(app)[0]
    out["first_row"] = first.text
    tap(first)
    yield settled(app)
    out["detail"] = [app.sm.current, app.current.title_text, app.current.ids.qr.texture is not None]
    # The code as drawn on screen, for the test to read back module by module.
    shot = ctx.home.parent / "detail-qr.png"
    app.current.ids.qr.export_to_png(str(shot))
    out["qr"] = [str(shot), app.current.qr_payload, list(app.current.ids.qr.size)]
    yield from _tap(app, "bar_back")
    out["back_from_detail"] = app.sm.current
    yield from _tap(app, "category_button")
    out["categories_screen"] = app.sm.current
    yield from _tap(app, "cat_gesundheit")
    out["filtered"] = [app.sm.current, [row["text"] for row in app.current.ids.rv.data]]
    yield from _tap(app, "bar_home")
    out["home_again"] = app.sm.current
    yield from _tap(app, "tile_events")
    out["events"] = [row["text"] for row in app.current.ids.rv.data]
    yield from _tap(app, "bar_home")
    texts = {}
    for button, language in (("lang_en", "en"), ("lang_ls", "de-LS"), ("lang_de", "de")):
        yield from _tap(app, button)
        texts[language] = [app.lang, widget(app, "tile_notices").text, widget(app, "bar_help").text]
    out["languages"] = texts
    yield from _tap(app, "access_toggle")
    out["accessible"] = [
        app.accessible,
        app.th.palette.name,
        app.th.large_text,
        app.idle.idle_limit,
    ]
    yield from _tap(app, "access_toggle")
    yield from _tap(app, "bar_read")
    out["read"] = list(ctx.speaker.said[-1])
    stops = ctx.speaker.stops
    yield from _tap(app, "tile_notices")
    out["stopped_by_touch"] = ctx.speaker.stops > stops


def long_list(app: Any, ctx: Context) -> Iterator[Step]:
    """A board longer than one read: paging down reads more rows and keeps the place; a notice
    arriving while the resident is at the end; a notice deep in the list and back; a reload in
    place; a fresh visit starts at the top again; a swipe across the end of a chunk; a category
    forgotten by the idle reset."""
    out = ctx.results
    yield settled(app)
    yield from _tap(app, "tile_notices")
    board = app.current
    out["first_read"] = [len(board.ids.rv.data), board.count]
    yield from _page_to_the_end(app, board, out)
    yield from _new_notice_at_the_end(app, board, ctx)
    yield from _deep_notice_and_back(app, board, out)
    yield from _swipe_across_a_chunk(app, board, out)
    yield from _category_then_idle_reset(app, board, out)


def _top_index(app: Any) -> int:
    """The place in the list's data of the top row on screen."""
    first = rows(app)[0].notice_id
    data = app.current.ids.rv.data
    return next(i for i, row in enumerate(data) if row["notice_id"] == first)


def _page_to_the_end(app: Any, board: Any, out: dict[str, Any]) -> Iterator[Step]:
    # Every notice ends while the resident reads: the rows read later still belong to the list
    # as it was when read (a clock read per chunk would find nothing more). The kiosk reads the
    # list again at the next tick after a notice ends (time_changes); that read is held off
    # here, so every chunk is read in the gap before it.
    real_clock = app.data.wall_ms
    app.data.wall_ms = lambda: real_clock() + 31 * 24 * 3600 * 1000
    app.next_change_at = None
    tops, loaded = [_top_index(app)], [len(board.ids.rv.data)]
    while len(tops) < 200:
        yield from _tap(app, "page_down")
        tops.append(_top_index(app))
        loaded.append(len(board.ids.rv.data))
        if tops[-1] == tops[-2]:  # the end of the list
            break
    out["tops"], out["loaded"] = tops, loaded
    out["ids"] = [row["notice_id"] for row in board.ids.rv.data]
    app.data.wall_ms = real_clock
    app.next_change_at = app.data.next_change(app.data.now_ms())


def _new_notice_at_the_end(app: Any, board: Any, ctx: Context) -> Iterator[Step]:
    """A new notice goes on top and pushes the last row out of what was read: it must still
    be reached, though the list is already scrolled to its end and cannot move further."""
    from tests.kiosk.hubhome import publish_notice

    before = board.count
    ctx.results["new_id"] = publish_notice(ctx.home, Path(ctx.params["admin_key"]), "Chorprobe")
    yield lambda: board.count == before + 1  # the kiosk's watch on the database read it again
    yield settled(app, 5)
    ctx.results["new_at_end"] = [len(board.ids.rv.data), board.count]


def _deep_notice_and_back(app: Any, board: Any, out: dict[str, Any]) -> Iterator[Step]:
    view = board.ids.rv
    yield from _tap(app, "page_up")
    deep = rows(app)[0].notice_id
    tap(rows(app)[0])
    yield settled(app)
    out["opened"] = [app.sm.current, app.current.notice_id == deep]
    yield from _tap(app, "bar_back")
    out["back"] = [rows(app)[0].notice_id == deep, len(view.data)]
    board.refresh()  # as when new data arrives while the resident reads
    yield settled(app)
    out["refreshed"] = [rows(app)[0].notice_id == deep, len(view.data)]
    yield from _tap(app, "bar_home")
    yield from _tap(app, "tile_notices")
    out["again"] = [len(view.data), view.scroll_y, _top_index(app)]


def _swipe_across_a_chunk(app: Any, board: Any, out: dict[str, Any]) -> Iterator[Step]:
    """A fast swipe from a little more than a screenful above the end of the first 100 rows:
    the next rows are read while the list is still moving, and it must move on smoothly."""
    import time

    view = board.ids.rv
    view.scroll_y = 1.2 * view.height / (view.children[0].height - view.height)
    yield settled(app, 2)
    # What ScrollView does for a finger moving fast (its on_touch_down, _move and up): start,
    # update and let go of the scroll effect, which then moves the list on by itself.
    view._update_effect_bounds()
    view._effect_y_start_height = view.height
    effect, now = view.effect_y, time.time()
    effect.start(100, now)
    effect.update(300, now + 0.02)
    effect.update(500, now + 0.04)
    effect.stop(700, now + 0.06)
    tops = [_top_index(app)]
    for _ in range(40):
        yield settled(app, 1)
        tops.append(_top_index(app))
    out["swipe"] = [tops, len(view.data)]


def _category_then_idle_reset(app: Any, board: Any, out: dict[str, Any]) -> Iterator[Step]:
    yield from _tap(app, "category_button")
    yield from _tap(app, "cat_allgemein")
    out["category"] = [board.category, board.count]
    app.privacy_reset()
    yield settled(app)
    yield from _tap(app, "tile_notices")
    first = [row["notice_id"] for row in board.ids.rv.data[:5]]
    out["after_reset"] = [board.category, board.count, first]


def guide_status_pages(app: Any, ctx: Context) -> Iterator[Step]:
    """A hub with many sensors in large text: the guide's status is longer than its panel and
    gets page buttons; with three sensors in normal text it fits and has none."""
    from content.clock import wall_clock_ms
    from tests.kiosk.climate_scenarios import write_sensor_status
    from tests.kiosk.ui import check_layout

    out = ctx.results
    write_sensor_status(ctx.home, wall_clock_ms())
    yield from _go_and_settle(app, app.open_guide)
    guide = app.current
    out["three_sensors"] = guide.status_overflows
    write_sensor_status(ctx.home, wall_clock_ms(), more_sensors=6)
    app.set_theme("default", True)
    yield settled(app)
    guide.refresh()
    yield settled(app, 5)
    view = guide.ids.status_view
    out["nine_sensors"] = [
        guide.status_overflows,
        view.scroll_y,
        "klima-raum-7" in guide.status_text,
    ]
    out["layout"] = check_layout(app)["problems"]
    yield from _tap(app, "status_down")
    out["after_down"] = view.scroll_y
    for _ in range(5):
        yield from _tap(app, "status_down")
    out["at_end"] = view.scroll_y
    yield from _tap(app, "status_up")
    out["after_up"] = view.scroll_y


def one_keyboard(app: Any, ctx: Context) -> Iterator[Step]:
    """The help, PIN and booking screens share one keyboard: switching fields keeps its keys,
    it moves to the screen shown, a wipe in the background leaves it alone, and a new language
    and theme rename and resize its keys."""
    from kiosk.pin import set_pin

    out = ctx.results
    set_pin(ctx.home, "4711")
    yield settled(app)
    yield from _tap(app, "bar_help")
    yield from _tap(app, "kind_other")
    help_screen = app.current
    keyboard = held_keyboard(app)
    letter_a = keyboard.keys["a"]
    tap(help_screen.ids.phone_field)
    yield settled(app)
    on_phone = keyboard.digits
    digit_1 = keyboard.keys["1"]
    tap(help_screen.ids.name_field)
    yield settled(app)
    out["fields"] = [on_phone, keyboard.digits, keyboard.keys["a"] is letter_a]
    yield from _type(app, "Anna")
    out["typed"] = help_screen.ids.name_field.value
    # Capitals (issue 17): "Groß" then a gives A, not a; a second tap locks, a third ends it.
    for _ in "Anna":
        tap(keyboard.keys["delete"])
        yield settled(app, 1)
    shift = keyboard.keys["shift"]
    lit = []
    for tap_then in ("a", "nna", " "):
        if tap_then == "a":
            tap(shift)
            yield settled(app, 1)
            lit.append(shift.selected)
        yield from _type(app, tap_then)
    for _ in range(2):
        tap(shift)
        yield settled(app, 1)
    lit.append([shift.selected, shift.text])
    yield from _type(app, "ab")
    tap(shift)
    yield settled(app, 1)
    lit.append([shift.selected, shift.text])
    yield from _type(app, "c")
    out["capitals"] = [help_screen.ids.name_field.value, lit]
    tap(help_screen.ids.phone_field)
    yield settled(app)
    yield from _type(app, "0170 12")  # the pad has a space key
    out["phone_typed"] = help_screen.ids.phone_field.value
    tap(help_screen.ids.name_field)
    yield settled(app)
    app.home()
    yield settled(app)
    yield from _tap(app, "guide_login")
    slot = help_screen.ids.keyboard_slot
    out["on_pin"] = [
        held_keyboard(app) is keyboard,
        keyboard.digits,
        keyboard.keys["1"] is digit_1,
        slot.keyboard is None,
        slot.height,
    ]
    help_screen.wipe()  # as the idle reset wipes every screen
    yield settled(app, 1)
    out["after_background_wipe"] = [keyboard.digits, help_screen.ids.name_field.value]
    before = [keyboard.keys["delete"].text, keyboard.keys["1"].height]
    app.home()
    yield settled(app)
    yield from _tap(app, "lang_en")
    yield from _tap(app, "access_toggle")
    yield lambda: app.accessible
    yield settled(app, 3)
    yield from _tap(app, "guide_login")
    after = [keyboard.keys["delete"].text, keyboard.keys["1"].height]
    out["rebuilt"] = [before, after, held_keyboard(app) is keyboard]
    yield from _type(app, "4711")
    yield from _tap(app, "pin_ok")
    out["pin_entered"] = app.sm.current


def time_changes(app: Any, ctx: Context) -> Iterator[Step]:
    """No commit tells the kiosk when a notice's time begins or ends (an offline hub sees none
    for days): the board drops a notice whose time is over and shows one whose time has come,
    while it is on screen; the signage takes up a notice that begins while it runs."""
    out, params = ctx.results, ctx.params
    yield settled(app)
    yield from _tap(app, "tile_notices")
    rows = app.current.ids.rv

    def titles() -> list[str]:
        return [row["text"].split("\n")[0] for row in rows.data]

    def signage_titles() -> list[str]:
        return [item.title for item in app.signage_items]

    out["before"] = [params["ending"] in titles(), params["starting"] in titles()]
    ctx.clock.advance(params["change_after_s"])
    yield lambda: params["ending"] not in titles()
    out["after"] = [params["ending"] in titles(), params["starting"] in titles()]
    app.home()
    yield settled(app)
    ctx.clock.advance(app.idle.signage_s + 1)
    yield lambda: app.signage_overlay.parent is not None
    out["signage_before"] = params["later"] in signage_titles()
    ctx.clock.advance(params["later_after_s"] - params["change_after_s"] - app.idle.signage_s)
    yield lambda: params["later"] in signage_titles()
    out["signage_after"] = [app.signage_overlay.parent is not None, signage_titles()]


def detail_keeps_place(app: Any, ctx: Context) -> Iterator[Step]:
    """A resident reads a long notice, scrolled down, when another notice's time ends (no
    commit): the screens are read again, and the text stays where the resident had it, with the
    same QR code."""
    out, params = ctx.results, ctx.params
    yield settled(app)
    yield from _tap(app, "tile_notices")
    app.open_notice(params["long_id"])
    yield settled(app)
    detail = app.current
    detail.ids.body_scroll.scroll_y = 0.0
    code = detail.ids.qr.texture
    yield settled(app)
    changes_at = app.next_change_at
    ctx.clock.advance(params["advance_s"])  # the other notice ends meanwhile
    yield lambda: app.next_change_at != changes_at
    yield settled(app, 3)
    out["after"] = [app.sm.current, detail.ids.body_scroll.scroll_y, detail.ids.qr.texture is code]
    yield from _tap(app, "bar_back")
    app.open_notice(params["long_id"])  # opened anew: from the top
    yield settled(app)
    out["opened_again"] = detail.ids.body_scroll.scroll_y


def clock_back(app: Any, ctx: Context) -> Iterator[Step]:
    """The hub's clock ran an hour fast and is set back (an NTP step): a notice that starts in
    half an hour, shown while the clock was fast, leaves the board again."""
    out, params = ctx.results, ctx.params
    real = app.data.wall_ms
    app.data.wall_ms = lambda: real() + 3_600_000
    yield settled(app)
    yield from _tap(app, "tile_notices")
    board = app.current

    def titles() -> list[str]:
        return [row["text"].split("\n")[0] for row in board.ids.rv.data]

    out["while_fast"] = params["title"] in titles()
    app.data.wall_ms = real
    yield lambda: params["title"] not in titles()
    out["after_step_back"] = params["title"] in titles()


def local_commits(app: Any, ctx: Context) -> Iterator[Step]:
    """A commit that brings no op (the sensors write readings every five seconds) marks only
    the climate and guide screens for reading again and leaves the list on screen alone; a
    new op reads the list again."""
    from content import sensors
    from content.clock import wall_clock_ms
    from content.store import Store
    from tests.kiosk.hubhome import publish_notice

    out = ctx.results
    yield settled(app)
    yield from _tap(app, "tile_climate")
    app.home()
    yield settled(app)
    yield from _tap(app, "tile_notices")
    board = app.current
    read_at = board.as_of_ms
    out["climate_read"] = "climate" not in app.dirty
    reading = (wall_clock_ms(), "sds011-1", "pm2_5", 4.0, "µg/m³", "ok")
    with Store(ctx.home / "dorfhub.db") as other, other.write() as conn:
        sensors.insert_readings(conn, [reading])
    yield lambda: "climate" in app.dirty
    out["list_kept"] = board.as_of_ms == read_at
    publish_notice(ctx.home, Path(ctx.params["admin_key"]), "Chorprobe")
    yield lambda: board.as_of_ms != read_at
    out["after_op"] = [row["text"].split("\n")[0] for row in board.ids.rv.data[:3]]


def idle(app: Any, ctx: Context) -> Iterator[Step]:
    """The 2-minute warning, "Weiter", and the reset that wipes the help fields."""
    out = ctx.results
    yield settled(app)
    yield from _tap(app, "bar_help")
    yield from _tap(app, "kind_other")
    screen = app.current
    yield from _type(app, "Anna")
    tap(screen.ids.phone_field)
    yield settled(app)
    yield from _type(app, "0170")
    out["typed"] = [screen.ids.name_field.value, screen.ids.phone_field.value]
    ctx.clock.advance(119)
    yield settled(app, 3)
    out["warning_at_119s"] = app.idle_overlay.parent is not None
    ctx.clock.advance(2)
    yield lambda: app.idle_overlay.parent is not None
    out["seconds_left"] = app.idle_overlay.seconds
    out["warning_spoken"] = ctx.speaker.said[-1][0]
    yield from _tap(app, "idle_continue")
    out["after_continue"] = [
        app.idle_overlay.parent is None,
        app.sm.current,
        screen.ids.name_field.value,
    ]
    ctx.clock.advance(121)
    yield lambda: app.idle_overlay.parent is not None
    ctx.clock.advance(19)
    yield settled(app, 3)
    out["still_warning_at_19s"] = [app.idle_overlay.parent is not None, app.sm.current]
    ctx.clock.advance(2)
    yield lambda: app.sm.current == "home"
    out["after_reset"] = [
        app.idle_overlay.parent is None,
        screen.ids.name_field.value,
        screen.ids.phone_field.value,
    ]
    yield settled(app, 3)
    yield from _tap(app, "access_toggle")
    # The larger theme lays the home screen out again: tap the tile once it has settled.
    yield lambda: app.accessible
    yield settled(app, 3)
    yield from _tap(app, "bar_help")
    yield lambda: app.sm.current == "help_kind"
    ctx.clock.advance(121)
    yield settled(app, 3)
    out["accessible_no_warning_at_121s"] = app.idle_overlay.parent is None
    ctx.clock.advance(120)
    yield lambda: app.idle_overlay.parent is not None


def signage(app: Any, ctx: Context) -> Iterator[Step]:
    """Signage after the idle time; it rotates; the first touch goes home and is used up."""
    out = ctx.results
    yield settled(app)
    ctx.clock.advance(app.idle.signage_s - 1)
    yield settled(app, 3)
    out["early"] = app.signage_overlay.parent is not None
    ctx.clock.advance(2)
    yield lambda: app.signage_overlay.parent is not None
    first = app.signage_overlay.title_text
    out["first"] = [first, app.signage_overlay.ids.title.font_size]
    ctx.clock.advance(app.rotate_s)
    yield lambda: app.signage_overlay.title_text != first
    out["second"] = app.signage_overlay.title_text
    tile = app.screen("home").ids.tile_notices
    tap(tile)
    yield settled(app)
    out["after_first_touch"] = [app.signage_overlay.parent is None, app.sm.current]
    tap(tile)
    yield settled(app)
    out["after_second_touch"] = app.sm.current


def emergency(app: Any, ctx: Context) -> Iterator[Step]:
    """Waits for an emergency published by another process, then for its retraction."""
    import time

    out = ctx.results
    yield settled(app)
    yield from _tap(app, "tile_notices")
    Path(ctx.params["ready"]).write_text("ready")
    yield lambda: app.emergency_overlay.parent is not None
    out["appeared_at"] = time.time()
    out["over_screen"] = app.sm.current
    out["title"] = app.emergency_overlay.title_text
    out["said"] = ctx.speaker.said[-1][0]
    # Help can still be asked for; the takeover gives way to the banner and does not return.
    yield from _tap(app, "bar_help")
    out["help_during"] = [app.sm.current, app.emergency_overlay.parent is None]
    yield from _tap(app, "bar_home")
    out["after_help"] = [app.sm.current, app.emergency_overlay.parent is None, app.emergency_title]
    Path(ctx.params["seen"]).write_text("seen")
    yield lambda: not app.emergency_title
    out["left_at"] = time.time()


def help_and_guide(app: Any, ctx: Context) -> Iterator[Step]:
    """A help request through the screen, then guide mode: wrong PIN, right PIN, mark done,
    and the lock after repeated wrong PINs."""
    out = ctx.results
    yield settled(app)
    yield from _tap(app, "bar_help")
    out["first"] = [app.sm.current, app.current.speech()]
    yield from _tap(app, "kind_health")  # Arzttermin / Gesundheit
    screen = app.current
    yield from _type(app, ctx.params["name"])
    tap(screen.ids.phone_field)
    yield settled(app)
    yield from _type(app, ctx.params["phone"])
    yield from _tap(app, "send")
    out["after_send"] = [app.sm.current, screen.ids.name_field.value, app.current.hours_text]
    out["answer"] = app.current.ids.text.text
    out["kind_sent"] = [request.kind for request in app.data.help_requests()]
    out["confirmation_spoken"] = list(ctx.speaker.said[-1])
    yield from _tap(app, "done")
    yield from _tap(app, "guide_login")
    yield from _type(app, "0000")
    yield from _tap(app, "pin_ok")
    out["wrong"] = [app.sm.current, app.current.message, ctx.speaker.said[-1][0]]
    yield from _type(app, ctx.params["pin"])
    yield from _tap(app, "pin_ok")
    guide = app.current
    out["guide"] = [app.sm.current, [dict(row) for row in guide.requests], guide.status_text]
    yield settled(app, 5)
    from kiosk.widgets import KButton

    row = next(w for w in guide.ids.rv.children[0].children if w.request_id)
    tap(next(w for w in row.walk() if isinstance(w, KButton)))
    yield settled(app)
    out["after_mark"] = [dict(row) for row in guide.requests]
    yield from _tap(app, "logout")
    out["after_logout"] = [app.sm.current, app.screen("guide").requests]
    yield from _tap(app, "guide_login")
    for _ in range(5):
        yield from _type(app, "9999")
        yield from _tap(app, "pin_ok")
    yield from _type(app, ctx.params["pin"])
    yield from _tap(app, "pin_ok")
    out["locked"] = [app.sm.current, app.current.message]
