"""Files: which types are allowed, what their bytes must look like, and the limits per tier.

No I/O. A declared type must be on the allowlist and match the file name's extension; once the
bytes are stored, their first bytes must be what the type says (`sniff`): a `.pdf` that is
really HTML is refused. SVG and HTML are never accepted (they would run script from our origin).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

KIB, MIB, GIB = 1024, 1024**2, 1024**3
SNIFF_BYTES = 512


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...] = ()  # any of these prefixes; empty: text (UTF-8, no NUL)
    image: bool = False
    text: bool = False


_KINDS = [
    FileKind("application/pdf", (".pdf",), (b"%PDF-",)),
    FileKind("image/png", (".png",), (b"\x89PNG\r\n\x1a\n",), image=True),
    FileKind("image/jpeg", (".jpg", ".jpeg"), (b"\xff\xd8\xff",), image=True),
    FileKind("image/gif", (".gif",), (b"GIF87a", b"GIF89a"), image=True),
    FileKind("image/webp", (".webp",), (b"RIFF",), image=True),
    FileKind("text/plain", (".txt", ".text", ".log"), text=True),
    FileKind("text/markdown", (".md", ".markdown"), text=True),
    FileKind("text/csv", (".csv",), text=True),
    FileKind("application/json", (".json",), text=True),
    FileKind("application/zip", (".zip",), (b"PK\x03\x04",)),
    FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), (b"PK\x03\x04",)),
    FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), (b"PK\x03\x04",)),
    FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",),
             (b"PK\x03\x04",)),
    FileKind("application/vnd.oasis.opendocument.text", (".odt",), (b"PK\x03\x04",)),
    FileKind("application/vnd.oasis.opendocument.spreadsheet", (".ods",), (b"PK\x03\x04",)),
    FileKind("application/msword", (".doc",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileKind("application/vnd.ms-excel", (".xls",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileKind("application/vnd.ms-powerpoint", (".ppt",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileKind("audio/mpeg", (".mp3",), (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    FileKind("video/mp4", (".mp4", ".m4v"), ()),
]
ALLOWED: dict[str, FileKind] = {k.content_type: k for k in _KINDS}
IMAGE_TYPES = frozenset(k.content_type for k in _KINDS if k.image)
EXTRACTABLE = frozenset({"application/pdf", "text/plain", "text/markdown"})

PURPOSES = ("resource", "logo", "attachment")
UPLOAD_TTL_SECONDS = 600  # the presigned POST / signed PUT lives 10 minutes
DOWNLOAD_TTL_SECONDS = 300  # a download URL lives 5 minutes
STALE_UPLOAD_SECONDS = 24 * 3600  # an upload never registered is swept after a day


@dataclass(frozen=True)
class StorageLimits:
    quota_bytes: int
    file_bytes: int


# Per tier: the organization's storage quota, and the largest single file.
TIER_LIMITS: dict[str, StorageLimits] = {
    "community": StorageLimits(1 * GIB, 100 * MIB),
    "organization": StorageLimits(10 * GIB, 500 * MIB),
    "enterprise": StorageLimits(100 * GIB, 2 * GIB),
    "custom": StorageLimits(100 * GIB, 5 * GIB),  # the quota is set per org (org_storage.limit_bytes)
}
LARGEST_FILE = max(t.file_bytes for t in TIER_LIMITS.values())
LOGO_BYTES = 5 * MIB


def limits_for(tier: str, custom_quota: int | None) -> StorageLimits:
    base = TIER_LIMITS.get(tier, TIER_LIMITS["community"])
    return StorageLimits(custom_quota if custom_quota is not None else base.quota_bytes, base.file_bytes)


def extension(file_name: str) -> str:
    dot = file_name.rfind(".")
    return file_name[dot:].lower() if dot > 0 else ""


def type_problem(file_name: str, content_type: str) -> str | None:
    """Why this type (for this name) is refused, or None."""
    kind = ALLOWED.get(content_type)
    if kind is None:
        return f"{content_type!r} is not an accepted file type"
    if extension(file_name) not in kind.extensions:
        return f"a {content_type} file is named {' or '.join(kind.extensions)}"
    return None


def sniff(content_type: str, head: bytes) -> bool:
    """Do the file's first bytes look like `content_type`?"""
    kind = ALLOWED.get(content_type)
    if kind is None or not head:
        return False
    if content_type == "image/webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if content_type == "video/mp4":
        return head[4:8] == b"ftyp"
    if kind.magic:
        return head.startswith(kind.magic)
    return _is_text(head)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # only a character cut at the end of the sample is forgiven
            return False
    lowered = head.lstrip().lower()
    return not lowered.startswith((b"<!doctype html", b"<html", b"<script", b"<svg"))


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_file_name(name: str) -> str:
    """A name safe on any disk and in a header: no path, no control characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 200:
        ext = extension(name)[:20]
        name = name[: 200 - len(ext)] + ext
    return name or "file"


def key_name(file_name: str) -> str:
    """The file name as it appears in an object key: ASCII letters, digits, `.-_`."""
    ascii_name = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.")[:100] or "file"


def content_disposition(file_name: str, content_type: str) -> str:
    """Images show inline; anything else downloads (with the name, RFC 6266 / 5987)."""
    kind = "inline" if content_type in IMAGE_TYPES else "attachment"
    fallback = key_name(file_name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
