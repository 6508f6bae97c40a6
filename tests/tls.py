"""One TLS context for every test's httpx client: a client made without one loads the CA bundle
for itself (35-150 ms a client), and tests make thousands of them. Verification stays on."""

import ssl

TLS = ssl.create_default_context()
