"""What every scenario measures: /healthz answer times (a probe every 100 ms, fresh connection,
2 s timeout) and the daemon's resident memory (VmRSS before/after, peak from VmHWM and samples)."""
import statistics
import threading
import time

import rawhttp

K_PROBE_INTERVAL_S = 0.1
K_PROBE_TIMEOUT_S = 2.0
K_RSS_SAMPLE_S = 0.05
K_SETTLE_S = 0.3  # after the attack, before "after" is read


def listen_overflows():
    """The kernel's count of connections dropped because a listen queue was full (all sockets)."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table.get("ListenOverflows", 0))
    return 0


class Result:
    def __init__(self, name):
        self.name = name
        self.probes_ms = []
        self.failed_probes = 0
        self.rss_kib = (0, 0, 0)
        self.problems = []
        self.notes = []

    def p50_ms(self):
        return statistics.median(self.probes_ms) if self.probes_ms else float("nan")

    def max_ms(self):
        return max(self.probes_ms) if self.probes_ms else float("nan")

    def growth_mib(self):
        return (self.rss_kib[1] - self.rss_kib[0]) / 1024

    def expect(self, ok, reason):
        if not ok:
            self.problems.append(reason)
        return ok


class Measure:
    """Context manager: probes and samples the daemon while the `with` body attacks it."""

    def __init__(self, daemon, result):
        self.daemon = daemon
        self.result = result
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._probe, daemon=True),
                        threading.Thread(target=self._sample, daemon=True)]
        self.peak_kib = 0
        self.before_kib = 0

    def __enter__(self):
        self.daemon.reset_peak()
        self.before_kib = self.daemon.status_kib("VmRSS")
        self.peak_kib = self.before_kib
        self.overflows = listen_overflows()
        self.log_bytes = self.daemon.log_size()
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join()
        time.sleep(K_SETTLE_S)
        peak = max(self.peak_kib, self.daemon.status_kib("VmHWM"))
        self.result.rss_kib = (self.before_kib, peak, self.daemon.status_kib("VmRSS"))
        logged = self.daemon.log_size() - self.log_bytes
        if logged > 0:
            self.result.notes.append(f"the daemon logged {logged} bytes")
        dropped = listen_overflows() - self.overflows
        if dropped:
            self.result.notes.append(f"{dropped} connections overflowed a listen queue (SYNs dropped, "
                                     "retried after 1 s)")
        return False

    def _probe(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            answer = rawhttp.call(self.daemon.port, "GET", "/healthz", deadline_s=K_PROBE_TIMEOUT_S)
            if answer.status == 200:
                self.result.probes_ms.append(answer.seconds * 1000)
            else:
                self.result.failed_probes += 1
                self.result.probes_ms.append(max(answer.seconds, K_PROBE_TIMEOUT_S) * 1000)
            self.stopping.wait(max(0.0, K_PROBE_INTERVAL_S - (time.monotonic() - started)))

    def _sample(self):
        while not self.stopping.wait(K_RSS_SAMPLE_S):
            self.peak_kib = max(self.peak_kib, self.daemon.status_kib("VmRSS"))
