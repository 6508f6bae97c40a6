"""schemathesis over /openapi.json against a live server, signed in as each persona.

Blocking (requests, hypothesis): run it on a thread beside the server's trio loop, or against
a server in another process. Every operation gets cases with real path parameters (ids the
matrix set-ups made, so the request reaches the handler) and cases with generated ones, each as
a persona drawn per example; a response fails when it is a 5xx, carries a status or content
type the schema does not declare, breaks its declared schema, or is a 4xx that is not
problem+json. Failures are collected (not raised), one per operation and kind, so one run
reports every class it found.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from community.domain.recurrence import timezone_names
from community.domain.tags import MAX_TAG_LENGTH, normalise_tag

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          positive_data_acceptance]
# A request the schema allows may still meet state the schema cannot know: a full org (402), an
# invitation already used (410), a range past the file's end (416), beside schemathesis's own list.
# Never 400 or 422: what the server refuses as malformed, the schema must refuse too.
ACCEPTED = ["2xx", "3xx", "401", "402", "403", "404", "409", "410", "416", "429", "5xx"]
CONFIG = {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}

def _is_tag(text: str) -> bool:
    try:
        normalise_tag(text)
    except ValueError:
        return False
    return True


# Words of several scripts, with marks (an accent typed apart, Hindi's vowel signs), spaces and symbols.
_TAG_CHARACTERS = st.one_of(st.sampled_from("ab09_+#.- "), st.characters(categories=("L", "M", "N")))

# The formats the document declares for what JSON Schema cannot spell (community/domain/input.py):
# what a value of each is, as the server checks it.
_PASSWORD_CHARS = string.ascii_letters + string.digits + "!#$%&*+-=?@^_~"
FORMATS = {
    "password": st.text(alphabet=_PASSWORD_CHARS, min_size=16, max_size=40).filter(
        lambda password: zxcvbn(password)["score"] >= 3),  # MIN_SCORE is 2: room for the e-mail and name
    "time-zone": st.sampled_from(timezone_names()),
    # Opaque: only the server makes one (a page's next_cursor). The first page's is the empty one; negative
    # mode still sends malformed ones (422, never a 500).
    "cursor": st.just(""),
    "rrule": st.builds(lambda freq, interval, count: f"FREQ={freq}" + interval + count,
                       st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
                       st.sampled_from(["", ";INTERVAL=2", ";INTERVAL=7"]),
                       st.sampled_from(["", ";COUNT=3", ";COUNT=10"])),
    "tag": st.text(_TAG_CHARACTERS, min_size=1, max_size=MAX_TAG_LENGTH).filter(_is_tag),
    # Dark enough under white text: every channel at most 0x6f keeps the luminance under 0.16 (4.5:1 needs 0.183).
    "white-text-colour": st.tuples(*[st.integers(0, 0x6F)] * 3).map(lambda rgb: "#{:02x}{:02x}{:02x}".format(*rgb)),
}

# Refusals of schema-valid requests that depend on state or on several fields at once, which no schema
# can state: (operation) -> (status, the field the problem names, words of its message or None).
# Everything else a positive request gets back must be an accepted status.
NOT_IN_A_SCHEMA: dict[tuple[str, str], list[tuple[int, str, str | None]]] = {
    ("POST", "/api/me/password"): [(422, "current_password", "is not your current password")],  # a credential
    ("POST", "/api/orgs/{org}/conversations"): [(422, "participant_ids", "not an active member"),  # like an id
                                                (422, "title", "required")],  # a group (2+ others) has a title
    ("POST", "/api/orgs/{org}/events"): [(422, "end_time", "must be after start_time")],
    ("PATCH", "/api/orgs/{org}/events/{event_id}"): [(422, "end_time", "must be after start_time"),
                                                     (422, "*", "leave out occurrence"),  # series-only fields
                                                     (422, "recurrence", "yields no occurrence")],  # vs start_time
    ("POST", "/api/orgs/{org}/forums"): [(422, "parent_id", "no such forum")],  # like an unknown id
    ("GET", "/api/orgs/{org}/events"): [(422, "to", "must be after from")],
    ("GET", "/api/orgs/{org}/analytics"): [(422, "to", "after from")],  # and at most 731 days after it
    ("GET", "/api/orgs/{org}/analytics.csv"): [(422, "to", "after from")],
    ("POST", "/api/orgs/{org}/topics/{topic_id}/posts"): [(422, "parent_id", "not a post of this topic")],
    # The caller's own role is the ceiling: the same body is fine from an owner.
    ("POST", "/api/orgs/{org}/resources"): [(422, "required_role", "above your own role")],
    ("PATCH", "/api/orgs/{org}/resources/{resource_id}"): [(422, "required_role", "above your own role")],
    # The host must resolve to public addresses: DNS answers, not the URL's shape. A forum to filter on is
    # an id of this org's, like parent_id above.
    ("POST", "/api/orgs/{org}/integrations"): [(422, "url", "resolve"), (422, "forum_id", "No such forum")],
    ("PATCH", "/api/orgs/{org}/integrations/{integration_id}"): [(422, "url", "resolve"),
                                                                  (422, "forum_id", "No such forum")],
    # A type's file names end in its extensions (a .png is image/png); a signed upload URL takes the type
    # its upload declared.
    ("POST", "/api/orgs/{org}/uploads"): [(415, "content_type", "is named")],
    ("PUT", "/api/files/{token}"): [(415, "", "This upload takes Content-Type")],
}


@dataclass(frozen=True)
class Target:
    """One operation as the fuzzer reaches it: real path values, and each persona's headers."""

    method: str
    path: str  # the OpenAPI template, /api/orgs/{org}/forums/{forum_id}
    path_parameters: Mapping[str, str]
    headers: Mapping[str, Mapping[str, str]]


@dataclass
class Report:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [f"{label}: {kind}\n    {detail}" for (label, kind), detail in sorted(self.failures.items())]


def path_values(template: str, path: str) -> dict[str, str]:
    """The values a concrete path gives the template's {parameters}; {} when it does not match."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, path)
    return {k: requests.utils.unquote(v) for k, v in found.groupdict().items()} if found else {}


def run_fuzz(base_url: str, openapi: dict[str, Any], targets: Mapping[tuple[str, str], Target], *,
             examples: int, modes: tuple[GenerationMode, ...], seed_value: int = 11) -> Report:
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy)
    schema = schemathesis.openapi.from_dict(openapi, config=SchemathesisConfig.from_dict(CONFIG))
    report = Report()
    started = time.monotonic()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            key = (operation.method.upper(), operation.path)
            target = targets.get(key)
            if target is None:
                report.failures[(operation.label, "no target")] = "the test knows no path values or personas for it"
                continue
            for mode in modes:
                _fuzz_operation(session, base_url, operation, target, mode, examples, seed_value, report)
    report.seconds = time.monotonic() - started
    return report


def _fuzz_operation(session: requests.Session, base_url: str, operation: Any, target: Target,
                    mode: GenerationMode, examples: int, seed_value: int, report: Report) -> None:
    real = operation.as_strategy(mode, path_parameters=dict(target.path_parameters))
    cases = st.one_of(real, real, real, operation.as_strategy(mode)) if target.path_parameters else real
    personas = st.sampled_from(sorted(target.headers))

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(persona=personas, case=cases)
    def check(persona: str, case: Any) -> None:
        headers = dict(target.headers[persona])
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        except requests.RequestException as exc:
            _fail(report, operation.label, "no answer", f"{type(exc).__name__}: {exc}", case, persona)
            return
        report.requests += 1
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        content_type = ",".join(response.headers.get("content-type", []))  # a list a header
        if response.status_code >= 400 and content_type != "application/problem+json":
            _fail(report, operation.label, f"{response.status_code} not problem+json", content_type, case, persona)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:  # a BaseExceptionGroup: one entry per kind of failure
            for failure in group.exceptions:
                if not _not_in_a_schema(operation, failure, response):
                    _fail(report, operation.label, type(failure).__name__, _told(failure, response), case, persona)
        except Failure as exc:
            if not _not_in_a_schema(operation, exc, response):
                _fail(report, operation.label, type(exc).__name__, _told(exc, response), case, persona)

    try:
        check()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        if mode is not GenerationMode.NEGATIVE:
            raise
    except (Failure, FailureGroup) as exc:
        key = (operation.label, f"{mode.value}: {type(exc).__name__}")
        report.failures.setdefault(key, str(exc)[:1500])


def _fail(report: Report, label: str, kind: str, detail: str, case: Any, persona: str) -> None:
    key = (label, kind.split("\n")[0][:120])
    if key not in report.failures:
        report.failures[key] = f"as {persona}: {detail[:600]}\n    {case.as_curl_command()[:600]}"


def _told(failure: BaseException, response: requests.Response) -> str:
    return f"{failure}\n    answered {response.status_code}: {response.text[:400]}"


def _not_in_a_schema(operation: Any, failure: BaseException, response: requests.Response) -> bool:
    """A positive request refused for a reason NOT_IN_A_SCHEMA lists (and only that reason)."""
    if type(failure).__name__ != "RejectedPositiveData":
        return False
    known = NOT_IN_A_SCHEMA.get((operation.method.upper(), operation.path), [])
    try:
        problem = response.json()
    except ValueError:
        return False
    named = [(str(e["loc"][-1]), e["msg"]) for e in problem.get("errors", [])] or [
        (problem.get("field") or "", problem.get("detail") or "")]
    return all(any(status == response.status_code and field in (name, "*") and (words is None or words in msg)
                   for status, field, words in known) for name, msg in named)
