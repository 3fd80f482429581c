"""A captcha made here, with no outside service: a small sum drawn as a noisy PNG.

The answer lives in the visitor's session and is good for one try and ten minutes. It stops
scripts that post blindly; the rate limit (`publicity.ratelimit`) bounds the rest.
"""

from __future__ import annotations

import io
import math
import secrets
import time

SESSION_KEY = "publicity_captcha"
MAX_AGE = 600
WIDTH, HEIGHT = 150, 50


def _rand(low: int, high: int) -> int:
    return low + secrets.randbelow(high - low + 1)


def new_challenge(session) -> None:
    """Put a fresh sum in the session (replacing any earlier one)."""
    a, b = _rand(1, 9), _rand(1, 9)
    session[SESSION_KEY] = {"q": f"{a}+{b}=?", "a": str(a + b), "t": int(time.time())}


def question(session) -> str:
    data = session.get(SESSION_KEY)
    if not data or time.time() - data.get("t", 0) > MAX_AGE:
        new_challenge(session)
        data = session[SESSION_KEY]
    return data["q"]


def check(session, answer: str) -> bool:
    """True if `answer` solves the session's sum. The sum is used up either way."""
    data = session.pop(SESSION_KEY, None)
    if not data or time.time() - data.get("t", 0) > MAX_AGE:
        return False
    given = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return secrets.compare_digest(given, data["a"])


def _font(size: int):
    from PIL import ImageFont

    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def image_png(text: str) -> bytes:
    """`text` drawn with jitter, rotation, lines and dots."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        draw.line([(_rand(0, WIDTH), _rand(0, HEIGHT)), (_rand(0, WIDTH), _rand(0, HEIGHT))],
                  fill=(_rand(120, 200), _rand(120, 200), _rand(120, 200)), width=1)
    font = _font(28)
    x = 8
    for ch in text:
        glyph = Image.new("RGBA", (36, 44), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((4, 2), ch, font=font,
                                   fill=(_rand(20, 90), _rand(20, 90), _rand(60, 140), 255))
        glyph = glyph.rotate(_rand(-25, 25), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (x, _rand(0, 8)), glyph)
        x += 22 + _rand(-2, 3)
    for i in range(WIDTH):
        y = int(HEIGHT / 2 + 9 * math.sin(i / 11.0))
        image.putpixel((i, max(0, min(HEIGHT - 1, y))), (140, 140, 160))
    for _ in range(120):
        image.putpixel((_rand(0, WIDTH - 1), _rand(0, HEIGHT - 1)),
                       (_rand(0, 255), _rand(0, 255), _rand(0, 255)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
