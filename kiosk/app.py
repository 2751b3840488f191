"""The kiosk app: screens, the persistent bar, overlays, and the loop that watches the store.

Import this module only after kiosk.launch has configured Kivy (window size, no argv parsing).
One timer (every `poll_s`, at most half a second) does all the watching: `PRAGMA data_version`
for new data, the emergency check, the idle timer and the clock on the home screen.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

from content import help as helpdesk
from content.errors import WRITE_ERRORS
from kiosk import idle as idle_rules
from kiosk.climate_data import format_number
from kiosk.data import Change, KioskData
from kiosk.help_answer import help_answer
from kiosk.hub_status import hub_status, sensor_service
from kiosk.i18n import DEFAULT_LANGUAGE, Translator
from kiosk.idle import Event, IdleTimer
from kiosk.keyboard import Keyboard
from kiosk.overlays import (
    EmergencyOverlay,
    IdleOverlay,
    KioskRoot,
    SpeechNotice,
    spoken_official,
)
from kiosk.pin import PinGate
from kiosk.screens.base import KioskScreen, scroll_to_top
from kiosk.screens.board import BoardScreen, CategoryScreen, DetailScreen
from kiosk.screens.booking_screens import BOOKING_SCREENS, open_booking
from kiosk.screens.climate import ClimateScreen
from kiosk.screens.guide import GuideScreen, PinScreen
from kiosk.screens.help import HelpDoneScreen, HelpKindScreen, HelpScreen
from kiosk.screens.home import HomeScreen, SoonScreen
from kiosk.screens.howto import HOWTO, HOWTO_SCREENS
from kiosk.screens.my_booking import MY_BOOKING, MyBookingScreen
from kiosk.screens.my_booking_status import MY_BOOKING_STATUS, MyBookingStatusScreen
from kiosk.screens.offer import (
    OfferContactScreen,
    OfferKindScreen,
    OfferTextScreen,
    forget_offer,
)
from kiosk.screens.offer_check import OfferCheckScreen, OfferDoneScreen
from kiosk.screenshot import ScreenshotTaker
from kiosk.signage import SignageItem, SignageOverlay, notice_item
from kiosk.speech import REFUSED_PERSONAL, SpeechError
from kiosk.theme import DEFAULT, HIGH_CONTRAST, PALETTES, Screen, make_theme

KV_DIR = Path(__file__).parent / "screens"
POLL_S = 0.25
EMERGENCY_CHECK_S = 1.0  # expiry and notices that start later need no database change
ROTATE_S = 10.0
SIGNAGE_NOTICES = 20
FIRST_FRAME_ENV = "DORFHUB_KIOSK_FIRST_FRAME"  # set: print the time of the first frame drawn
# Screens that show data from the store and are reloaded when it changes.
DATA_SCREENS = (
    "home",
    "categories",
    "board",
    "events",
    "detail",
    "guide",
    "climate",
    *BOOKING_SCREENS,
    MY_BOOKING_STATUS,
    *HOWTO_SCREENS,
)
# Of those, the ones that also show the hub's own tables (sensor readings, sync state): only
# they are read again when a commit brought no op, as the sensors' every five seconds.
LOCAL_SCREENS = ("home", "guide", "climate")
# Built one per frame after the first frame: the screens one tap from home that residents use
# most, so that a touch in the first seconds finds them ready. The others (a booking's steps,
# Meine Buchung, Biete / Suche, So funktioniert's, guide mode, …) are built when first asked
# for (`screen`): each costs 0.5-3 MB that a kiosk where nobody opens it need not hold.
AFTER_FIRST_FRAME = ("board", "events", "categories", "detail", "help_kind", "help", "climate")
log = logging.getLogger("dorfhub.kiosk")

SCREENS: dict[str, Callable[[], KioskScreen]] = {
    "board": lambda: BoardScreen(name="board"),
    "events": lambda: BoardScreen(name="events", events=True),
    "categories": CategoryScreen,
    "detail": DetailScreen,
    "soon": SoonScreen,
    "climate": ClimateScreen,
    "help_kind": HelpKindScreen,
    "help": HelpScreen,
    "help_done": HelpDoneScreen,
    "pin": PinScreen,
    "guide": GuideScreen,
    **BOOKING_SCREENS,
    **HOWTO_SCREENS,
    MY_BOOKING: MyBookingScreen,
    MY_BOOKING_STATUS: MyBookingStatusScreen,
    "offer_kind": OfferKindScreen,
    "offer_text": OfferTextScreen,
    "offer_contact": OfferContactScreen,
    "offer_check": OfferCheckScreen,
    "offer_done": OfferDoneScreen,
}


class Speaker(Protocol):
    """kiosk.speech.Speaker, or a test's recording fake."""

    def say(self, text: str, language: str, personal: bool = False) -> None: ...
    def stop(self) -> None: ...
    def repeat(self) -> None: ...
    def set_rate(self, rate: str) -> None: ...
    def set_output(self, output: str) -> None: ...
    def close(self) -> None: ...


class KioskApp(App):
    lang = StringProperty(DEFAULT_LANGUAGE)
    # rebind: .kv rules read `app.th.body`; without it Kivy binds nothing for such chains.
    th = ObjectProperty(None, rebind=True)
    accessible = BooleanProperty(False)
    headphones = BooleanProperty(False)
    speaking = BooleanProperty(False)  # the speaker button offers "Stopp" while true
    village = StringProperty("")
    date_text = StringProperty("")
    time_text = StringProperty("")
    board_category = StringProperty("")
    emergency_title = StringProperty("")  # the banner on every screen while one is active

    def __init__(
        self,
        data: KioskData,
        home_dir: Path,
        reference: Screen,
        speaker: Speaker,
        monotonic: Callable[[], float] = time.monotonic,
        idle_s: float = idle_rules.IDLE_S,
        warn_s: float = idle_rules.WARN_S,
        signage_s: float = idle_rules.SIGNAGE_S,
        rotate_s: float = ROTATE_S,
        poll_s: float = POLL_S,
        **kwargs: Any,
    ) -> None:
        self.th = make_theme(reference)
        super().__init__(**kwargs)
        self.title = "Dorfhub"
        self.data = data
        self.home_dir = home_dir
        self.reference = reference
        self.speaker = speaker
        self.monotonic = monotonic
        self.translator = Translator()
        self.village = data.hub_name
        self.idle = IdleTimer(idle_s, warn_s, signage_s, last_touch=monotonic())
        self.rotate_s = rotate_s
        self.poll_s = poll_s
        self.pin_gate = PinGate(home_dir, monotonic)
        self.history: list[str] = []
        # The last personal text asked to be read, and what of it may be said aloud in the room.
        self.personal_pending: tuple[str, str] | None = None
        self.was_speaking = False  # at the last touch, which stopped the speech
        # Test fakes that only record calls have no events.
        listen = getattr(speaker, "add_listener", None)
        if listen is not None:
            listen(self._speech_event_from_thread)
        self.returning = False  # true while `back` shows the previous screen
        self.dirty: set[str] = set()
        self.emergency_id = ""
        self.emergency_version = 0
        self.signage_items: list[SignageItem] = []
        self.signage_index = 0
        self.rotated_at = 0.0
        self.emergency_checked_at = -1e9
        self._keyboard: Keyboard | None = None
        # The trusted clock at the last tick, and when what the screens show changes next with
        # no commit to tell (a notice starts or ends, a slot can no longer be booked).
        self.clock_seen_ms = 0
        self.next_change_at: int | None = None
        self.screenshots = ScreenshotTaker(home_dir, monotonic, data.now_ms)

    # ---- building --------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        for kv in sorted(KV_DIR.glob("*.kv")):
            Builder.load_file(str(kv))
        root = KioskRoot()
        self.sm = root.ids.sm
        # No animations: the screen must not move under a finger that is about to tap.
        self.sm.transition = NoTransition()
        # Only the home screen is built before the first frame; the most used others are built
        # in the frames after it (AFTER_FIRST_FRAME), the rest when asked for: this halves the
        # time to the first frame.
        self.sm.add_widget(HomeScreen())
        self.sm.current = "home"
        self.content = root.ids.content
        self.emergency_overlay = EmergencyOverlay()
        self.speech_notice = SpeechNotice()
        self.signage_overlay = SignageOverlay()
        self.idle_overlay = IdleOverlay()
        self.root_widget = root
        self._apply_theme()
        self.dirty = set(DATA_SCREENS)
        self.next_change_at = self.data.next_change(self.data.now_ms())
        self.tick(0)
        Clock.schedule_interval(self.tick, self.poll_s)
        Clock.schedule_once(self._build_next_screen, 0)
        return root

    def _build_next_screen(self, _dt: float) -> None:
        """One screen per frame, so a touch in the first second is never kept waiting long."""
        missing = [name for name in AFTER_FIRST_FRAME if not self.sm.has_screen(name)]
        if missing:
            self.screen(missing[0])
            Clock.schedule_once(self._build_next_screen, 0)
        elif self._keyboard is None:
            self._keyboard = Keyboard()  # now, not when the first screen with fields opens

    def on_start(self) -> None:
        if os.environ.get(FIRST_FRAME_ENV):
            Window.bind(on_flip=self._first_frame)

    def _first_frame(self, *_: object) -> None:
        # For bench/kiosk.py: the wall time of the first frame on screen, measured against the
        # time the benchmark started this process.
        Window.unbind(on_flip=self._first_frame)
        print(f"dorfhub-kiosk first-frame {time.time():.6f}", flush=True)

    def on_stop(self) -> None:
        self.speaker.close()
        self.screenshots.close()

    def t(self, key: str, language: str, **values: object) -> str:
        """A catalog string; .kv files pass `app.lang` so a language switch re-renders them."""
        return self.translator.t(language, key, **values)

    def tn(self, key: str, count: int, language: str, **values: object) -> str:
        """A catalog string with plural forms, the one for `count` ("1 Aushang", "2 Aushänge")."""
        return self.translator.tn(language, key, count, **values)

    def screen(self, name: str) -> Any:
        """A screen by name, built the first time it is asked for."""
        if not self.sm.has_screen(name):
            self.sm.add_widget(SCREENS[name]())
        return self.sm.get_screen(name)

    @property
    def keyboard(self) -> Keyboard:
        """The kiosk's one on-screen keyboard; the screen shown takes it into its slot."""
        if self._keyboard is None:
            self._keyboard = Keyboard()
        return self._keyboard

    @property
    def current(self) -> KioskScreen:
        screen: KioskScreen = self.sm.current_screen
        return screen

    # ---- navigation ------------------------------------------------------------------------

    def go(self, name: str) -> None:
        if self.sm.current == name:
            return
        self._leaving(self.sm.current)
        if self.sm.current not in ("pin", "guide"):
            self.history.append(self.sm.current)
        self._show(name)

    def back(self) -> None:
        if self.emergency_overlay.parent is not None:
            self.dismiss_emergency()  # back from the takeover: to the screen it covered
            return
        if not self.history:
            self.home()
            return
        self._leaving(self.sm.current)
        self.returning = True
        try:
            self._show(self.history.pop())
        finally:
            self.returning = False

    def home(self) -> None:
        self._leaving(self.sm.current)
        self.history.clear()
        self._show("home")

    def _show(self, name: str) -> None:
        screen = self.screen(name)
        if name in self.dirty:
            self.dirty.discard(name)
            screen.refresh()
        self.sm.current = name

    def _leaving(self, name: str) -> None:
        # A notice about read-aloud belongs to the screen it was given on.
        self.personal_pending = None
        self.hide_speech_notice()
        # Moving on counts as read: the banner stays, the kiosk is never locked by a warning.
        self._hide(self.emergency_overlay)
        # Guide mode shows names and phone numbers: leaving it logs out and forgets them.
        if name in ("pin", "guide"):
            self.screen(name).wipe()
            self.history = [entry for entry in self.history if entry not in ("pin", "guide")]

    def open_board(self) -> None:
        # The tile means every notice: a topic chosen before (one with none, perhaps) must not
        # greet the resident with an empty board.
        self.screen("board").choose_topic("")
        self.go("board")

    def open_notice(self, notice_id: str) -> None:
        self.screen("detail").show(notice_id)
        self.dirty.discard("detail")  # just loaded: no second load on the way in
        self.go("detail")

    def open_booking(self, on_behalf: bool = False) -> None:
        """Arzttermin; from guide mode on a resident's behalf (marked in the request)."""
        open_booking(on_behalf)

    def open_my_booking(self) -> None:
        """Meine Buchung: the code from the slip first."""
        self.screen(MY_BOOKING).wipe()
        self.go(MY_BOOKING)

    def open_my_booking_status(self, request_id: str) -> None:
        """The booking a code found; Zurück from there leads past the code, not back to it."""
        status = self.screen(MY_BOOKING_STATUS)
        status.show(request_id)
        self.dirty.discard(MY_BOOKING_STATUS)
        self.go(MY_BOOKING_STATUS)
        self.history = [name for name in self.history if name != MY_BOOKING]
        self.say(status.speech())

    def open_offer(self) -> None:
        """Biete / Suche: a resident's notice, from its first choice with nothing typed."""
        forget_offer()
        self.go("offer_kind")

    def open_soon(self, topic: str) -> None:
        self.screen("soon").topic = topic
        self.go("soon")

    def open_howto(self) -> None:
        """So funktioniert's: the how-to library (the home tile)."""
        self.go(HOWTO)

    def open_help(self) -> None:
        """First what the help is about; name and phone come after."""
        self.go("help_kind")

    def open_guide(self) -> None:
        self._leaving("pin")
        self.dirty.add("guide")
        self._show("guide")

    # ---- settings --------------------------------------------------------------------------

    def set_language(self, language: str) -> None:
        self.lang = language
        self._language_or_theme_changed()

    def toggle_accessible(self) -> None:
        self.accessible = not self.accessible
        self._apply_theme()

    def set_theme(self, palette: str, large_text: bool) -> None:
        """For tests and the guide: any combination of palette and text size."""
        self._apply_theme(PALETTES[palette], large_text)

    def _apply_theme(self, palette: Any = None, large_text: bool | None = None) -> None:
        if palette is None:
            palette = HIGH_CONTRAST if self.accessible else DEFAULT
        if large_text is None:
            large_text = self.accessible
        self.th = make_theme(self.reference, palette, large_text)
        Window.clearcolor = self.th.colour("background")
        self.idle.accessible = self.accessible
        self.speaker.set_rate("slow" if self.accessible else "normal")
        self._language_or_theme_changed()

    def _language_or_theme_changed(self) -> None:
        if self._keyboard is not None:  # not made yet: it is made in the new look
            self._keyboard.build()
        self._read_screens(DATA_SCREENS)
        self._update_clock()
        self.check_emergency(force=True, announce=False)

    def toggle_headphones(self) -> None:
        self.headphones = not self.headphones
        self.speaker.set_output("headphones" if self.headphones else "speakers")

    # ---- speech ----------------------------------------------------------------------------

    def say(self, text: str, personal: bool = False, public: str = "") -> None:
        """Read `text` aloud. Personal text is only spoken into headphones; on the speakers the
        resident hears `public` (the same without the personal part) and is told why."""
        self.personal_pending = (text, public) if personal else None
        self.speaker.say(text, self.lang, personal)
        self._sync_speaking()

    def repeat(self) -> None:
        self.speaker.repeat()
        self._sync_speaking()

    def read_or_stop(self) -> None:
        """The speaker button: reads the screen, or, while speech runs, stops it (the touch on
        the button has already stopped it, see `touched`)."""
        if self.was_speaking:
            self.was_speaking = False
            return
        self.read_aloud()

    def use_headphones(self) -> None:
        """One tap from the refusal notice: output to headphones, then the personal text."""
        self.hide_speech_notice()
        if not self.headphones:
            self.toggle_headphones()
        if self.personal_pending is not None:
            text, public = self.personal_pending
            self.say(text, personal=True, public=public)

    def _sync_speaking(self) -> None:
        self.speaking = bool(getattr(self.speaker, "is_speaking", False))

    def _speech_event_from_thread(self, event: Any) -> None:
        # Events come on the speaker's worker thread; widgets may only change on Kivy's.
        Clock.schedule_once(lambda _dt: self.speech_event(event), 0)

    def speech_event(self, event: Any) -> None:
        """What the speaker reports: the button follows it, and a refusal or a failure is
        shown (and a refusal also said, without the personal part) instead of silence."""
        self._sync_speaking()
        if event.kind == "refused" and event.reason == REFUSED_PERSONAL:
            public = self.personal_pending[1] if self.personal_pending else ""
            self.show_speech_notice("personal")
            message = self.t("speech.personal_refused", self.lang)
            try:
                self.speaker.say(f"{public} {message}".strip(), self.lang, False)
            except SpeechError as exc:  # closed while the app stops
                log.warning("read-aloud: %s", exc)
            self._sync_speaking()
        elif event.kind == "error":
            log.warning("read-aloud failed: %s", event.reason)
            self.show_speech_notice("unavailable")

    def show_speech_notice(self, kind: str) -> None:
        """A strip at the foot of the screen, above the bar, on top of everything else."""
        notice = self.speech_notice
        notice.kind = kind
        if notice.parent is not None:
            notice.parent.remove_widget(notice)
        self.root_widget.add_widget(notice)
        notice.size_hint = (None, None)
        notice.width = self.content.width
        notice.pos = self.content.pos

    def hide_speech_notice(self) -> None:
        self._hide(self.speech_notice)

    def read_aloud(self) -> None:
        if self.emergency_overlay.parent is not None:
            overlay = self.emergency_overlay
            # The source, issued and until when of an official warning are heard as well.
            parts = [overlay.title_text, spoken_official(overlay.official_text), overlay.body_text]
            self.say(". ".join(part for part in parts if part))
            return
        public = self.current.speech()
        personal = self.current.personal_speech()
        if personal:
            self.say(personal, personal=True, public=public)
        else:
            self.say(public)

    # ---- touches, idle and signage ---------------------------------------------------------

    def touched(self, pos: tuple[float, float] | None = None) -> bool:
        """Every touch: activity and silence. True when the touch is used up by ending the
        signage loop or the idle warning (a touch on the bar beside the warning, as on "Hilfe
        holen", ends it and does what it touched)."""
        self.idle.touched(self.monotonic())
        self.was_speaking = self.speaking
        self.speaker.stop()
        self.speaking = False
        if self.signage_overlay.parent is not None:
            self._hide(self.signage_overlay)
            self.home()
            return True
        if self.idle_overlay.parent is not None:
            on_warning = pos is None or self.idle_overlay.collide_point(*pos)
            self._hide(self.idle_overlay)
            return on_warning
        return False

    def keep_going(self) -> None:
        self.idle.touched(self.monotonic())
        self._hide(self.idle_overlay)

    def at_rest(self) -> bool:
        return bool(self.sm.current == "home")

    def privacy_reset(self) -> None:
        """The kiosk as the next person should find it, after the idle warning and before the
        signage: home, every screen reset (what was typed, choices, pages, scroll positions),
        the keyboard, German, the normal theme, and an active emergency shown in full again."""
        self._hide(self.idle_overlay)
        for screen in self.sm.screens:
            screen.reset()
            scroll_to_top(screen)
        if self._keyboard is not None:
            self._keyboard.reset()
        self.home()
        plain = self.th.palette is DEFAULT and not self.th.large_text
        if self.lang != DEFAULT_LANGUAGE or self.accessible or not plain:
            self.lang = DEFAULT_LANGUAGE
            self.accessible = False
            self._apply_theme()
        if self.emergency_id:
            self._cover(self.emergency_overlay, self.root_widget.ids.main)

    def start_signage(self) -> None:
        self.privacy_reset()  # a person who left on the home screen leaves nothing either
        if self.emergency_id:
            return
        self._read_signage()
        self.signage_index = -1
        self._rotate()
        self._cover(self.signage_overlay)

    def _read_signage(self) -> None:
        # Only the first few: the whole list builds every notice (15 MB kept with 7,000).
        notices = self.data.notices(limit=SIGNAGE_NOTICES)
        self.signage_items = [notice_item(self, n) for n in notices] or [
            SignageItem(self.village, (), self.t("signage.welcome", self.lang))
        ]
        # The notice on show stays until its turn is over; the rotation goes on from there.
        self.signage_index = min(self.signage_index, len(self.signage_items) - 1)

    def _rotate(self) -> None:
        """The notice's next page, else the next notice (kiosk/signage.py lays it out)."""
        self.rotated_at = self.monotonic()
        if self.signage_index >= 0 and self.signage_overlay.next_page():
            return
        self.signage_index = (self.signage_index + 1) % len(self.signage_items)
        item = self.signage_items[self.signage_index]
        self.signage_overlay.show(item, self.reference, self.th)

    def _cover(self, overlay: Any, area: Any = None) -> None:
        """Lay an overlay over `area` (default: the whole window, bar included)."""
        if overlay.parent is None:
            self.root_widget.add_widget(overlay)
        target = area or self.root_widget
        overlay.size_hint = (None, None)
        overlay.pos = target.pos
        overlay.size = target.size

    def _hide(self, overlay: Any) -> None:
        if overlay.parent is not None:
            overlay.parent.remove_widget(overlay)

    # ---- the watch loop --------------------------------------------------------------------

    def tick(self, dt: float) -> None:
        # Before this tick changes anything: what is captured has been on screen for frames.
        self.screenshots.tick(self)
        now = self.monotonic()
        now_ms = self._update_clock()
        change = self.data.changes()
        time_says_read = self._time_says_read(now_ms)  # every tick: it watches the clock too
        if change is Change.LOG or time_says_read:
            self._read_again(now_ms)
        else:
            if change is Change.LOCAL:
                self._read_screens(LOCAL_SCREENS)
            if now - self.emergency_checked_at >= EMERGENCY_CHECK_S:
                self.check_emergency(force=True)
        if self.emergency_overlay.parent is not None:
            self._cover(self.emergency_overlay, self.root_widget.ids.main)
        event = self.idle.tick(now, self.at_rest())
        if event is Event.WARN:
            self.idle_overlay.seconds = self.idle.seconds_left(now)
            self._cover(self.idle_overlay, self.root_widget.ids.main)  # the bar stays usable
            self.say(self.t("idle.question", self.lang))
        elif event is Event.RESET:
            self.privacy_reset()
        elif event is Event.SIGNAGE:
            self.start_signage()
        if self.idle_overlay.parent is not None:
            self.idle_overlay.seconds = self.idle.seconds_left(now)
        if self.signage_overlay.parent is not None and now - self.rotated_at >= self.rotate_s:
            self._rotate()

    def _read_screens(self, names: tuple[str, ...]) -> None:
        """The screen shown reads again now; the others when next shown."""
        self.dirty |= set(names)
        if self.sm.current in self.dirty:
            self.dirty.discard(self.sm.current)
            self.current.refresh()

    def _time_says_read(self, now_ms: int) -> bool:
        # No commit tells when a notice starts or ends or a slot's booking closes (an offline
        # hub may see none for days). A clock set back (an NTP step after running fast) may
        # have shown notices whose time has not come: read again then too.
        stepped_back, self.clock_seen_ms = now_ms < self.clock_seen_ms, now_ms
        if stepped_back:
            return True
        return self.next_change_at is not None and now_ms >= self.next_change_at

    def _read_again(self, now_ms: int) -> None:
        """After a new op or a change in time: every data screen and the signage."""
        self.next_change_at = self.data.next_change(now_ms)
        self._read_screens(DATA_SCREENS)
        if self.signage_overlay.parent is not None:
            self._read_signage()
        self.check_emergency(force=True)

    def _update_clock(self) -> int:
        now_ms = self.data.now_ms()
        self.date_text = self.translator.date(self.lang, now_ms)
        self.time_text = self.translator.time(self.lang, now_ms)
        return now_ms

    def check_emergency(self, force: bool = False, announce: bool = True) -> None:
        self.emergency_checked_at = self.monotonic()
        notice = self.data.emergency()
        overlay = self.emergency_overlay
        if notice is None:
            self.emergency_id = self.emergency_title = ""
            self._hide(overlay)
            return
        is_new = (notice.id, notice.updated_at) != (self.emergency_id, self.emergency_version)
        self.emergency_id, self.emergency_version = notice.id, notice.updated_at
        overlay.notice_id = notice.id
        overlay.title_text = self.emergency_title = notice.text("title", self.lang)
        overlay.body_text = notice.text("body", self.lang)
        if is_new:
            # It takes over once, whatever mode the kiosk was in; then it is the banner's.
            self._hide(self.signage_overlay)
            self._hide(self.idle_overlay)
            self.show_emergency(announce)

    def show_emergency(self, announce: bool = True) -> None:
        """The takeover over everything but the bar (from the banner: again, and read)."""
        self._cover(self.emergency_overlay, self.root_widget.ids.main)
        if announce:
            log.info("emergency notice %s shown", self.emergency_id)
            self.read_aloud()

    def dismiss_emergency(self) -> None:
        """ "Verstanden": the banner on every screen keeps it one tap away."""
        self._hide(self.emergency_overlay)

    # ---- help requests and guide mode ------------------------------------------------------

    def send_help(self, name: str, phone: str, kind: str = "") -> str | None:
        """Store a sealed help request; None when done, else the catalog key of the error."""
        try:
            self.data.ask_for_help(name, phone, kind)
            now_ms = self.data.now_ms()
            hours = helpdesk.guide_office_hours(self.data.conn, self.data.hub_name, now_ms)
            times = helpdesk.guide_office_hour_times(self.data.conn, self.data.hub_name, now_ms)
        except helpdesk.HelpError as exc:
            log.error("help request refused: %s", exc)
            return f"help.error_{exc.field}" if exc.field else "help.error"
        except WRITE_ERRORS as exc:
            log.error("help request not stored: %s", exc)
            return "help.error"
        done = self.screen("help_done")
        # Honest: whether a guide is here, when the next office hour is, and a call only if
        # there is a number to call.
        answer = help_answer(
            now_ms, times, bool(phone), lambda key, **values: self.t(key, self.lang, **values)
        )
        done.show(hours, name, phone, answer)
        self.history.clear()
        self.sm.current = "help_done"
        if self.headphones:
            self.read_aloud()  # with the name and number, for the resident to check them
        else:
            self.say(done.speech())
        return None

    def guide_rows(self) -> list[dict[str, Any]]:
        rows = []
        for request in self.data.help_requests():
            when = self.translator.date_time(self.lang, request.time_ms)
            name = request.name or self.t("guide.anonymous", self.lang)
            if not request.readable:
                name = self.t("guide.erased", self.lang)
            parts = [when, name] + ([request.phone] if request.phone else [])
            state = self.t(f"guide.state.{request.state}", self.lang)
            rows.append(
                {
                    "text": " · ".join(parts) + "\n" + state,
                    "request_id": request.id,
                    "done": request.state == "done",
                }
            )
        return rows

    def mark_help_done(self, request_id: str) -> None:
        try:
            self.data.mark_help_done(request_id)
        except WRITE_ERRORS as exc:
            log.error("help request %s not marked done: %s", request_id, exc)
            self.say(self.t("guide.mark_failed", self.lang))
            return
        self.screen("guide").refresh()
        self.say(self.t("guide.marked", self.lang))

    def status_text(self) -> str:
        status = hub_status(
            self.data.store, self.data.hub.key_id, self.home_dir, self.data.wall_ms()
        )
        lang = self.lang
        minutes = status.clock_skew_s // 60
        lines = [
            self.t(
                "guide.last_sync",
                lang,
                when=self.translator.date_time(lang, status.last_sync_ms),
            )
            if status.last_sync_ms
            else self.t("guide.never_synced", lang),
            self.tn("guide.pending", status.pending_ops, lang),
            self.tn("guide.clock_suspect", minutes, lang, minutes=minutes)
            if status.clock_suspect
            else self.t("guide.clock_ok", lang),
            self.t(
                "guide.disk",
                lang,
                gigabytes=self.translator.number(lang, status.disk_free_bytes / 1e9),
                percent=status.disk_free_percent,
            ),
            *self.sensor_lines(),
        ]
        return "\n".join(lines)

    def sensor_lines(self) -> list[str]:
        """The sensors part of the hub status, from the hub daemon's sensor-status.json."""
        service = sensor_service(self.home_dir, self.data.wall_ms())
        lang = self.lang
        if not service.running:
            return [self.t("guide.sensors_down", lang)]
        if not service.sensors:
            return [self.t("guide.sensors_none", lang)]
        lines = []
        for sensor in service.sensors:
            state = "guide.sensor_connected" if sensor.connected else "guide.sensor_disconnected"
            lines.append(self.t(state, lang, sensor=sensor.sensor_id))
            lines.append(
                self.t(
                    "guide.sensor_counters",
                    lang,
                    frames_ok=format_number(sensor.frames_ok, 0, lang),
                    checksum_errors=format_number(sensor.checksum_errors, 0, lang),
                    reconnects=format_number(sensor.reconnects, 0, lang),
                )
            )
            if sensor.last_error:
                lines.append(self.t("guide.sensor_error", lang, error=sensor.last_error))
        return lines
