"""The demo courses' cover images: drawn once with Pillow, kept in demo/media/covers/.

Regenerate them (after a course's title changes, say) with

    DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python -m demo.covers

which needs a CJK font (Debian: fonts-wqy-zenhei). The seed only reads the PNG files, so it
runs where no such font is installed.
"""

import io
from dataclasses import dataclass
from pathlib import Path

COVERS_DIR = Path(__file__).resolve().parent / "media" / "covers"
SIZE = (1280, 720)
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@dataclass(frozen=True)
class Palette:
    background: str
    shape: str  # the large circles, drawn over the background
    accent: str  # the band under the title


# One per course (by slug), after its industry: chemical blues, ceramic earth, glass teal...
PALETTES = {
    "chemical-safety": Palette("#123d6a", "#1c5896", "#f2b134"),
    "elderly-care": Palette("#2f5d3a", "#3f7a4c", "#f4c77b"),
    "ceramics-glazing": Palette("#7a3b22", "#9a4e2f", "#e8d3b0"),
    "glass-processing": Palette("#0f5257", "#177077", "#9fe3e0"),
    "housekeeping": Palette("#4b3a78", "#604b98", "#f5b3c7"),
    "chinese-cooking": Palette("#8a2c1b", "#a83a24", "#ffd27a"),
    "elderly-care-advanced": Palette("#1f4e4a", "#2b6a64", "#f4c77b"),
}
DEFAULT_PALETTE = Palette("#37474f", "#455a64", "#ffcc80")


def cover_path(slug: str) -> Path:
    return COVERS_DIR / f"{slug}.png"


def _font(size: int):
    from PIL import ImageFont

    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError("No CJK font found: install fonts-wqy-zenhei to draw the demo covers.")


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (Chinese breaks between any two characters)."""
    lines, line = [], ""
    for char in text:
        if line and draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def draw_cover(*, slug: str, title: str, occupation: str, level: str, industry: str) -> bytes:
    """A 1280×720 PNG: the course title on its palette, with occupation, level and industry."""
    from PIL import Image, ImageDraw

    palette = PALETTES.get(slug, DEFAULT_PALETTE)
    image = Image.new("RGB", SIZE, palette.background)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    # Two large circles at the right, a smaller one at the bottom left: calm, recognisable shapes.
    draw.ellipse((width - 520, -260, width + 260, 520), fill=palette.shape)
    draw.ellipse((width - 300, height - 240, width + 180, height + 240), fill=palette.shape)
    draw.ellipse((-160, height - 170, 160, height + 150), fill=palette.shape)
    margin = 88
    # The brand and the industry, small, at the top.
    tag = f"淄博技能在线 · {industry}" if industry else "淄博技能在线"
    draw.text((margin, 72), tag, font=_font(34), fill="#ffffff")
    # The title, large: on one line if it fits at a smaller size, else wrapped to two lines.
    room = width - 2 * margin - 100
    for size in (84, 76, 68):
        title_font = _font(size)
        lines = _wrap(draw, title, title_font, room)
        if len(lines) == 1:
            break
    else:
        title_font = _font(80)
        lines = _wrap(draw, title, title_font, room)[:2]
    y = 250 if len(lines) == 1 else 200
    for line in lines:
        draw.text((margin, y), line, font=title_font, fill="#ffffff")
        y += 110
    # An accent band, then the occupation and level.
    draw.rounded_rectangle((margin, y + 20, margin + 120, y + 32), radius=6, fill=palette.accent)
    draw.text((margin, y + 60), f"{occupation} · {level}", font=_font(40), fill=palette.accent)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main() -> None:
    import django

    django.setup()
    import csv

    from courses.occupations import CSV_PATH
    from demo.seed import COURSES, INDUSTRY_BY_SLUG
    from vocabulary.training import Industry, Level

    COVERS_DIR.mkdir(parents=True, exist_ok=True)
    with CSV_PATH.open(encoding="utf-8") as handle:
        names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    for spec in COURSES:
        industry = spec.industry or INDUSTRY_BY_SLUG.get(spec.slug.split("-")[0], "")
        png = draw_cover(
            slug=spec.slug,
            title=spec.title,
            occupation=names.get(spec.occupation_code, spec.occupation_code),
            level=str(Level(spec.level).label),
            industry=str(Industry(industry).label) if industry else "",
        )
        cover_path(spec.slug).write_bytes(png)
        print(f"{cover_path(spec.slug)}: {len(png) // 1024} KB")


if __name__ == "__main__":
    main()
