"""The reliability tests' self-signed certificate, for forwarding over TLS."""

from tests.reliability.conftest import tls_cert

__all__ = ["tls_cert"]
