"""The preview against the real kiosk: the same notice opened in the running Kivy app (under Xvfb)
and in the desk's preview in the browser, their boxes measured in kiosk pixels, their lines and
their cuts compared. This is what keeps the layout numbers in content/kiosk_look.py (which the
.kv files do not read) and the line rules in preview_layout.py true to the kiosk.

The kiosk runs in a process of its own, started as

    python -m tests.desk.test_preview_kiosk HOME RESULT_JSON NOTICE_ID

(Kivy starts once per process), and writes what it measured into RESULT_JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from admin.desk.preview_layout import measure, pages, signage, wrap
from content import notices
from content.bodies import Event
from content.clock import wall_clock_ms
from content.identity import load_identity
from content.kiosk_look import DETAIL_BOX_GAPS, Screen, line_px, sizes
from content.local_time import local
from content.log import Log
from content.store import Store
from tests.desk.conftest import HANS, DeskSite
from tests.desk.test_preview import post_preview
from tests.kiosk.hubhome import make_hub_home
from tests.kiosk.run import REPO, kiosk_env

SIZE = sizes(Screen())
TITLE = (
    "Seniorennachmittag mit Kaffee und Kuchen im Pfarrheim Perlesreut für alle Generationen "
    "und Nachbarn aus dem ganzen Ilzer Land"
)
BODY = "\n".join(
    f"Zeile {n}: Wir laden alle Seniorinnen und Senioren herzlich ein." for n in range(30)
)
PLACE = "Pfarrheim Perlesreut"
# Kivy lays out a widget's texture a pixel or two off where CSS puts its box.
PX = 2
# Boxes measured on both sides: a CSS selector in the preview, a widget id in the kiosk.
BOXES = {
    "title": ".k-detail .k-title",
    "when": ".k-detail .k-when",
    "where": ".k-detail .k-where",
    "surface": ".k-detail .k-surface",
    "qr": ".k-detail .k-qr",
    "page_up": ".k-detail .k-buttons .k-button",
    "bar": ".k-detail .k-bar",
    "bar_help": ".k-detail .k-bar .k-help",
    "signage_title": ".k-signage .k-signage-title",
    "signage_meta": ".k-signage .k-signage-meta",
    "signage_body": ".k-signage .k-signage-body",
    "signage_hint": ".k-signage .k-hint",
}
MEASURE_BOXES = """([selectors, width]) => {
    const found = {};
    for (const [name, selector] of Object.entries(selectors)) {
        const element = document.querySelector(selector);
        const frame = element.closest(".k-window").getBoundingClientRect();
        const scale = frame.width / width;
        const box = element.getBoundingClientRect();
        found[name] = [(box.left - frame.left) / scale, (box.top - frame.top) / scale,
                       box.width / scale, box.height / scale];
    }
    return found;
}"""


# ---- inside the kiosk's process ---------------------------------------------------------------


def _box(widget: Any, height: int) -> list[float]:
    """A widget's box as [left, top, width, height] in window pixels, top-down like CSS."""
    left, bottom = widget.to_window(widget.x, widget.y)
    return [left, height - bottom - widget.height, widget.width, widget.height]


def _lines(label: Any) -> list[str]:
    label.texture_update()
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def _measure(app: Any) -> dict[str, Any]:
    height = app.reference.height_px
    detail = app.screen("detail").ids
    bar = app.root_widget.ids.bar.ids
    signage = app.signage_overlay.ids
    boxes = {
        "title": detail.title,
        "when": detail.when,
        "where": detail.where,
        "surface": detail.body_scroll.parent,
        "qr": detail.qr,
        "page_up": detail.page_up,
        "bar": app.root_widget.ids.bar,
        "bar_help": bar.bar_help,
        "signage_title": signage.title,
        "signage_meta": signage.meta,
        "signage_body": signage.body,
        "signage_hint": signage.hint,
    }
    return {
        "boxes": {name: _box(widget, height) for name, widget in boxes.items()},
        "title_lines": _lines(detail.title),
        "body_height": detail.body.height,
        "view_height": detail.body_scroll.height,
        "signage_title": _lines(signage.title),
        "signage_meta": _lines(signage.meta),
        "signage_body": _lines(signage.body),
        "signage_sizes": [signage.title.font_size, signage.body.font_size],
    }


def main() -> int:
    home, out, notice_id = sys.argv[1:]
    from kivy.clock import Clock

    from content.store import Store
    from kiosk.launch import KioskOptions, build_app
    from node.home import Home
    from tests.kiosk.fakes import RecordingSpeaker

    hub = Home.open(Path(home))
    options = KioskOptions(
        db_path=hub.db_path,
        home_dir=hub.path,
        identity=hub.identity(),
        hub_name=hub.config.name,
        width=1920,
        height=1080,
        diagonal_in=21.5,
    )
    store = Store(options.db_path)
    app = build_app(options, store, speaker_factory=RecordingSpeaker)
    seen: dict[str, Any] = {"last": None, "still": 0}

    def show(_dt: float) -> None:
        from kiosk.signage import notice_item

        app.open_notice(notice_id)
        # The card laid over the detail screen (start_signage would go home first), on its
        # first page for as long as this takes.
        app.rotate_s = float("inf")
        notice = app.data.notice(notice_id)
        app.signage_overlay.show(notice_item(app, notice), app.reference, app.th)
        app._cover(app.signage_overlay)
        Clock.schedule_interval(settle, 0)

    def settle(_dt: float) -> bool:
        # Measure once the layout has stood still for five frames (texts wrap, then parents
        # follow), and the screen change is over.
        found = _measure(app)
        moving = found != seen["last"] or app.sm.transition.is_active
        seen.update(last=found, still=0 if moving else seen["still"] + 1)
        if seen["still"] < 5:
            return True
        Path(out).write_text(json.dumps(found, ensure_ascii=False))
        app.stop()
        return False

    Clock.schedule_once(show, 0.5)
    app.run()
    store.close()
    return 0


# ---- the test ---------------------------------------------------------------------------------


def _kiosk_measures(tmp_path: Path, start: int, end: int) -> dict[str, Any]:
    hub = make_hub_home(tmp_path)
    admin = load_identity(hub.admin_key)
    body = notices.notice_body(
        TITLE,
        BODY,
        category="veranstaltung",
        valid_from=wall_clock_ms() - 60_000,
        event=Event(start=start, end=end, place=PLACE),
    )
    store = Store(hub.path / "dorfhub.db")
    try:
        notice_id = notices.publish(Log(store), admin, body)
    finally:
        store.close()
    out = tmp_path / "kiosk.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.desk.test_preview_kiosk", str(hub.path), str(out), notice_id],
        cwd=REPO,
        env=kiosk_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), f"the kiosk measured nothing:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    measured: dict[str, Any] = json.loads(out.read_text())
    return measured


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run")
def test_the_preview_draws_what_the_kiosk_draws(page: Page, desk: DeskSite, tmp_path: Path) -> None:
    # An event tomorrow afternoon, in whole minutes (the editor's fields have no seconds).
    start = local(wall_clock_ms() + 86_400_000).replace(hour=15, minute=0, second=0, microsecond=0)
    end = start.replace(hour=17)
    kiosk = _kiosk_measures(tmp_path, int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    # The lines and cuts the preview works out are the ones Kivy made.
    # The labels share the width with the code's column (the screen's full height).
    inner = Screen().width_px - 2 * SIZE.padding - SIZE.qr_column - DETAIL_BOX_GAPS * SIZE.gap
    assert kiosk["title_lines"] == wrap(TITLE, inner, measure(SIZE.title, bold=True))
    # The signage: the same pages, sizes and lines as the preview lays out (content/signage).
    card = signage(Screen(), SIZE, TITLE, kiosk["signage_meta"], BODY)[0]
    assert kiosk["signage_sizes"] == [card.title_px, card.body_px]
    assert kiosk["signage_title"] == card.title.split("\n")
    assert kiosk["signage_body"] == card.body.split("\n")
    assert kiosk["body_height"] == 30 * line_px(SIZE.reading)
    # The preview of the same notice in the browser, box by box, in kiosk pixels.
    desk.log_in(page, HANS)
    fields = {
        "title_de": TITLE,
        "body_de": BODY,
        "category": "veranstaltung",
        "event_start_date": start.date().isoformat(),
        "event_start_time": "15:00",
        "event_end_time": "17:00",
        "place": PLACE,
    }
    post_preview(desk, page, fields)
    boxes = page.evaluate(MEASURE_BOXES, [BOXES, Screen().width_px])
    for name, expected in kiosk["boxes"].items():
        assert boxes[name] == pytest.approx(expected, abs=PX), name
    view = boxes["surface"][3] - 2 * SIZE.padding
    assert view == pytest.approx(kiosk["view_height"], abs=PX)
    # Where the kiosk pages: as many screenfuls as its own text and view heights make.
    screenfuls = pages(kiosk["body_height"], kiosk["view_height"])
    assert screenfuls == 3  # thirty lines of reading text
    assert f"Seite 1 von {screenfuls}," in page.locator(".k-cut").first.inner_text()


if __name__ == "__main__":
    sys.exit(main())
