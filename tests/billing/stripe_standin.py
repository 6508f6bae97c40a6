"""A loopback server that speaks Stripe's wire protocol, for the real `stripe` library to call.

Form-encoded requests in (`line_items[0][price]=...`), Stripe-shaped JSON objects out, Stripe's
error envelope, `Idempotency-Key` honoured. It serves what the product calls — customers,
Checkout Sessions, portal sessions, subscriptions, invoices — and the tests drive the other side
(completing a checkout, a failed payment, a cancellation) through its methods, then sign the
webhook events Stripe would send with Stripe's signature scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PRICES = {
    "price_community": 2900, "price_organization": 9900, "price_enterprise": 29900, "price_custom": 600,
}


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=v` -> {"a": {"b": [{"c": "v"}]}} (Stripe's encoding of nested params)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = value if last else ([] if parts[i + 1].isdigit() else {})
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None or last:
                    node[index] = nxt
                node = node[index]
            else:
                if part not in node or last:
                    node[part] = nxt
                node = node[part]
    return root


@dataclass
class StripeStandIn:
    webhook_secret: str
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any], str | None]] = field(default_factory=list)
    down: bool = False
    _idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    # The server side of what the product calls

    def handle(self, method: str, path: str, params: dict[str, Any], idem: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((method, path, params, idem))
            if self.down:
                return 500, _error("api_error", "Stripe is having a bad day.")
            if idem and method == "POST" and idem in self._idempotent:
                return self._idempotent[idem]
            answer = self._route(method, path, params)
            if idem and method == "POST" and answer[0] < 500:
                self._idempotent[idem] = answer
            return answer

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        match method, parts:
            case "POST", ["customers"]:
                customer = {"id": self.new_id("cus"), "object": "customer", "name": params.get("name"),
                            "email": params.get("email"), "metadata": params.get("metadata", {})}
                self.customers[customer["id"]] = customer
                return 200, customer
            case "GET", ["customers", cid] if cid in self.customers:
                return 200, self.customers[cid]
            case "POST", ["checkout", "sessions"]:
                return self._create_session(params)
            case "POST", ["billing_portal", "sessions"] if params.get("customer") in self.customers:
                sid = self.new_id("bps")
                return 200, {"id": sid, "object": "billing_portal.session", "customer": params["customer"],
                             "url": f"{self.url}/portal/{sid}", "return_url": params.get("return_url")}
            case "GET", ["subscriptions"]:
                found = [s for s in self.subscriptions.values() if s["customer"] == params.get("customer")]
                if params.get("status", "active") != "all":
                    found = [s for s in found if s["status"] == params.get("status", "active")]
                return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/subscriptions"}
            case "GET", ["subscriptions", sid] if sid in self.subscriptions:
                return 200, self.subscriptions[sid]
            case "POST", ["subscriptions", sid] if sid in self.subscriptions:
                return self._update_subscription(self.subscriptions[sid], params)
            case "GET", ["invoices", iid] if iid in self.invoices:
                return 200, self.invoices[iid]
        return 404, _error("invalid_request_error", f"No such resource: {method} {path}")

    def _create_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        items = params.get("line_items") or []
        if params.get("mode") != "subscription" or not items or items[0].get("price") not in PRICES:
            return 400, _error("invalid_request_error", "mode=subscription and a known price are required")
        if params.get("customer") not in self.customers:
            return 400, _error("invalid_request_error", "No such customer")
        sid = self.new_id("cs")
        session = {"id": sid, "object": "checkout.session", "mode": "subscription", "status": "open",
                   "customer": params["customer"], "client_reference_id": params.get("client_reference_id"),
                   "metadata": params.get("metadata", {}), "subscription": None,
                   "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
                   "url": f"{self.url}/checkout/{sid}", "line_items": items,
                   "subscription_data": params.get("subscription_data", {})}
        self.sessions[sid] = session
        return 200, session

    def _update_subscription(self, sub: dict[str, Any], params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for change in params.get("items") or []:
            for item in sub["items"]["data"]:
                if item["id"] == change.get("id"):
                    if "quantity" in change:
                        item["quantity"] = int(change["quantity"])
                    if "price" in change:
                        item["price"] = _price(change["price"])
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        return 200, sub

    # What happens on Stripe's side (the tests call these)

    def complete_checkout(self, session_id: str, *, status: str = "active") -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            item = session["line_items"][0]
            now = int(time.time())
            sub = {"id": self.new_id("sub"), "object": "subscription", "customer": session["customer"],
                   "status": status, "created": now + next(self._ids), "cancel_at_period_end": False,
                   "current_period_start": now, "current_period_end": now + 30 * 86400,
                   "metadata": dict(session["subscription_data"].get("metadata", {})),
                   "items": {"object": "list", "data": [
                       {"id": self.new_id("si"), "object": "subscription_item", "price": _price(item["price"]),
                        "quantity": int(item.get("quantity") or 1)}]}}
            self.subscriptions[sub["id"]] = sub
            session.update(status="complete", subscription=sub["id"])
            return json.loads(json.dumps(sub))

    def set_subscription(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            sub = self.subscriptions[sub_id]
            if "price" in changes:
                sub["items"]["data"][0]["price"] = _price(changes.pop("price"))
            sub.update(changes)
            return json.loads(json.dumps(sub))

    def create_invoice(self, sub_id: str, *, status: str) -> dict[str, Any]:
        with self._lock:
            sub = self.subscriptions[sub_id]
            item = sub["items"]["data"][0]
            amount = item["price"]["unit_amount"] * item["quantity"]
            invoice = {"id": self.new_id("in"), "object": "invoice", "customer": sub["customer"],
                       "subscription": sub_id, "status": status, "number": f"INV-{len(self.invoices) + 1:04d}",
                       "currency": "usd", "amount_due": amount, "amount_paid": amount if status == "paid" else 0,
                       "hosted_invoice_url": f"{self.url}/invoices/{len(self.invoices) + 1}",
                       "created": int(time.time()),
                       "lines": {"data": [{"period": {"start": sub["current_period_start"],
                                                      "end": sub["current_period_end"]}}]}}
            self.invoices[invoice["id"]] = invoice
            return json.loads(json.dumps(invoice))

    def set_invoice(self, invoice_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            self.invoices[invoice_id].update(changes)
            return json.loads(json.dumps(self.invoices[invoice_id]))

    def event(self, type: str, obj: dict[str, Any], *, event_id: str | None = None,
              signed_at: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the webhook call Stripe would make."""
        body = json.dumps({"id": event_id or self.new_id("evt"), "object": "event", "type": type,
                           "api_version": "2024-06-20", "created": int(time.time()),
                           "data": {"object": obj}}).encode()
        return body, {"Stripe-Signature": self.sign(body, signed_at=signed_at), "Content-Type": "application/json"}

    def sign(self, body: bytes, *, signed_at: int | None = None, secret: str | None = None) -> str:
        ts = signed_at if signed_at is not None else int(time.time())
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{ts}.".encode() + body, hashlib.sha256)
        return f"t={ts},v1={mac.hexdigest()}"


def _price(price_id: str) -> dict[str, Any]:
    return {"id": price_id, "object": "price", "unit_amount": PRICES[price_id], "currency": "usd",
            "recurring": {"interval": "month", "interval_count": 1}}


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    standin: StripeStandIn

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if not parts.path.startswith("/v1/"):
            page = b"<!doctype html><title>Stripe Checkout (test)</title><h1>Stripe Checkout</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        params = parse_form(parse_qsl(parts.query) + parse_qsl(body))
        status, answer = self.standin.handle(self.command, parts.path, params, self.headers.get("Idempotency-Key"))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Request-Id", f"req_{time.monotonic_ns()}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - http.server's naming


def serve_standin(secret: str) -> tuple[StripeStandIn, ThreadingHTTPServer]:
    standin = StripeStandIn(webhook_secret=secret)
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin, server
