"""realtime/_wire.py is the one module that touches trio-websocket, and it knows which version."""

from __future__ import annotations

import ast
from importlib.metadata import version
from pathlib import Path

import community
from community.realtime import _wire

_ROOT = Path(community.__file__).parent
_LIBRARIES = ("trio_websocket", "wsproto")


def test_written_for_the_installed_trio_websocket() -> None:
    # _wire uses its internals (see its docstring): read them again before moving this pin.
    assert version("trio-websocket") == _wire.WRITTEN_FOR


def test_only_the_wire_module_imports_trio_websocket() -> None:
    importers = set()
    for path in _ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in _LIBRARIES for n in names):
                importers.add(path.relative_to(_ROOT).as_posix())
    assert importers == {"realtime/_wire.py"}


def test_an_event_is_framed_once_the_same_for_every_socket() -> None:
    # Server frames are unmasked and no extension is negotiated: what a connection would write
    # for a text message is what `text_frame` gives once for all recipients.
    from wsproto import ConnectionType
    from wsproto.connection import Connection
    from wsproto.events import TextMessage

    for text in ("{}", '{"type":"post_created","note":"é"}', "x" * 70_000):
        assert _wire.text_frame(text) == Connection(ConnectionType.SERVER).send(TextMessage(data=text))
    assert _wire.text_frame("\ud800") is None
