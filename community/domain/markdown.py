"""Markdown for posts: render to sanitised HTML, find @mentions, make plain-text excerpts.

Decisions, each pinned by a test:

* Raw HTML typed into a post is shown as text (`<b>` stays `&lt;b&gt;`): the
  parser runs with ``html`` off, so the sanitiser is a second line of defence
  rather than the only one, and people can write about tags without backticks.
* Links keep only absolute ``http``, ``https`` and ``mailto`` URLs; images only
  ``http`` and ``https``. Relative and scheme-relative URLs are dropped: a post
  is shown under several origins (app, custom domains, e-mails), and an
  ``<img src="/api/...">`` would fire a same-origin request for every reader.
* No ``style`` attribute survives; table alignment becomes the ``align``
  attribute, restricted to left/center/right.
"""

import html
import re
from collections.abc import Iterator, Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MAX_CONTENT_BYTES = 64 * 1024
MAX_MENTIONS = 20
MAX_HANDLE_LENGTH = 40

_ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("strong", "em", "del", "s", "code", "pre", "blockquote"),
        *("ul", "ol", "li", "a", "img"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "ol": {"start"},
}
_ALIGNMENTS = {"left", "center", "right"}
_LINK_SCHEMES = {"http", "https", "mailto"}
_IMAGE_SCHEMES = ("http:", "https:")
_LINK_REL = "nofollow ugc noopener"

_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#-]{1,32}")
_LIST_START = re.compile(r"[0-9]{1,9}")
# ASCII only, so a look-alike Cyrillic handle never passes for a Latin one.
# The look-arounds keep out e-mail addresses, "@@x", URL paths ("/@bob"),
# remote handles ("@bob@host") and ASCII prefixes of longer words ("@José").
_MENTION = re.compile(r"(?<![\w.+/@-])@([A-Za-z0-9_.-]+)(?![\w@])")


def _is_inert(value: str) -> bool:
    # Tooltip and lightbox scripts have been known to treat title/alt as HTML,
    # and nothing a post needs carries markup or a script scheme in an attribute.
    squeezed = _INVISIBLE.sub("", html.unescape(value)).lower()
    return "<" not in squeezed and ">" not in squeezed and "script:" not in squeezed


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if not _is_inert(value):
        return None
    # nh3 has already applied the URL scheme list, which cannot differ per tag.
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_SCHEMES) else None
    if tag == "code" and attribute == "class":
        return value if _CODE_CLASS.fullmatch(value) else None
    if tag == "ol" and attribute == "start":
        return value if _LIST_START.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    tag_attribute_values={"th": {"align": _ALIGNMENTS}, "td": {"align": _ALIGNMENTS}},
    attribute_filter=_keep_attribute,
    link_rel=_LINK_REL,
    url_schemes=_LINK_SCHEMES,
    url_relative="deny",
    strip_comments=True,
)
_TEXT_ONLY = nh3.Cleaner(tags=set())


def _style_to_align(state: StateCore) -> None:
    # markdown-it writes table alignment as inline style; we allow no style at all.
    for token in state.tokens:
        style = token.attrs.pop("style", None)
        if token.type in {"th_open", "td_open"} and isinstance(style, str):
            token.attrSet("align", style.removeprefix("text-align:"))


def _new_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.core.ruler.push("style_to_align", _style_to_align)
    return parser


_PARSER = _new_parser()


def sanitize_html(fragment: str) -> str:
    """Reduce an HTML fragment to the tags and attributes a post may carry."""
    return _CLEANER.clean(fragment)


def render_markdown(text: str) -> str:
    """Render a post's Markdown to HTML that is safe to embed in a page."""
    return sanitize_html(_PARSER.render(text))


def render_with_mentions(text: str) -> tuple[str, list[str]]:
    """`render_markdown` and `extract_mentions` of the same text from one parse (a post needs both)."""
    tokens = _PARSER.parse(text)
    return sanitize_html(_PARSER.renderer.render(tokens, _PARSER.options, {})), _first_mentions(tokens)


def _inline_prose(children: Sequence[Token]) -> str:
    # Any non-text token (code span, image, break, emphasis marker) becomes a
    # space, so text on either side of it never fuses into one handle.
    parts: list[str] = []
    in_autolink = False
    for child in children:
        if child.type == "link_open" and child.markup == "autolink":
            in_autolink = True
        elif child.type == "link_close":
            in_autolink = False
        parts.append(child.content if child.type == "text" and not in_autolink else " ")
    return "".join(parts)


def _prose(tokens: Sequence[Token]) -> Iterator[str]:
    # Only inline tokens carry prose; fences and indented code are block tokens.
    for token in tokens:
        if token.type == "inline" and token.children:
            yield _inline_prose(token.children)


def _handles(tokens: Sequence[Token]) -> Iterator[str]:
    for chunk in _prose(tokens):
        for match in _MENTION.finditer(chunk):
            # A sentence may end right after a mention: "thanks @ana."
            handle = match.group(1).rstrip(".")
            if 0 < len(handle) <= MAX_HANDLE_LENGTH:
                yield handle.lower()


def extract_mentions(text: str) -> list[str]:
    """Lower-cased `@handle`s outside code, in order of first appearance, at most MAX_MENTIONS."""
    return _first_mentions(_PARSER.parse(text))


def _first_mentions(tokens: Sequence[Token]) -> list[str]:
    found: dict[str, None] = {}
    for handle in _handles(tokens):
        found.setdefault(handle)
        if len(found) == MAX_MENTIONS:
            break
    return list(found)


def _truncate(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    head = text[: length - 1]  # room for the ellipsis
    if text[length - 1] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + "…"


def excerpt(text: str, length: int = 200) -> str:
    """Plain text (not HTML: escape it where it is embedded) of at most `length` characters."""
    if length < 1:
        raise ValueError("excerpt length must be positive")
    return excerpt_of_html(render_markdown(text), length)


def excerpt_of_html(rendered: str, length: int = 200) -> str:
    """`excerpt` of text already rendered (`render_markdown`'s answer), without rendering it again."""
    if length < 1:
        raise ValueError("excerpt length must be positive")
    plain = html.unescape(_TEXT_ONLY.clean(rendered))
    return _truncate(" ".join(plain.split()), length)
