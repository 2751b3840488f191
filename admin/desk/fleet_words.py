"""The fleet in the desk's words: content/fleet.py says how each hub is in German for the command
line; the desk says the same from the same raw values in the page's language, through its
catalogs. tests/desk/test_fleet_pages.py keeps the German here equal to content/fleet.py's."""

from __future__ import annotations

from babel.numbers import format_decimal

from admin.desk.i18n import Words
from content.catalogs import babel_locale
from content.fleet import (
    CLOCK_OK_S,
    MINUTE_MS,
    HubRow,
    OpenAlert,
    ReportedFork,
    SensorSeen,
)
from content.screenshots import Screenshot

# content/fleet.py's problem words, and the catalog key of each.
PROBLEM_KEYS = {
    "Fork": "fork",
    "offline": "offline",
    "nie gesehen": "never",
    "Rückstand": "behind",
    "Uhr": "clock",
    "Speicher knapp": "disk",
    "Sensor still": "sensor",
    "Warnung": "alert",
}
SCREENS = ("home", "signage", "emergency")


class FleetWords:
    """How a hub is, in words, for one page (its language, its moment)."""

    def __init__(self, t: Words, now_ms: int) -> None:
        self.t = t
        self.now_ms = now_ms

    def number(self, value: float, pattern: str = "#,##0") -> str:
        return str(format_decimal(value, format=pattern, locale=babel_locale(self.t.language)))

    def span(self, ms: int, dative: bool) -> str:
        """A span rounded down to its largest unit: 3 Min., 2 Std., 1 Tag, 3 Tagen/Tage."""
        minutes = max(1, ms // MINUTE_MS)
        if minutes < 60:
            return self.t("fleet.span.minutes", n=minutes)
        if minutes < 24 * 60:
            return self.t("fleet.span.hours", n=minutes // 60)
        days = minutes // (24 * 60)
        if days < 365:
            return self._counted(days, "day", dative)
        return self._counted(days // 365, "year", dative)

    def _counted(self, count: int, unit: str, dative: bool) -> str:
        if count == 1:
            return self.t(f"fleet.span.{unit}", n=count)
        case = "_dative" if dative else ""
        return self.t(f"fleet.span.{unit}s{case}", n=count)

    def ago(self, then_ms: int) -> str:
        elapsed = self.now_ms - then_ms
        if elapsed < MINUTE_MS:
            return self.t("fleet.ago.just_now")
        return self.t("fleet.ago", span=self.span(elapsed, True))

    # ---- a row's cells ------------------------------------------------------------------------

    def state(self, row: HubRow) -> str:
        return self.t(f"fleet.state.{row.state}")

    def seen(self, row: HubRow) -> str:
        if row.last_seen_ms is None:
            return self.t("fleet.seen.never")
        if row.state == "offline":
            span = self.span(self.now_ms - row.last_seen_ms, True)
            return self.t("fleet.seen.offline", span=span)
        return self.ago(row.last_seen_ms)

    def ops(self, row: HubRow) -> str:
        behind, ahead = row.ops_behind, row.ops_ahead
        if behind is None or ahead is None:
            return self.t("fleet.unknown")
        parts = []
        if behind:
            key = "fleet.ops.behind_one" if behind == 1 else "fleet.ops.behind"
            parts.append(self.t(key, n=self.number(behind)))
        if ahead:
            parts.append(self.t("fleet.ops.ahead", n=self.number(ahead)))
        return ", ".join(parts) or self.t("fleet.ops.current")

    def clock(self, row: HubRow) -> str:
        offset = row.clock_offset_s
        if offset is None:
            return self.t("fleet.unknown")
        if abs(offset) < CLOCK_OK_S:
            return self.t("fleet.clock.ok")
        key = "fleet.clock.behind" if offset > 0 else "fleet.clock.ahead"
        return self.t(key, span=self.span(abs(offset) * 1000, False))

    def disk(self, row: HubRow) -> str:
        free, total = row.disk_free_bytes, row.disk_total_bytes
        if free is None or not total:
            return self.t("fleet.unknown")
        gigabytes = self.number(free / 1e9, "0.0")
        return self.t("fleet.disk.free", gb=gigabytes, percent=round(100 * free / total))

    def sensors(self, sensors: tuple[SensorSeen, ...]) -> str:
        if not sensors:
            return self.t("fleet.sensors.none")
        count = self._sensor_count(len(sensors))
        last = self.ago(max(sensor.last_ms for sensor in sensors))
        text = self.t("fleet.sensors.last", count=count, ago=last)
        still = sum(1 for sensor in sensors if sensor.still)
        return self.t("fleet.sensors.still", text=text, n=still) if still else text

    def _sensor_count(self, count: int) -> str:
        return self.t("fleet.sensors.one") if count == 1 else self.t("fleet.sensors.many", n=count)

    def alerts(self, alerts: tuple[OpenAlert, ...]) -> str:
        if not alerts:
            return self.t("fleet.alerts.none")
        titles = ", ".join(dict.fromkeys(alert.title for alert in alerts))
        if len(alerts) == 1:
            return self.t("fleet.alerts.one", titles=titles)
        return self.t("fleet.alerts.many", n=len(alerts), titles=titles)

    def forks(self, forked: bool, forks: tuple[ReportedFork, ...]) -> str:
        parts = [self.t("fleet.forks.own")] if forked else []
        for revoked, key in ((False, "fleet.forks.reported"), (True, "fleet.forks.revoked")):
            names = [fork.name or fork.author[:12] for fork in forks if fork.revoked == revoked]
            if names:
                parts.append(self.t(key, names=", ".join(names)))
        return "; ".join(parts) or self.t("fleet.forks.none")

    def problems(self, row: HubRow) -> list[str]:
        return [
            self.t(f"fleet.problem.{PROBLEM_KEYS[word]}") if word in PROBLEM_KEYS else word
            for word in row.problems
        ]

    # ---- the screenshot -----------------------------------------------------------------------

    def screenshot(self, shot: Screenshot | None) -> str:
        """ "Bildschirm von vor 12 Min. (Startseite)", or "noch kein Bild"."""
        if shot is None:
            return self.t("fleet.screen.none")
        ago = self.ago(min(self.now_ms, shot.taken_at_ms))
        screen = shot.screen if shot.screen in SCREENS else "home"
        return self.t("fleet.screen.shot", ago=ago, screen=self.t(f"fleet.screen.{screen}"))
