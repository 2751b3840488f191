"""Draw the pictures of the demo's how-to articles (node/demo_articles.py), flat and clear.

    .venv/bin/python -m node.howto.draw      # writes node/howto/*.png again

Each picture is 800 x 500 pixels, a few flat colours and no words (the step's text says it, in
every language), written as a palette PNG of a few KiB. The same script gives the same files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

W, H = 800, 500
HERE = Path(__file__).parent

BACKGROUND = "#EEF3F6"
INK = "#1F2A33"
SCREEN = "#FFFFFF"
FRAME = "#37474F"
BLUE = "#2A6F97"
LIGHT_BLUE = "#A9D6E5"
GREEN = "#2E7D32"
LIGHT_GREEN = "#C8E6C9"
RED = "#C62828"
YELLOW = "#F9C74F"
SKIN = "#F1C8A5"
HAIR = "#8D6E63"
GREY = "#B0BEC5"
PINK = "#F4A7B9"
COAT = "#FAFAFA"

Draw = ImageDraw.ImageDraw


def canvas() -> tuple[Image.Image, Draw]:
    image = Image.new("RGB", (W, H), BACKGROUND)
    return image, ImageDraw.Draw(image)


# ---- parts ----------------------------------------------------------------------------------


def monitor(d: Draw, box: tuple[int, int, int, int], fill: str = SCREEN) -> None:
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 18, fill=FRAME)
    d.rounded_rectangle((x0 + 16, y0 + 16, x1 - 16, y1 - 16), 8, fill=fill)
    middle = (x0 + x1) // 2
    d.rectangle((middle - 18, y1, middle + 18, y1 + 40), fill=FRAME)
    d.rounded_rectangle((middle - 90, y1 + 36, middle + 90, y1 + 52), 8, fill=FRAME)


def person(d: Draw, x: int, y: int, size: float = 1.0, shirt: str = BLUE, hair: str = HAIR) -> None:
    """Head and shoulders, the head's centre at (x, y)."""
    r = int(46 * size)
    d.pieslice((x - 2.2 * r, y + 0.9 * r, x + 2.2 * r, y + 4.6 * r), 180, 360, fill=shirt)
    d.ellipse((x - r, y - r, x + r, y + r), fill=SKIN)
    d.chord((x - r, y - r, x + r, y + r * 0.6), 180, 360, fill=hair)
    eye = max(3, int(5 * size))
    for dx in (-0.38, 0.38):
        ex, ey = x + dx * r, y + 0.1 * r
        d.ellipse((ex - eye, ey - eye, ex + eye, ey + eye), fill=INK)
    d.arc((x - 0.4 * r, y + 0.2 * r, x + 0.4 * r, y + 0.6 * r), 20, 160, fill=INK, width=3)


def doctor(d: Draw, x: int, y: int, size: float = 1.0) -> None:
    person(d, x, y, size, shirt=COAT, hair=INK)
    r = 46 * size
    # The stethoscope round the neck.
    d.arc((x - 0.9 * r, y + 0.8 * r, x + 0.9 * r, y + 2.4 * r), 0, 180, fill=BLUE, width=5)
    d.ellipse((x + 0.6 * r, y + 1.9 * r, x + 1.0 * r, y + 2.3 * r), fill=BLUE)


def check(d: Draw, x: int, y: int, r: int = 50, colour: str = GREEN) -> None:
    d.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    d.line(
        ((x - r * 0.45, y), (x - r * 0.1, y + r * 0.38), (x + r * 0.5, y - r * 0.35)),
        fill="white",
        width=max(6, r // 6),
        joint="curve",
    )


def cross(d: Draw, x: int, y: int, r: int = 50) -> None:
    d.ellipse((x - r, y - r, x + r, y + r), fill=RED)
    k = r * 0.4
    for a, b in (((x - k, y - k), (x + k, y + k)), ((x - k, y + k), (x + k, y - k))):
        d.line((a, b), fill="white", width=max(6, r // 5))


def strike(d: Draw, box: tuple[int, int, int, int]) -> None:
    """A red ring with a bar: not this."""
    x0, y0, x1, y1 = box
    d.ellipse(box, outline=RED, width=16)
    d.line(
        (
            (x0 + 0.18 * (x1 - x0), y0 + 0.18 * (y1 - y0)),
            (x1 - 0.18 * (x1 - x0), y1 - 0.18 * (y1 - y0)),
        ),
        fill=RED,
        width=16,
    )


def warning(d: Draw, x: int, y: int, size: int = 110) -> None:
    h = size * math.sqrt(3) / 2
    d.polygon(
        ((x, y - h / 2), (x + size / 2, y + h / 2), (x - size / 2, y + h / 2)),
        fill=YELLOW,
        outline=INK,
        width=6,
    )
    d.rounded_rectangle((x - 7, y - h / 4, x + 7, y + h / 4), 5, fill=INK)
    d.ellipse((x - 8, y + h / 4 + 8, x + 8, y + h / 4 + 24), fill=INK)


def phone(d: Draw, box: tuple[int, int, int, int], screen: str = LIGHT_BLUE) -> None:
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 26, fill=INK)
    d.rounded_rectangle((x0 + 12, y0 + 30, x1 - 12, y1 - 30), 8, fill=screen)


def handset(
    d: Draw, x: int, y: int, size: float = 1.0, colour: str = INK, angle: float = 0
) -> None:
    """An old telephone receiver, centred at (x, y)."""
    part = Image.new("RGBA", (int(260 * size), int(260 * size)), (0, 0, 0, 0))
    p = ImageDraw.Draw(part)
    s = size
    p.arc((30 * s, 40 * s, 230 * s, 240 * s), 200, 340, fill=colour, width=int(34 * s))
    p.rounded_rectangle((10 * s, 110 * s, 80 * s, 160 * s), 14, fill=colour)
    p.rounded_rectangle((180 * s, 110 * s, 250 * s, 160 * s), 14, fill=colour)
    part = part.rotate(angle, resample=Image.Resampling.BICUBIC)
    d._image.paste(part, (int(x - part.width / 2), int(y - part.height / 2)), part)


def card(d: Draw, box: tuple[int, int, int, int]) -> None:
    """A health insurance card: green band, a chip."""
    x0, y0, x1, _ = box
    d.rounded_rectangle(box, 16, fill="white", outline=FRAME, width=4)
    d.rectangle((x0 + 4, y0 + 20, x1 - 4, y0 + 60), fill=GREEN)
    d.rounded_rectangle(
        (x0 + 30, y0 + 85, x0 + 95, y0 + 135), 8, fill=YELLOW, outline="#B8860B", width=3
    )
    for k in range(3):
        d.rounded_rectangle(
            (x0 + 110, y0 + 90 + k * 22, x1 - 20 - k * 15, y0 + 102 + k * 22), 6, fill=GREY
        )


def finger(d: Draw, x: int, y: int, size: float = 1.0) -> None:
    """A hand with the index finger's tip at (x, y), coming from below right."""
    s = size
    d.rounded_rectangle(
        (x - 22 * s, y - 6 * s, x + 22 * s, y + 150 * s), 22, fill=SKIN, outline=INK, width=3
    )
    d.rounded_rectangle(
        (x + 5 * s, y + 95 * s, x + 150 * s, y + 260 * s), 50, fill=SKIN, outline=INK, width=3
    )
    d.rounded_rectangle((x - 22 * s, y + 120 * s, x + 60 * s, y + 240 * s), 40, fill=SKIN)
    d.ellipse((x - 12 * s, y + 4 * s, x + 12 * s, y + 26 * s), fill="#F8E0CC")


def speaker(d: Draw, x: int, y: int, size: float = 1.0, colour: str = BLUE) -> None:
    s = size
    d.rectangle((x - 60 * s, y - 30 * s, x - 20 * s, y + 30 * s), fill=colour)
    d.polygon(
        (
            (x - 20 * s, y - 30 * s),
            (x + 30 * s, y - 75 * s),
            (x + 30 * s, y + 75 * s),
            (x - 20 * s, y + 30 * s),
        ),
        fill=colour,
    )
    for r in (60, 100, 140):
        d.arc(
            (x - r * s + 20 * s, y - r * s, x + r * s + 20 * s, y + r * s),
            -40,
            40,
            fill=colour,
            width=int(12 * s),
        )


def clock(d: Draw, x: int, y: int, r: int = 80, hours: float = 10.0, minutes: float = 50.0) -> None:
    d.ellipse((x - r, y - r, x + r, y + r), fill="white", outline=INK, width=8)
    for k in range(12):
        a = math.radians(k * 30)
        d.line(
            (
                (x + 0.8 * r * math.sin(a), y - 0.8 * r * math.cos(a)),
                (x + 0.9 * r * math.sin(a), y - 0.9 * r * math.cos(a)),
            ),
            fill=INK,
            width=4,
        )
    for angle, length, width in ((hours * 30 + minutes / 2, 0.5, 10), (minutes * 6, 0.75, 6)):
        a = math.radians(angle)
        d.line(
            ((x, y), (x + length * r * math.sin(a), y - length * r * math.cos(a))),
            fill=INK,
            width=width,
        )


def paper(d: Draw, box: tuple[int, int, int, int], fill: str = "white", lines: int = 5) -> None:
    x0, y0, x1, y1 = box
    d.rectangle(box, fill=fill, outline=FRAME, width=4)
    for k in range(lines):
        y = y0 + 40 + k * 30
        if y < y1 - 20:
            d.rounded_rectangle((x0 + 24, y, x1 - 24 - (k % 2) * 40, y + 10), 5, fill=GREY)


def qr_mark(d: Draw, x: int, y: int, side: int = 120) -> None:
    """A code-like square (not a real code: it is a picture of one)."""
    d.rectangle((x, y, x + side, y + side), fill="white", outline=INK, width=3)
    cell = side // 8
    for k in range(64):
        cx, cy = k % 8, k // 8
        corner = (cx < 3 and cy < 3) or (cx > 4 and cy < 3) or (cx < 3 and cy > 4)
        if corner or (cx * 7 + cy * 3) % 5 < 2:
            d.rectangle(
                (x + cx * cell + 4, y + cy * cell + 4, x + (cx + 1) * cell, y + (cy + 1) * cell),
                fill=INK,
            )


def rx(d: Draw, x: int, y: int, size: int = 70, colour: str = BLUE) -> None:
    """A prescription mark: a capsule."""
    d.rounded_rectangle((x - size, y - size // 3, x + size, y + size // 3), size // 3, fill=colour)
    d.rounded_rectangle(
        (x, y - size // 3, x + size, y + size // 3),
        size // 3,
        fill="white",
        outline=colour,
        width=6,
    )


def tile(d: Draw, box: tuple[int, int, int, int], fill: str = BLUE) -> None:
    d.rounded_rectangle(box, 14, fill=fill)


def kiosk_screen(d: Draw, highlight: int | None = None) -> tuple[int, int, int, int]:
    """The kiosk: a screen with six tiles and a bar; returns the tiles' area."""
    monitor(d, (120, 30, 680, 400))
    area = (150, 60, 650, 320)
    colours = [LIGHT_BLUE] * 6
    if highlight is not None:
        colours[highlight] = BLUE
    for k in range(6):
        cx, cy = k % 3, k // 3
        x0 = area[0] + cx * 170
        y0 = area[1] + cy * 130
        tile(d, (x0, y0, x0 + 155, y0 + 115), colours[k])
    d.rectangle((136, 330, 664, 384), fill=GREY)
    return area


# ---- the pictures ---------------------------------------------------------------------------


def video_book(d: Draw) -> None:
    kiosk_screen(d, highlight=2)
    # A calendar with a camera on the highlighted tile.
    d.rounded_rectangle((505, 80, 630, 165), 8, fill="white")
    d.rectangle((505, 80, 630, 100), fill=RED)
    d.rounded_rectangle((530, 115, 585, 150), 6, fill=BLUE)
    d.polygon(((585, 132), (608, 118), (608, 146)), fill=BLUE)
    finger(d, 570, 150, 0.9)


def video_bring(d: Draw) -> None:
    clock(d, 150, 200, 100, 13, 50)
    card(d, (300, 120, 560, 290))
    # Glasses.
    for x in (600, 690):
        d.ellipse((x, 330, x + 80, 390), outline=INK, width=8)
    d.line(((680, 350), (690, 350)), fill=INK, width=8)
    paper(d, (330, 320, 540, 470), lines=4)


def video_room(d: Draw) -> None:
    # A quiet room: a closed door, a table with a screen, a chair.
    d.rectangle((40, 60, 200, 440), fill="#8D6E63")
    d.ellipse((165, 250, 185, 270), fill=YELLOW)
    d.rectangle((260, 330, 760, 350), fill=FRAME)
    d.rectangle((290, 350, 310, 460), fill=FRAME)
    d.rectangle((710, 350, 730, 460), fill=FRAME)
    monitor(d, (380, 90, 660, 270), fill=LIGHT_BLUE)
    d.ellipse((512, 100, 528, 116), fill=INK)  # the camera
    person(d, 300, 300, 0.8, shirt=GREEN)


def video_call(d: Draw) -> None:
    monitor(d, (150, 30, 650, 380), fill=LIGHT_GREEN)
    doctor(d, 400, 150, 1.3)
    d.ellipse((392, 40, 408, 56), fill=INK)
    person(d, 690, 380, 0.9, shirt=GREEN)


def video_show(d: Draw) -> None:
    monitor(d, (60, 60, 420, 330), fill=LIGHT_GREEN)
    doctor(d, 240, 150, 0.9)
    paper(d, (520, 90, 720, 330), lines=6)
    d.rounded_rectangle((560, 300, 680, 420), 40, fill=SKIN, outline=INK, width=3)


def video_done(d: Draw) -> None:
    monitor(d, (80, 50, 440, 320), fill=LIGHT_GREEN)
    check(d, 260, 170, 80)
    paper(d, (520, 80, 720, 360), lines=4)
    rx(d, 620, 290, 55)


def erezept_new(d: Draw) -> None:
    paper(d, (80, 100, 300, 400), fill=PINK, lines=6)
    strike(d, (50, 70, 330, 430))
    d.line(((360, 250), (450, 250)), fill=INK, width=10)
    d.polygon(((450, 225), (490, 250), (450, 275)), fill=INK)
    phone(d, (540, 60, 720, 440))
    rx(d, 630, 250, 55)


def erezept_practice(d: Draw) -> None:
    doctor(d, 220, 150, 1.3)
    monitor(d, (430, 70, 730, 300), fill=SCREEN)
    rx(d, 580, 185, 60)


def erezept_card(d: Draw) -> None:
    # A card reader on the counter, the card going in.
    d.rectangle((0, 380, W, H), fill="#D7CCC8")
    d.rounded_rectangle((300, 230, 600, 400), 24, fill=FRAME)
    d.rounded_rectangle((330, 250, 570, 300), 8, fill=LIGHT_GREEN)
    d.rectangle((360, 225, 540, 238), fill=INK)
    card(d, (350, 40, 550, 232))
    d.line(((650, 80), (650, 200)), fill=INK, width=10)
    d.polygon(((625, 200), (650, 240), (675, 200)), fill=INK)


def erezept_medicine(d: Draw) -> None:
    d.rectangle((0, 380, W, H), fill="#D7CCC8")
    d.rounded_rectangle((250, 170, 550, 380), 10, fill="white", outline=FRAME, width=5)
    d.rectangle((250, 220, 550, 260), fill=BLUE)
    rx(d, 400, 320, 50, GREEN)
    check(d, 650, 150, 60)


def erezept_paper(d: Draw) -> None:
    paper(d, (230, 40, 570, 460), lines=3)
    qr_mark(d, 300, 170, 200)


def phone_grandchild(d: Draw) -> None:
    # A ringing phone, a caller nobody can see: "Guess who this is?"
    phone(d, (150, 60, 350, 440))
    handset(d, 250, 250, 0.5, angle=0)
    for r in (150, 190):
        d.arc((250 - r, 250 - r, 250 + r, 250 + r), -35, 35, fill=INK, width=10)
    d.ellipse((480, 70, 740, 300), fill="white", outline=INK, width=5)
    d.polygon(((500, 260), (470, 330), (560, 285)), fill="white", outline=INK)
    d.text((570, 110), "?", fill=INK, font_size=150)
    warning(d, 620, 400, 110)


def phone_police(d: Draw) -> None:
    phone(d, (90, 40, 330, 460))
    # 1-1-0 on the phone's screen as three bars and a ring: a number, crossed out.
    d.text((120, 180), "110", fill=INK, font_size=80)
    strike(d, (70, 110, 350, 390))
    # A hand with money and jewellery: nobody collects them at the door.
    d.rounded_rectangle((430, 180, 740, 360), 14, fill="#81C784", outline=GREEN, width=6)
    d.ellipse((540, 220, 630, 320), outline=GREEN, width=8)
    cross(d, 720, 150, 50)


def phone_pin(d: Draw) -> None:
    # A keypad and a secret number: not for anybody on the phone.
    for k in range(9):
        cx, cy = k % 3, k // 3
        d.rounded_rectangle(
            (120 + cx * 100, 90 + cy * 100, 200 + cx * 100, 170 + cy * 100), 16, fill=GREY
        )
    for k in range(4):
        d.ellipse((460 + k * 70, 150, 510 + k * 70, 200), fill=INK)
    d.rounded_rectangle((440, 120, 760, 230), 20, outline=INK, width=6)
    cross(d, 600, 350, 70)


def phone_hang_up(d: Draw) -> None:
    d.rounded_rectangle((230, 280, 570, 420), 30, fill=FRAME)
    handset(d, 400, 250, 1.2, angle=0)
    d.ellipse((620, 80, 760, 220), fill=RED)
    handset(d, 690, 150, 0.45, colour="white", angle=135)


def phone_call_back(d: Draw) -> None:
    # The own address book, and the own call: the number from there, not from the caller.
    d.rounded_rectangle((90, 60, 370, 440), 12, fill=BLUE)
    d.rounded_rectangle((120, 80, 350, 420), 8, fill="white")
    for k in range(6):
        d.rounded_rectangle((145, 110 + k * 50, 320 - (k % 2) * 40, 126 + k * 50), 6, fill=GREY)
    d.line(((400, 250), (480, 250)), fill=INK, width=10)
    d.polygon(((480, 225), (520, 250), (480, 275)), fill=INK)
    phone(d, (560, 60, 730, 440), screen=LIGHT_GREEN)
    handset(d, 645, 250, 0.45, colour=GREEN, angle=0)


def phone_help(d: Draw) -> None:
    person(d, 230, 170, 1.2, shirt=GREEN)
    person(d, 560, 170, 1.2, shirt=BLUE, hair="#5D4037")
    d.ellipse((330, 40, 470, 130), fill="white", outline=INK, width=4)
    check(d, 400, 85, 30)


def kiosk_tap(d: Draw) -> None:
    kiosk_screen(d, highlight=0)
    finger(d, 230, 130, 1.0)


def kiosk_bar(d: Draw) -> None:
    kiosk_screen(d)
    for x0 in (150, 290):
        d.rounded_rectangle((x0, 336, x0 + 120, 378), 10, fill=BLUE)
    d.rounded_rectangle((520, 336, 650, 378), 10, fill=GREEN)
    finger(d, 210, 360, 0.7)


def kiosk_read(d: Draw) -> None:
    monitor(d, (60, 40, 460, 330))
    for k in range(5):
        d.rounded_rectangle((110, 90 + k * 42, 410 - (k % 2) * 60, 110 + k * 42), 8, fill=GREY)
    speaker(d, 600, 200, 1.3)


def kiosk_large(d: Draw) -> None:
    d.text((110, 170), "A", fill=INK, font_size=120)
    d.line(((260, 250), (380, 250)), fill=INK, width=10)
    d.polygon(((380, 220), (420, 250), (380, 280)), fill=INK)
    d.rounded_rectangle((450, 50, 750, 450), 20, fill=INK)
    d.text((510, 70), "A", fill="white", font_size=300)


def kiosk_language(d: Draw) -> None:
    for k, colour in enumerate((BLUE, GREEN, YELLOW)):
        x = 130 + k * 200
        d.ellipse((x, 120, x + 160, 260), fill=colour)
        d.polygon(((x + 40, 240), (x + 20, 310), (x + 90, 255)), fill=colour)
        for j in range(3):
            d.rounded_rectangle(
                (x + 30, 155 + j * 28, x + 130 - j * 20, 168 + j * 28), 6, fill="white"
            )
    finger(d, 470, 210, 0.8)


def kiosk_help(d: Draw) -> None:
    kiosk_screen(d)
    d.rounded_rectangle((520, 336, 650, 378), 10, fill=GREEN)
    finger(d, 585, 360, 0.7)
    person(d, 720, 120, 0.7, shirt=GREEN)


def kiosk_reset(d: Draw) -> None:
    clock(d, 200, 230, 130, 2, 0)
    d.line(((380, 250), (470, 250)), fill=INK, width=10)
    d.polygon(((470, 225), (510, 250), (470, 275)), fill=INK)
    # A house: back to the start, nothing left behind.
    d.polygon(((540, 230), (650, 120), (760, 230)), fill=BLUE)
    d.rectangle((565, 230, 735, 390), fill=BLUE)
    d.rectangle((630, 300, 670, 390), fill=BACKGROUND)


PICTURES: dict[str, Callable[[Draw], None]] = {
    "video-1": video_book,
    "video-2": video_bring,
    "video-3": video_room,
    "video-4": video_call,
    "video-5": video_show,
    "video-6": video_done,
    "erezept-1": erezept_new,
    "erezept-2": erezept_practice,
    "erezept-3": erezept_card,
    "erezept-4": erezept_medicine,
    "erezept-5": erezept_paper,
    "phone-1": phone_grandchild,
    "phone-2": phone_police,
    "phone-3": phone_pin,
    "phone-4": phone_hang_up,
    "phone-5": phone_call_back,
    "phone-6": phone_help,
    "kiosk-1": kiosk_tap,
    "kiosk-2": kiosk_bar,
    "kiosk-3": kiosk_read,
    "kiosk-4": kiosk_large,
    "kiosk-5": kiosk_language,
    "kiosk-6": kiosk_help,
    "kiosk-7": kiosk_reset,
}


def render(name: str) -> Image.Image:
    image, d = canvas()
    PICTURES[name](d)
    # Few colours: a palette PNG is a few KiB, and the flat look stays exact.
    return image.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def main() -> None:
    for name in PICTURES:
        render(name).save(HERE / f"{name}.png", optimize=True)


if __name__ == "__main__":
    main()
