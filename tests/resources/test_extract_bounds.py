"""Words inside files cost bounded time and size per file: the PDF parser runs in its own process,
killed after the timeout; text is cut at MAX_TEXT_CHARS; files over MAX_EXTRACT_BYTES are not read."""

from __future__ import annotations

import subprocess
import sys

import pytest
import trio

from community.actors import files_worker
from community.storage.extract import text_of
from tests.resources.conftest import Files, minimal_pdf


async def _status(files: Files, resource_id: str) -> str:
    r = await files.get(files.acme.moderator, f"/resources/{resource_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["resource"]["text_status"])


def test_the_extracted_text_is_cut_at_its_limit() -> None:
    assert text_of(b"word " * 1000, 20) == "word " * 4
    assert text_of(b"a\x00b\x07c", 100) == "a b c"  # NUL and control characters never reach the index
    done = subprocess.run([sys.executable, "-m", "community.storage.extract", "application/pdf", "12"],
                          input=minimal_pdf("a long sentence inside the file"), capture_output=True, check=True,
                          timeout=60)
    assert done.stdout.decode() == "a long sente"


async def test_a_pdf_that_outlasts_the_timeout_is_given_up_and_the_next_file_is_read(files: Files,
                                                                                   monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    with trio.fail_after(60):
        # No process starts and parses a PDF within a microsecond: the worker must give up on it, not wait.
        monkeypatch.setattr(files.runtime.handles.files.worker, "extract_timeout", 1e-6)
        slow = await files.resource(files.acme.moderator, "slow.pdf", "application/pdf", minimal_pdf("slowword"),
                                    title="Slow")
        text = await files.resource(files.acme.moderator, "fast.txt", "text/plain", b"fastword", title="Fast")

        async def settled() -> bool:
            return "pending" not in (await _status(files, slow["id"]), await _status(files, text["id"]))

        await files.until(settled)
        assert await _status(files, slow["id"]) == "failed"
        assert await _status(files, text["id"]) == "done"


async def test_a_file_over_the_extraction_limit_is_not_read(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    with trio.fail_after(60):
        monkeypatch.setattr(files_worker, "MAX_EXTRACT_BYTES", 10)
        big = await files.resource(files.acme.moderator, "big.txt", "text/plain", b"bigword " * 10, title="Big")
        small = await files.resource(files.acme.moderator, "small.txt", "text/plain", b"tiny", title="Small")

        async def settled() -> bool:
            return "pending" not in (await _status(files, big["id"]), await _status(files, small["id"]))

        await files.until(settled)
        assert await _status(files, big["id"]) == "too_large"
        assert await _status(files, small["id"]) == "done"
