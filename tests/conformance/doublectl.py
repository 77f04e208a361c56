"""Start/stop the Vault double from Python tests and talk to its control API (standard library only)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "..", "doubles", "vault_double.py")
PYTHON = "/usr/bin/python3"


def make_certs():
    """Certificates made with the openssl CLI; reuses $VAULT_DOUBLE_CERT_DIR when run.sh made them."""
    existing = os.environ.get("VAULT_DOUBLE_CERT_DIR")
    if existing and os.path.exists(os.path.join(existing, "ca.crt")):
        return existing, None
    tmp = tempfile.mkdtemp(prefix="vault-double-certs-", dir=os.environ.get("VAULT_CONFORMANCE_TMP"))
    subprocess.run([os.path.join(HERE, "make-certs.sh"), tmp], check=True)
    return tmp, tmp


class Double:
    def __init__(self, tls=None, mtls=False, quiet=True, env=None, args=None):
        self.extra_env = dict(env or {})
        self.extra_args = list(args or [])
        self.tmp = tempfile.mkdtemp(prefix="vault-double-", dir=os.environ.get("VAULT_CONFORMANCE_TMP"))
        self.tls = tls
        self.mtls = mtls
        self.quiet = quiet
        self.proc = None

    def start(self):
        port_file = os.path.join(self.tmp, "port")
        ctl_file = os.path.join(self.tmp, "control-port")
        token_file = os.path.join(self.tmp, "token")
        self.log_path = os.path.join(self.tmp, "double.log")
        args = [PYTHON, DOUBLE, "--port", "0", "--port-file", port_file, "--token-file", token_file,
                "--control-port-file", ctl_file, "--exit-with-parent"]
        if self.quiet:
            args.append("--quiet")
        args += self.extra_args
        if self.tls:
            args += ["--tls-cert", os.path.join(self.tls, "server.crt"),
                     "--tls-key", os.path.join(self.tls, "server.key")]
            if self.mtls:
                args += ["--client-ca", os.path.join(self.tls, "ca.crt")]
        env = dict(os.environ)
        env.pop("VAULT_DOUBLE_ROOT_TOKEN", None)
        env.update(self.extra_env)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and os.path.exists(ctl_file)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("vault double did not start: " + open(self.log_path).read())
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.control_port = int(open(ctl_file).read())
        self.root_token = open(token_file).read().strip()
        scheme = "https" if self.tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        return self

    def stop(self, sig=None):
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._log.close()
        rc = self.proc.returncode if self.proc else None
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc

    def log_text(self):
        try:
            return open(self.log_path, encoding="utf-8", errors="replace").read()
        except OSError:
            return ""

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d/_double/%s" % (self.control_port, path.lstrip("/")),
                                     data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError("control %s %s -> %d %s" % (method, path, exc.code, exc.read().decode()))
        return json.loads(raw) if raw else None

    def reset(self):
        self.control("POST", "reset")

    def requests(self):
        return self.control("GET", "requests")["requests"]
