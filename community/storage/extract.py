"""Words inside a file, for search: `python -m community.storage.extract TYPE MAX_CHARS < file`.

PDF parsing runs in this separate process so that a hostile or huge PDF costs bounded time
and memory: the files worker kills it after `FILES_EXTRACT_TIMEOUT_SECONDS`, and the address
space and CPU time are capped here. Plain text and Markdown are decoded in-process (`text_of`).
"""

from __future__ import annotations

import io
import re
import sys

MAX_TEXT_CHARS = 200_000
_SPACES = re.compile(r"[ \t\r\f\v]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str, max_chars: int) -> str:
    text = _CONTROL.sub(" ", text.replace("\x00", " "))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()[:max_chars]


def text_of(data: bytes, max_chars: int = MAX_TEXT_CHARS) -> str:
    return clean(data.decode("utf-8", errors="replace"), max_chars)


def pdf_text(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts: list[str] = []
    size = 0
    for page in reader.pages:
        piece = page.extract_text() or ""
        parts.append(piece)
        size += len(piece)
        if size >= max_chars:
            break
    return clean("\n".join(parts), max_chars)


def _limit_resources() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def main() -> None:
    content_type, max_chars = sys.argv[1], int(sys.argv[2])
    _limit_resources()
    data = sys.stdin.buffer.read()
    text = pdf_text(data, max_chars) if content_type == "application/pdf" else text_of(data, max_chars)
    sys.stdout.buffer.write(text.encode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
