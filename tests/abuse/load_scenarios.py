"""Scenarios that load the daemon: a flood of random tokens, slow and idle sockets, more sockets
than the connection cap, chunked bombs, and POSTs without a body. Each takes (daemon, result) and
records in the result what it expects."""
import collections
import secrets
import select
import selectors
import socket
import threading
import time

import rawhttp
from daemon import K_MAX_BODY_BYTES, K_SERVER_TIMEOUT_S

K_FLOOD_CLIENTS = 32
K_FLOOD_SECONDS = 3.0
K_FLOOD_ANSWERS = {401, 503}
K_SLOW_SOCKETS = 300
K_IDLE_SOCKETS = 200
K_SLOW_LINE_EVERY_S = 1.0
K_CLOSE_SLACK_S = 1.5          # a slow or idle socket must be closed by timeout + this
K_MAX_CONNECTIONS = 512        # server.max_connections' default (issue 15 item 3)
K_CAP_SOCKETS = 600
K_REFUSE_S = 1.0               # a connection over the cap is closed within this
K_BOMBS = 4
K_BOMB_SECONDS = 3.0
K_BOMB_MAX_BYTES = 200 * 1024 * 1024
K_BOMB_CHUNK = 64 * 1024
K_EARLY_ANSWER_S = 1.0         # an answer that needs no body comes within this
K_HUGE_CONTENT_LENGTH = 10 * 1000 ** 3


def flood(daemon, result):
    """K_FLOOD_CLIENTS threads send requests with random bearer tokens: none is let in."""
    statuses = collections.Counter()
    deadline = time.monotonic() + K_FLOOD_SECONDS
    targets = [("GET", "/v1/swarms", None), ("GET", "/v1/swarms/s1/key", None), ("POST", "/v1/swarms/s1/rotate", b"")]

    def client(n):
        i = n
        while time.monotonic() < deadline:
            method, path, body = targets[i % len(targets)]
            answer = rawhttp.call(daemon.port, method, path, secrets.token_hex(16), body)
            statuses[answer.status if answer.status is not None else answer.error] += 1
            i += 1

    run_threads(client, K_FLOOD_CLIENTS)
    total = sum(statuses.values())
    result.notes.append(f"{total} requests ({total / K_FLOOD_SECONDS:.0f}/s): {dict(statuses)}")
    # Connections the server refused or dropped are its right under a flood; an answer is 401, or 503
    # when it sheds load, never anything a random token should get.
    answers = {s for s in statuses if isinstance(s, int)}
    result.expect(401 in answers and answers <= K_FLOOD_ANSWERS, f"answers other than 401/503: {dict(statuses)}")


def run_threads(target, count):
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class Held:
    """One socket the attacker holds open, and when the server closed it."""

    def __init__(self, sock, slow):
        self.sock = sock
        self.slow = slow
        self.opened = time.monotonic()
        self.closed = None


def open_held(port, count, slow):
    held = []
    for _ in range(count):
        try:
            sock = rawhttp.connect(port)
            if slow:
                sock.sendall(b"GET /v1/swarms HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        except OSError:
            continue
        sock.setblocking(False)
        held.append(Held(sock, slow))
    return held


def watch_held(held, seconds):
    """Sends a header line on every open slow socket each second; notes when the server closes one."""
    selector = selectors.DefaultSelector()
    for h in held:
        selector.register(h.sock, selectors.EVENT_READ, h)
    deadline = time.monotonic() + seconds
    next_line = time.monotonic() + K_SLOW_LINE_EVERY_S
    while time.monotonic() < deadline and selector.get_map():
        for key, _ in selector.select(timeout=min(0.1, max(0.0, next_line - time.monotonic()))):
            if not drain(key.data):
                key.data.closed = time.monotonic()
                selector.unregister(key.data.sock)
        if time.monotonic() >= next_line:
            next_line += K_SLOW_LINE_EVERY_S
            for h in held:
                if h.slow and h.closed is None and not send_line(h):
                    h.closed = time.monotonic()
                    selector.unregister(h.sock)
    selector.close()


def drain(h):
    """False once the server closed the socket (EOF or reset)."""
    try:
        while True:
            data = h.sock.recv(65536)
            if not data:
                return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def send_line(h):
    try:
        h.sock.send(b"X-Slow: 1\r\n")
        return True
    except BlockingIOError:
        return True
    except OSError:
        return False


def slow_clients(daemon, result):
    """Slowloris sockets and idle sockets: probes stay fast, the server closes them after its timeout."""
    held = open_held(daemon.port, K_SLOW_SOCKETS, True) + open_held(daemon.port, K_IDLE_SOCKETS, False)
    limit = K_SERVER_TIMEOUT_S + K_CLOSE_SLACK_S
    watch_held(held, limit + 1.0)
    for kind, slow in (("slow", True), ("idle", False)):
        mine = [h for h in held if h.slow == slow]
        in_time = [h for h in mine if h.closed is not None and h.closed - h.opened <= limit]
        result.notes.append(f"{kind}: {len(mine)} open, {len(in_time)} closed by the server within {limit:.1f} s")
        result.expect(len(mine) == (K_SLOW_SOCKETS if slow else K_IDLE_SOCKETS),
                      f"only {len(mine)} {kind} sockets could connect")
        result.expect(len(in_time) == len(mine),
                      f"{len(mine) - len(in_time)}/{len(mine)} {kind} sockets not closed within {limit:.1f} s")
    for h in held:
        h.sock.close()


def connection_cap(daemon, result):
    """More idle sockets than server.max_connections (default 512): the excess is refused at once."""
    started = time.monotonic()
    held = open_held(daemon.port, K_CAP_SOCKETS, False)
    # Which ones go is the server's choice (the newest refused, or the oldest idle evicted): counted
    # is how many are closed by K_REFUSE_S after the last one connected.
    last_opened = max((h.opened for h in held), default=time.monotonic())
    watch_held(held, max(0.0, last_opened + K_REFUSE_S - time.monotonic()))
    refused = [h for h in held if h.closed is not None and h.closed <= last_opened + K_REFUSE_S]
    wanted = K_CAP_SOCKETS - K_MAX_CONNECTIONS
    result.notes.append(f"{len(held)} idle sockets connected in {last_opened - started:.1f} s, {len(refused)} closed "
                        f"by the server within {K_REFUSE_S} s of the last connect")
    result.expect(len(refused) >= wanted,
                  f"{len(refused)} of {len(held)} sockets closed within {K_REFUSE_S} s of the last connect, expected "
                  f"at least {wanted} over server.max_connections {K_MAX_CONNECTIONS}")
    for h in held:
        h.sock.close()


def chunked_bombs(daemon, result):
    """Unauthenticated chunked uploads: 401 and closed early; an operator's oversized one: 413;
    Content-Length: 10 GB without a token: 401 at once."""
    outcomes = [None] * K_BOMBS

    def bomb(n):
        outcomes[n] = upload(daemon.port, None, K_BOMB_MAX_BYTES, K_BOMB_SECONDS)

    run_threads(bomb, K_BOMBS)
    for n, (answer, sent, closed) in enumerate(outcomes):
        mib = sent / 1024 / 1024
        result.notes.append(f"bomb {n}: {answer.describe()}, {mib:.0f} MiB sent, {'closed' if closed else 'open'}")
        result.expect(answer.status == 401 and answer.seconds <= K_EARLY_ANSWER_S and closed,
                      f"bomb {n}: expected 401 within {K_EARLY_ANSWER_S} s and a close; got "
                      f"{answer.describe()} after {mib:.0f} MiB, {'closed' if closed else 'not closed'}")
    answer, sent, _ = upload(daemon.port, daemon.tokens["operator"], 16 * K_MAX_BODY_BYTES, K_BOMB_SECONDS, "sync")
    result.notes.append(f"operator chunked {sent // 1024} KiB: {answer.describe()}")
    result.expect(answer.status == 413, f"operator's chunked body over max_body_bytes: {answer.describe()}, not 413")
    answer = rawhttp.exchange(daemon.port, rawhttp.request_bytes(
        "POST", "/v1/swarms/s1/rotate", headers=[f"Content-Length: {K_HUGE_CONTENT_LENGTH}"]), K_SERVER_TIMEOUT_S + 1)
    result.notes.append(f"Content-Length 10 GB, no token: {answer.describe()}")
    result.expect(answer.status == 401 and answer.seconds <= K_EARLY_ANSWER_S,
                  f"Content-Length 10 GB without a token: {answer.describe()}, not 401 at once")


def upload(port, token, max_bytes, seconds, action="rotate"):
    """Streams a chunked body, reading the answer as soon as one comes; returns (answer, bytes sent,
    whether the server closed the connection before the body's end)."""
    started = time.monotonic()
    sock = rawhttp.connect(port)
    head = rawhttp.request_bytes("POST", f"/v1/swarms/s1/{action}", token, ["Transfer-Encoding: chunked"])
    chunk = b"%x\r\n" % K_BOMB_CHUNK + b"a" * K_BOMB_CHUNK + b"\r\n"
    sent, closed, answer = 0, False, None
    with sock:
        sock.settimeout(0.5)
        try:
            sock.sendall(head)
            while sent < max_bytes and time.monotonic() - started < seconds:
                if answer is None and select.select([sock], [], [], 0)[0]:
                    answer = rawhttp.read_answer(sock, time.monotonic(), K_EARLY_ANSWER_S)
                    answer.seconds = time.monotonic() - started
                elif answer is not None and time.monotonic() - started > answer.seconds + K_EARLY_ANSWER_S:
                    break  # answered, but still reading the body
                sock.sendall(chunk)
                sent += K_BOMB_CHUNK
            if answer is None:
                sock.sendall(b"0\r\n\r\n")
        except socket.timeout:
            pass  # the server stopped reading: its answer, if any, is read below
        except OSError:
            closed = True
        if answer is None:
            answer = rawhttp.read_answer(sock, started, seconds + K_SERVER_TIMEOUT_S + 1)
        return answer, sent, closed


def no_body_posts(daemon, result):
    """POST without Content-Length: an empty body, authenticated and answered at once."""
    for who, action, expected in (("none", "rotate", 401), ("reader", "rotate", 403), ("operator", "sync", 200)):
        answer = rawhttp.call(daemon.port, "POST", f"/v1/swarms/s1/{action}", daemon.tokens.get(who),
                              deadline_s=K_SERVER_TIMEOUT_S + K_CLOSE_SLACK_S)
        result.notes.append(f"POST {action} as {who}, no Content-Length: {answer.describe()}")
        result.expect(answer.status == expected and answer.seconds <= K_EARLY_ANSWER_S,
                      f"POST {action} as {who} without a body: {answer.describe()}, expected {expected} within "
                      f"{K_EARLY_ANSWER_S} s")
