"""Raw HTTP/1.1 over plain sockets: the abuse suite must send what no well-behaved client would."""
import socket
import time

K_CONNECT_TIMEOUT_S = 2.0


def connect(port, timeout=K_CONNECT_TIMEOUT_S):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_bytes(method, path, token=None, headers=(), body=None):
    """A request as bytes; body None sends no Content-Length at all."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    lines.extend(headers)
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


class Answer:
    """What came back: status (None when the server closed without one), the body, and when."""

    def __init__(self, status, headers, body, seconds, error=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds
        self.error = error

    def describe(self):
        if self.status is not None:
            return f"{self.status} in {self.seconds * 1000:.0f} ms"
        return f"no answer ({self.error}) after {self.seconds * 1000:.0f} ms"


def parse_head(data):
    """(status, headers, rest) from the bytes read so far, or None while the head is incomplete."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else -1
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, data[end + 4:]


def read_answer(sock, started, deadline_s):
    """Reads one response (head and body) until the server closes or Content-Length is reached."""
    data = b""
    head = None
    error = "closed"
    while True:
        remaining = started + deadline_s - time.monotonic()
        if remaining <= 0:
            error = "timeout"
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            error = "timeout"
            break
        except OSError as e:
            error = f"reset ({e.strerror or e})"
            break
        if not chunk:
            break
        data += chunk
        head = parse_head(data)
        if head and "content-length" in head[1] and len(head[2]) >= int(head[1]["content-length"]):
            break
    head = head or parse_head(data)
    seconds = time.monotonic() - started
    if head is None:
        return Answer(None, {}, b"", seconds, error)
    return Answer(head[0], head[1], head[2], seconds)


def exchange(port, raw, deadline_s=K_CONNECT_TIMEOUT_S):
    """Sends raw bytes on a fresh connection and reads the answer, all within deadline_s."""
    started = time.monotonic()
    try:
        sock = connect(port, deadline_s)
    except OSError as e:
        return Answer(None, {}, b"", time.monotonic() - started, f"connect: {e}")
    with sock:
        try:
            sock.sendall(raw)
        except OSError:
            pass  # the server may close early; whatever it answered is still read below
        return read_answer(sock, started, deadline_s)


def call(port, method, path, token=None, body=None, headers=(), deadline_s=K_CONNECT_TIMEOUT_S):
    return exchange(port, request_bytes(method, path, token, headers, body), deadline_s)
