"""An org's branding: two colours that carry white text in the app, and a font from a list.

No raw CSS and no other keys: the browser app turns these into CSS variables itself.
"""

from __future__ import annotations

from typing import Literal

Font = Literal["system", "Inter", "Roboto", "Open Sans", "Lato", "Source Sans 3", "Merriweather", "IBM Plex Sans"]
MIN_CONTRAST = 4.5  # WCAG AA for normal text
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)
    return 1.05 / (luminance + 0.05)


def check_readable_on_white(value: str) -> str:
    """The colour, lower-cased, if white text on it reaches WCAG AA; ValueError naming the ratio if not."""
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValueError(f"white text on {value} has contrast {ratio:.2f}:1; at least {MIN_CONTRAST}:1 is needed")
    return value.lower()
