"""Start/stop the Vault double from Python tests and talk to its control API (standard library only)."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "..", "doubles", "vault_double.py")
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "..", "doubles"))

from doublekit.client import DoubleProcess  # noqa: E402


def make_certs():
    """Certificates made with the openssl CLI; reuses $VAULT_DOUBLE_CERT_DIR when run.sh made them."""
    existing = os.environ.get("VAULT_DOUBLE_CERT_DIR")
    if existing and os.path.exists(os.path.join(existing, "ca.crt")):
        return existing, None
    tmp = tempfile.mkdtemp(prefix="vault-double-certs-", dir=os.environ.get("VAULT_CONFORMANCE_TMP"))
    subprocess.run([os.path.join(HERE, "make-certs.sh"), tmp], check=True)
    return tmp, tmp


class Double(DoubleProcess):
    label = "vault double"
    token_env = "VAULT_DOUBLE_ROOT_TOKEN"

    def __init__(self, tls=None, mtls=False, quiet=True, env=None, args=None):
        super().__init__(DOUBLE, "vault-double-", os.environ.get("VAULT_CONFORMANCE_TMP"))
        self.extra_env = dict(env or {})
        self.extra_args = list(args or [])
        self.tls = tls
        self.mtls = mtls
        self.quiet = quiet

    def start(self):
        args = ["--quiet"] if self.quiet else []
        args += self.extra_args
        if self.tls:
            args += ["--tls-cert", os.path.join(self.tls, "server.crt"),
                     "--tls-key", os.path.join(self.tls, "server.key")]
            if self.mtls:
                args += ["--client-ca", os.path.join(self.tls, "ca.crt")]
        self.root_token = self.spawn(args, self.extra_env)
        scheme = "https" if self.tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        return self

    def stop(self, sig=None):
        rc = super().stop(sig)
        self.cleanup()
        return rc

    def reset(self):
        self.control("POST", "reset")

    def requests(self):
        return self.control("GET", "requests")["requests"]
