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
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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
    schema = schemathesis.openapi.from_dict(openapi)
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
        except (Failure, FailureGroup) as exc:  # a group is a BaseExceptionGroup
            _fail(report, operation.label, type(exc).__name__, str(exc), case, persona)

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
