"""Markdown for posts: an XSS corpus, the features posts rely on, @mentions and excerpts."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from community.domain.markdown import (
    MAX_CONTENT_BYTES,
    MAX_MENTIONS,
    excerpt,
    excerpt_of_html,
    extract_mentions,
    render_markdown,
    render_with_mentions,
    sanitize_html,
)

_CORPUS = Path(__file__).parent.parent / "data" / "xss_payloads.txt"
# One payload a line; this sign stands for a line break, so multi-line Markdown
# (reference definitions, fences, tables) still fits on one line.
_LINE_BREAK = "\u23ce"

# Kept apart from the module's own lists on purpose: widening the allowlist
# there must fail here until someone looks at it.
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set() for tag in ("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6")},
    **{tag: set() for tag in ("strong", "em", "del", "s", "pre", "blockquote", "ul", "li")},
    **{tag: set() for tag in ("table", "thead", "tbody", "tr")},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
}
_URL_ATTRIBUTES = {
    *("href", "src", "action", "formaction", "xlink:href", "background", "poster", "data"),
    *("codebase", "cite", "srcset", "lowsrc", "dynsrc", "ping", "longdesc", "usemap", "manifest"),
}
_LINK_SCHEMES = {"http", "https", "mailto"}
_REL = "nofollow ugc noopener"
_IMAGE_SCHEMES = {"http", "https"}
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def _load_corpus() -> list[object]:
    lines = _CORPUS.read_text(encoding="utf-8").split("\n")
    return [
        pytest.param(line.replace(_LINE_BREAK, "\n"), id=f"line-{number}")
        for number, line in enumerate(lines, start=1)
        if line
    ]


PAYLOADS = _load_corpus()


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.elements.append((tag, []))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"declaration {data!r}")


def _squeeze(value: str) -> str:
    return _INVISIBLE.sub("", html.unescape(value)).lower()


def _url_problem(tag: str, name: str, value: str) -> str | None:
    match = _SCHEME.match(_squeeze(value))
    allowed = _IMAGE_SCHEMES if name == "src" else _LINK_SCHEMES
    if match is None or match.group(1) not in allowed:
        return f"<{tag} {name}={value!r}>: scheme not allowed"
    return None


def _attribute_problems(tag: str, name: str, value: str | None) -> list[str]:
    problems = []
    if name.startswith("on") or name == "style" or name not in _ALLOWED_ATTRIBUTES.get(tag, set()):
        problems.append(f"<{tag} {name}>: attribute not allowed")
    squeezed = _squeeze(value or "")
    if "<script" in squeezed or "javascript:" in squeezed:
        problems.append(f"<{tag} {name}={value!r}>: script in value")
    if name in _URL_ATTRIBUTES and (problem := _url_problem(tag, name, value or "")):
        problems.append(problem)
    return problems


def _problems(rendered: str) -> list[str]:
    markup = _Markup()
    markup.feed(rendered)
    markup.close()
    problems = list(markup.other)
    for tag, attrs in markup.elements:
        if tag not in _ALLOWED_ATTRIBUTES:
            problems.append(f"<{tag}>: element not allowed")
        for name, value in attrs:
            problems.extend(_attribute_problems(tag, name, value))
    if "<script" in rendered.lower():
        problems.append("<script in output")
    return problems


def _in_paragraph(payload: str) -> str:
    return f"Intro with *emphasis* {payload} and an ending.\n\nNext paragraph with [a link](https://example.com)."


def test_corpus_is_large() -> None:
    assert len(PAYLOADS) >= 250


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_alone_renders_safe(payload: str) -> None:
    assert _problems(render_markdown(payload)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_paragraph_renders_safe(payload: str) -> None:
    assert _problems(render_markdown(_in_paragraph(payload))) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_raw_html_is_sanitised(payload: str) -> None:
    # The parser never passes raw HTML through, so test the sanitiser on its own too.
    assert _problems(sanitize_html(payload)) == []


@pytest.mark.parametrize(
    "payload",
    [
        '<a href="java\nscript:alert(1)">x</a>',
        '<a href="java\rscript:alert(1)">x</a>',
        '<a href="\x00javascript:alert(1)">x</a>',
        '<a href="java\x00script:alert(1)">x</a>',
        '<a href="\x0bjavascript:alert(1)">x</a>',
        '<a href="\x0cjavascript:alert(1)">x</a>',
        '<a href="\u2028javascript:alert(1)">x</a>',
        '<img src="\x01javascript:alert(1)">',
        "<img src=x on\x00error=alert(1)>",
        "<scr\x00ipt>alert(1)</script>",
        "[x](java\x00script:alert(1))",
        "[x](\x0bjavascript:alert(1))",
    ],
)
def test_control_characters_do_not_smuggle_schemes(payload: str) -> None:
    assert _problems(render_markdown(payload)) == []
    assert _problems(sanitize_html(payload)) == []


def test_raw_html_is_shown_as_text() -> None:
    rendered = render_markdown("<b>bold</b> & <i>co</i>")
    assert rendered == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;</p>\n"


def test_sanitiser_keeps_text_of_unknown_tags_and_drops_scripts() -> None:
    assert sanitize_html("<b>bold</b><script>alert(1)</script>") == "bold"


def test_emphasis_and_strikethrough() -> None:
    assert render_markdown("**a** *b* ~~c~~") == "<p><strong>a</strong> <em>b</em> <s>c</s></p>\n"


def test_table_alignment_becomes_align_attribute() -> None:
    rendered = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert '<th align="left">a</th>' in rendered
    assert '<td align="center">2</td>' in rendered
    assert '<td align="right">3</td>' in rendered
    assert "style" not in rendered
    assert _problems(rendered) == []


def test_fenced_code_keeps_language_class() -> None:
    rendered = render_markdown("```python\nprint('<hi>')\n```")
    assert rendered == "<pre><code class=\"language-python\">print('&lt;hi&gt;')\n</code></pre>\n"


def test_fenced_code_drops_odd_language_class() -> None:
    rendered = render_markdown('```py"><x\ncode\n```')
    assert rendered == "<pre><code>code\n</code></pre>\n"


def test_links_get_rel() -> None:
    rendered = render_markdown("[x](https://example.com/a?b=1&c=2)")
    assert rendered == f'<p><a href="https://example.com/a?b=1&amp;c=2" rel="{_REL}">x</a></p>\n'


def test_mailto_links_are_kept() -> None:
    assert 'href="mailto:ana@example.com"' in render_markdown("[mail](mailto:ana@example.com)")
    assert 'href="mailto:ana@example.com"' in render_markdown("<ana@example.com>")


def test_autolinks_are_kept() -> None:
    assert 'href="http://example.com/x"' in render_markdown("<http://example.com/x>")


@pytest.mark.parametrize(
    "url", ["/relative/path", "relative", "//evil.example/x", "#anchor", "ftp://example.com/f"]
)
def test_links_without_allowed_absolute_scheme_lose_href(url: str) -> None:
    assert render_markdown(f"[x]({url})") == f'<p><a rel="{_REL}">x</a></p>\n'


def test_http_images_are_kept() -> None:
    rendered = render_markdown('![cat](https://example.com/cat.png "Cat")')
    assert rendered == '<p><img src="https://example.com/cat.png" alt="cat" title="Cat"></p>\n'


@pytest.mark.parametrize(
    "url", ["data:image/png;base64,iVBORw0KGgo=", "/cat.png", "//evil.example/cat.png", "mailto:a@ex.com"]
)
def test_images_without_http_source_lose_src(url: str) -> None:
    assert render_markdown(f"![cat]({url})") == '<p><img alt="cat"></p>\n'


def test_titles_with_markup_are_dropped() -> None:
    rendered = render_markdown('[x](https://example.com "<b>hi</b>")')
    assert rendered == f'<p><a href="https://example.com" rel="{_REL}">x</a></p>\n'


@pytest.mark.parametrize("level", range(1, 7))
def test_headings(level: int) -> None:
    assert render_markdown("#" * level + " Title") == f"<h{level}>Title</h{level}>\n"


def test_lists() -> None:
    assert render_markdown("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
    assert render_markdown("3. a\n4. b") == '<ol start="3">\n<li>a</li>\n<li>b</li>\n</ol>\n'


def test_blockquote_rule_and_hard_break() -> None:
    assert render_markdown("> quoted") == "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
    assert render_markdown("---") == "<hr>\n"
    assert render_markdown("a  \nb") == "<p>a<br>\nb</p>\n"


def test_inline_code_is_escaped() -> None:
    assert render_markdown("`<script>`") == "<p><code>&lt;script&gt;</code></p>\n"


def test_content_limit() -> None:
    assert MAX_CONTENT_BYTES == 65536


def test_mentions_in_order_lowercased_and_deduplicated() -> None:
    assert extract_mentions("@Alice hi @bob, and @ALICE again") == ["alice", "bob"]


def test_mentions_allow_dots_dashes_underscores() -> None:
    assert extract_mentions("cc @a.b-c_d1") == ["a.b-c_d1"]


def test_mentions_drop_trailing_punctuation() -> None:
    mentions = extract_mentions("thanks @ana. (@bo) @ca, @dee! @eve's @fay...")
    assert mentions == ["ana", "bo", "ca", "dee", "eve", "fay"]


@pytest.mark.parametrize(
    "text",
    [
        "write to ana@example.com",
        "<ana@example.com>",
        "[mail](mailto:ana@example.com)",
        "see <https://social.example/@bob>",
        "`@code`",
        "```\n@fenced\n```",
        "    @indented",
        "@@double",
        "@ alone",
        "@bob@remote.example",
        "@José",
        "@" + "a" * 41,
    ],
)
def test_not_mentions(text: str) -> None:
    assert extract_mentions(text) == []


def test_mentions_in_markup() -> None:
    text = "# Hi @head\n\n**@bold** _@em_\n\n- @item\n\n> @quote\n\n| @cell |\n|---|\n| x |\n\n[@link](https://example.com)"
    assert extract_mentions(text) == ["head", "bold", "em", "item", "quote", "cell", "link"]


def test_mention_handle_length() -> None:
    assert extract_mentions("@" + "a" * 40) == ["a" * 40]


def test_mentions_are_capped() -> None:
    text = " ".join(f"@user{n}" for n in range(MAX_MENTIONS + 5))
    assert extract_mentions(text) == [f"user{n}" for n in range(MAX_MENTIONS)]


def test_excerpt_strips_markup_and_collapses_whitespace() -> None:
    text = "# Title\n\nSome **bold** and [a link](https://example.com).\n\n```\ncode\n  here\n```"
    assert excerpt(text) == "Title Some bold and a link. code here"


def test_excerpt_is_plain_text_not_html() -> None:
    assert excerpt("Use <b> & `<i>`") == "Use <b> & <i>"


def test_excerpt_short_text_is_unchanged() -> None:
    assert excerpt("one two", 7) == "one two"


@pytest.mark.parametrize(
    ("length", "expected"),
    [(10, "one two…"), (8, "one two…"), (14, "one two three…"), (4, "one…"), (3, "on…"), (1, "…")],
)
def test_excerpt_truncates_on_word_boundary(length: int, expected: str) -> None:
    assert excerpt("one two three four", length) == expected


def test_excerpt_cuts_a_single_long_word() -> None:
    assert excerpt("a" * 50, 10) == "a" * 9 + "…"


def test_excerpt_never_exceeds_length() -> None:
    text = "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 10
    assert all(len(excerpt(text, n)) <= n for n in range(1, 120))


def test_excerpt_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError, match="positive"):
        excerpt("text", 0)


_MIXED = [
    "Hello @ana and @Bob.",
    "`@notamention` @real | a | b |\n|:-|-:|\n| @cell | x |",
    "```\n@fenced\n```\n> @quoted **bold** [link](https://example.com/@x) <b>raw</b>",
    *PAYLOADS[:50],
]


@pytest.mark.parametrize("text", _MIXED)
def test_one_parse_renders_and_finds_mentions_as_the_two_calls_do(text: str) -> None:
    assert render_with_mentions(text) == (render_markdown(text), extract_mentions(text))


@pytest.mark.parametrize("text", _MIXED)
def test_an_excerpt_of_the_rendered_html_is_the_excerpt_of_the_text(text: str) -> None:
    assert excerpt_of_html(render_markdown(text), 40) == excerpt(text, 40)
