"""A real `keyd daemon` in a temp dir: config, tokens, start, stop (always), its log and its RSS."""
import atexit
import hashlib
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time

import rawhttp

K_START_TIMEOUT_S = 15.0
K_STOP_GRACE_S = 5.0
K_SWARMS = ("s1", "s2")
K_SERVER_TIMEOUT_S = 2
K_SERVER_THREADS = 4
K_MAX_BODY_BYTES = 65536

CONFIG = f"""\
store: {{backend: file, file: {{dir: store}}}}
audit: {{file: audit.jsonl}}
server:
  listen: 127.0.0.1:0
  threads: {K_SERVER_THREADS}
  timeout: {K_SERVER_TIMEOUT_S}s
  max_body_bytes: {K_MAX_BODY_BYTES}
  auth: {{tokens_file: tokens}}
leader_election: {{lock_file: daemon.lock}}
swarms:
""" + "".join(f"""\
  - name: {name}
    key_readers: ["token:reader"]
    operators: ["token:operator"]
    targets: [{{type: file, path: ipfs/{name}/swarm.key}}]
""" for name in K_SWARMS)


class Daemon:
    def __init__(self, keyd):
        self.keyd = os.path.abspath(keyd)
        self.dir = tempfile.TemporaryDirectory(prefix="keyd-abuse-")
        self.tokens = {"reader": secrets.token_hex(24), "operator": secrets.token_hex(24)}
        self.process = None
        self.port = None
        self.log_path = os.path.join(self.dir.name, "daemon.log")
        self.keys_seen = set()  # base16 lines of every key served or delivered: never in the log
        self._write_files()
        atexit.register(self.stop)

    def _write_files(self):
        with open(os.path.join(self.dir.name, "keyd.yaml"), "w") as f:
            f.write(CONFIG)
        tokens = os.path.join(self.dir.name, "tokens")
        with open(tokens, "w") as f:
            for name, token in self.tokens.items():
                f.write(f"{hashlib.sha256(token.encode()).hexdigest()} {name}\n")
        os.chmod(tokens, 0o600)

    def start(self):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [self.keyd, "--log-level", "info", "daemon", "--config", "keyd.yaml"],
            cwd=self.dir.name, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.port = self._wait_for_port()
        self._wait_ready()
        self.collect_keys()
        return self

    def _wait_for_port(self):
        deadline = time.monotonic() + K_START_TIMEOUT_S
        pattern = re.compile(r"api: listening on http://127\.0\.0\.1:(\d+)")
        while time.monotonic() < deadline:
            found = pattern.search(self.log())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"it did not start (exit {self.process.poll()}):\n{self.log()}")

    def _wait_ready(self):
        deadline = time.monotonic() + K_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if rawhttp.call(self.port, "GET", "/readyz").status == 200 and all(
                    os.path.exists(self.target(name)) for name in K_SWARMS):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"it exited ({self.process.poll()}) before it was ready:\n{self.log()}")
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {K_START_TIMEOUT_S} s:\n{self.log()}")

    def target(self, swarm):
        return os.path.join(self.dir.name, "ipfs", swarm, "swarm.key")

    def collect_keys(self):
        for name in K_SWARMS:
            try:
                with open(self.target(name)) as f:
                    self.keys_seen.add(f.read().strip().splitlines()[-1])
            except (OSError, IndexError):
                pass

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def status_kib(self, field):
        """VmRSS / VmHWM of the daemon in KiB (0 when it is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def reset_peak(self):
        """Resets VmHWM (Linux: "5" into clear_refs) so a scenario's peak is its own; False if refused."""
        try:
            with open(f"/proc/{self.process.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(K_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cleanup(self):
        self.stop()
        self.dir.cleanup()
