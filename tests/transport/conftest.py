"""Certificates for TLS tests, made once per session (the builder is shared)."""
from __future__ import annotations

import pytest

from interop.netutil import make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    """A CA, and a server and a client certificate it signed: paths by name."""
    return make_certificates(tmp_path_factory.mktemp("pki"))
