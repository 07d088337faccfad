"""The tray icon, drawn with Pillow: one look per overall state, plus a countdown ring.

Drawn at 4× and downscaled, so it stays crisp at 16, 22, 24 and 32 px. A dark
outline around a saturated disc reads on light and dark panels alike; the white
glyph says the state without colour (key: credentials, ✕: expired, !: error,
…: busy), and a white ring shows how much of the soonest session is left.

``python -m tray_app.tray.icon DIR`` writes every state at every size to DIR
(that is how ``assets/`` was made) plus a preview sheet on light and dark.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageDraw


class IconState(StrEnum):
    IDLE = "idle"  # nothing active
    ACTIVE = "active"
    EXPIRING = "expiring"  # a session is inside its warning window
    EXPIRED = "expired"
    ERROR = "error"  # the last action failed, or the config is invalid
    BUSY = "busy"  # an assume is in flight


FILL = {
    IconState.IDLE: (125, 133, 144),
    IconState.ACTIVE: (26, 127, 55),
    IconState.EXPIRING: (191, 135, 0),
    IconState.EXPIRED: (164, 14, 38),
    IconState.ERROR: (207, 34, 46),
    IconState.BUSY: (9, 105, 218),
}
OUTLINE = (27, 31, 36)
WHITE = (255, 255, 255)
SIZES = (16, 22, 24, 32, 64)
SCALE = 4


def render(state: IconState, size: int = 64, left: float | None = None) -> Image.Image:
    """The icon for ``state``; ``left`` (0..1) draws the countdown ring."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    edge = round(big * 0.04)
    draw.ellipse(
        (edge, edge, big - edge, big - edge),
        fill=FILL[state],
        outline=OUTLINE,
        width=round(big * 0.07),
    )
    if left is not None and state in (IconState.ACTIVE, IconState.EXPIRING):
        inset = round(big * 0.16)
        draw.arc(
            (inset, inset, big - inset, big - inset),
            start=-90,
            end=-90 + 360 * max(0.02, min(1.0, left)),
            fill=WHITE,
            width=round(big * 0.09),
        )
    GLYPHS[state](draw, big, left is not None)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _key(draw: ImageDraw.ImageDraw, s: int, ringed: bool) -> None:
    k = 0.85 if ringed else 1.2  # smaller inside the countdown ring
    c = s / 2
    w = round(s * 0.08 * k)
    r = s * 0.12 * k
    bow = c - s * 0.13 * k
    draw.ellipse((bow - r, c - r, bow + r, c + r), outline=WHITE, width=w)
    draw.line((bow + r, c, c + s * 0.25 * k, c), fill=WHITE, width=w)
    tooth = c + s * 0.18 * k
    draw.line((tooth, c, tooth, c + s * 0.12 * k), fill=WHITE, width=w)


def _cross(draw: ImageDraw.ImageDraw, s: int, _ringed: bool) -> None:
    a, b, w = s * 0.33, s * 0.67, round(s * 0.11)
    draw.line((a, a, b, b), fill=WHITE, width=w)
    draw.line((a, b, b, a), fill=WHITE, width=w)


def _bang(draw: ImageDraw.ImageDraw, s: int, _ringed: bool) -> None:
    c, w = s / 2, s * 0.06
    draw.rounded_rectangle((c - w, s * 0.22, c + w, s * 0.58), radius=w, fill=WHITE)
    draw.ellipse((c - w * 1.2, s * 0.66, c + w * 1.2, s * 0.66 + w * 2.4), fill=WHITE)


def _dots(draw: ImageDraw.ImageDraw, s: int, _ringed: bool) -> None:
    r = s * 0.07
    for x in (0.3, 0.5, 0.7):
        draw.ellipse((s * x - r, s / 2 - r, s * x + r, s / 2 + r), fill=WHITE)


GLYPHS = {
    IconState.IDLE: _key,
    IconState.ACTIVE: _key,
    IconState.EXPIRING: _key,
    IconState.EXPIRED: _cross,
    IconState.ERROR: _bang,
    IconState.BUSY: _dots,
}


def write_assets(folder: Path) -> Path:
    """Every state at every size, and a preview sheet on a light and a dark panel."""
    folder.mkdir(parents=True, exist_ok=True)
    states = list(IconState)
    for state in states:
        for size in SIZES:
            render(state, size).save(folder / f"roletray-{state}-{size}.png")
    cell = 40
    sheet = Image.new("RGB", (cell * len(SIZES), cell * len(states) * 2), (246, 248, 250))
    dark = Image.new("RGB", (cell * len(SIZES), cell * len(states)), (36, 41, 47))
    sheet.paste(dark, (0, cell * len(states)))
    for row, state in enumerate(states * 2):
        for col, size in enumerate((*SIZES[:-1], 32)):
            left = 0.6 if state in (IconState.ACTIVE, IconState.EXPIRING) and col == 4 else None
            image = render(state, size, left)
            sheet.paste(image, (col * cell + (cell - size) // 2, row * cell + 4), image)
    path = folder / "preview.png"
    sheet.save(path)
    return path


if __name__ == "__main__":
    print(write_assets(Path(sys.argv[1] if len(sys.argv) > 1 else "assets")))
