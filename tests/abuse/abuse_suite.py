#!/usr/bin/env python3
"""Abuse suite for `keyd daemon` (issue 15): a real daemon on 127.0.0.1, attacked as a hostile
client on the same network would, with /healthz answer times and RSS measured under each attack.

    python3 tests/abuse/abuse_suite.py --keyd build/dev/bin/keyd [--report FILE]

Standard library only. Exits non-zero when any expectation fails; the thresholds are below and in
the scenario modules (K_*)."""
import argparse
import os
import re
import resource
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rawhttp  # noqa: E402
from daemon import Daemon  # noqa: E402
from http_scenarios import authz_matrix, malformed  # noqa: E402
from load_scenarios import chunked_bombs, connection_cap, flood, no_body_posts, slow_clients  # noqa: E402
from measure import Measure, Result  # noqa: E402

K_PROBE_MAX_MS = 1000          # every /healthz probe answered within this, in every scenario
K_RSS_GROWTH_MAX_MIB = 16      # peak VmRSS minus VmRSS before, in every scenario
K_RECOVER_S = 10.0             # after a scenario, /healthz answers again within this
K_SUITE_BUDGET_S = 60.0        # the whole suite, start to stop
K_WATCHDOG_S = 180.0           # past this the suite kills the daemon and exits 3
K_OPEN_FILES = 4096            # soft limit for the suite and the daemon it starts
K_KEY_HEX = r"[0-9a-f]{64}"    # the base16 line of a swarm.key

SCENARIOS = [
    ("baseline", lambda daemon, result: time.sleep(1.0)),
    ("flood (random tokens)", flood),
    ("slow + idle clients", slow_clients),
    ("connection cap", connection_cap),
    ("chunked bombs", chunked_bombs),
    ("POST without body", no_body_posts),
    ("malformed HTTP", malformed),
    ("authorization matrix", authz_matrix),
]


def run_scenario(daemon, name, attack):
    result = Result(name)
    if not daemon.alive():
        result.problems.append("the daemon is not running")
        return result
    with Measure(daemon, result):
        try:
            attack(daemon, result)
        except Exception as e:  # a scenario that breaks is a failure, not the end of the suite
            result.problems.append(f"scenario error: {type(e).__name__}: {e}")
    result.expect(result.max_ms() < K_PROBE_MAX_MS,
                  f"/healthz max {result.max_ms():.0f} ms >= {K_PROBE_MAX_MS} ms "
                  f"({result.failed_probes}/{len(result.probes_ms)} probes unanswered in 2 s)")
    result.expect(result.growth_mib() < K_RSS_GROWTH_MAX_MIB,
                  f"RSS grew {result.growth_mib():.1f} MiB >= {K_RSS_GROWTH_MAX_MIB} MiB")
    result.expect(recovered(daemon), f"/healthz not answered within {K_RECOVER_S:.0f} s after the scenario")
    return result


def recovered(daemon):
    deadline = time.monotonic() + K_RECOVER_S
    while time.monotonic() < deadline:
        if rawhttp.call(daemon.port, "GET", "/healthz").status == 200:
            return True
        time.sleep(0.1)
    return False


def final_checks(daemon, pid, started):
    result = Result("after everything")
    daemon.collect_keys()
    result.expect(daemon.alive() and daemon.process.pid == pid, "the daemon is gone or was replaced")
    answer = rawhttp.call(daemon.port, "GET", "/healthz")
    result.expect(answer.status == 200, f"/healthz: {answer.describe()}")
    log = daemon.log()
    keys = [k for k in daemon.keys_seen if re.fullmatch(K_KEY_HEX, k)]
    result.expect(len(keys) >= 2 and len(keys) == len(daemon.keys_seen),
                  f"expected every swarm's key, 64 hex digits each; got {len(keys)}/{len(daemon.keys_seen)}")
    leaked = [k for k in keys if k in log or k.upper() in log]
    result.expect(not leaked, f"{len(leaked)} swarm key(s) in the daemon's log")
    result.expect(not any(t in log for t in daemon.tokens.values()), "a bearer token in the daemon's log")
    result.notes.append(f"pid {pid}, {len(daemon.keys_seen)} keys looked for in {len(log)} bytes of log")
    elapsed = time.monotonic() - started
    result.notes.append(f"suite took {elapsed:.1f} s")
    result.expect(elapsed <= K_SUITE_BUDGET_S, f"the suite took {elapsed:.1f} s > {K_SUITE_BUDGET_S:.0f} s")
    return result


def mib(kib):
    return f"{kib / 1024:.1f}"


def table(results):
    lines = [f"{'scenario':<24} {'healthz p50/max ms':>19} {'RSS before/peak/after MiB':>26}  result",
             "-" * 100]
    for r in results:
        times = f"{r.p50_ms():.0f}/{r.max_ms():.0f}" if r.probes_ms else "-"
        rss = "/".join(mib(k) for k in r.rss_kib) if r.rss_kib[0] else "-"
        verdict = "pass" if not r.problems else "FAIL: " + r.problems[0]
        lines.append(f"{r.name:<24} {times:>19} {rss:>26}  {verdict}")
        lines.extend(f"{'':<72}FAIL: {p}" for p in r.problems[1:])
    return "\n".join(lines)


def details(results):
    return "\n".join(f"{r.name}:\n" + "".join(f"  {n}\n" for n in r.notes) for r in results if r.notes)


def give_up(daemon):
    """The suite itself hangs: kill the daemon and leave, rather than hold CI."""
    print(f"abuse suite: still running after {K_WATCHDOG_S:.0f} s; giving up", file=sys.stderr, flush=True)
    if daemon.process is not None:
        daemon.process.kill()
    os._exit(3)


def raise_fd_limit():
    """Hundreds of held sockets here, and as many in the daemon (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = K_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, K_OPEN_FILES)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass  # the scenarios then note the sockets that could not connect


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keyd", default="build/dev/bin/keyd", help="the keyd binary to attack")
    parser.add_argument("--report", help="also write the table and details to this file")
    parser.add_argument("--only", action="append", metavar="WORD",
                        help="run only the scenarios whose name contains WORD (repeatable)")
    args = parser.parse_args()
    raise_fd_limit()
    # SIGTERM (a CI timeout) unwinds through the finally below, which stops the daemon.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scenarios = [s for s in SCENARIOS if not args.only or any(w in s[0] for w in args.only)]
    started = time.monotonic()
    daemon = Daemon(args.keyd)
    watchdog = threading.Timer(K_WATCHDOG_S, give_up, (daemon,))
    watchdog.daemon = True
    watchdog.start()
    try:
        daemon.start()
        pid = daemon.process.pid
        results = [run_scenario(daemon, name, attack) for name, attack in scenarios]
        results.append(final_checks(daemon, pid, started))
    except (RuntimeError, OSError) as e:
        print(f"abuse suite: cannot start {args.keyd}: {e}", file=sys.stderr)
        return 2
    finally:
        watchdog.cancel()
        daemon.cleanup()
    failed = sum(1 for r in results if r.problems)
    text = (f"{table(results)}\n\n{details(results)}\n"
            f"abuse suite: {len(results) - failed} passed, {failed} failed\n")
    print(text, end="")
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
