"""TLS contexts for DICOM secure transport (PS3.15 B.1, the TLS profiles).

DICOM peers identify each other by certificate, not by host name (DCMTK does
not check names either), so peer certificates are verified against the given
CA but host names are checked only when asked.
"""
from __future__ import annotations

import ssl
from typing import Optional


def server_context(certfile: str, keyfile: Optional[str] = None, *,
                   cafile: Optional[str] = None, require_client_cert: bool = False
                   ) -> ssl.SSLContext:
    """A server context; with ``cafile`` client certificates are verified against it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # PS3.15 B.9: BCP 195
    context.load_cert_chain(certfile, keyfile)
    if cafile:
        context.load_verify_locations(cafile)
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context


def client_context(*, cafile: Optional[str] = None, certfile: Optional[str] = None,
                   keyfile: Optional[str] = None, verify: bool = True,
                   check_hostname: bool = False) -> ssl.SSLContext:
    """A client context: server certificate verified against ``cafile`` unless ``verify``
    is False; ``certfile``/``keyfile`` present our own certificate when asked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname and verify
    if verify:
        if cafile:
            context.load_verify_locations(cafile)
        else:
            context.load_default_certs()
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.verify_mode = ssl.CERT_NONE
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    return context
