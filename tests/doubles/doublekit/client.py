"""Start/stop a double from Python tests and call its /_double/ control API (standard library only)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

PYTHON = "/usr/bin/python3"


class DoubleProcess:
    """A double run as a child with --port 0, port/control-port/token files and --exit-with-parent."""
    label = "double"         # in "<label> did not start: ..."
    token_env = None         # environment variable dropped so the double generates its token

    def __init__(self, script, tmp_prefix, tmp_dir=None):
        self.script = script
        self.tmp = tempfile.mkdtemp(prefix=tmp_prefix, dir=tmp_dir)
        self.proc = None

    def spawn(self, args, extra_env=None):
        """Start script with the lifecycle flags, then args; wait for the port files. Returns the token."""
        port_file, ctl_file = os.path.join(self.tmp, "port"), os.path.join(self.tmp, "control-port")
        token_file = os.path.join(self.tmp, "token")
        self.log_path = os.path.join(self.tmp, "double.log")
        argv = [PYTHON, self.script, "--port", "0", "--port-file", port_file, "--control-port-file", ctl_file,
                "--token-file", token_file, "--exit-with-parent"] + list(args)
        env = dict(os.environ)
        env.pop(self.token_env, None)
        env.update(extra_env or {})
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and os.path.exists(ctl_file)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start: %s" % (self.label, self.log_text()))
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.control_port = int(open(ctl_file).read())
        return open(token_file).read().strip()

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
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

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
