"""Scenarios about what requests say rather than how many: malformed HTTP and the authorization
matrix (every kind of caller × every endpoint, statuses from docs/daemon.md)."""
import json
import secrets
from concurrent.futures import ThreadPoolExecutor

import rawhttp
from daemon import K_SERVER_TIMEOUT_S

K_MALFORMED_DEADLINE_S = K_SERVER_TIMEOUT_S + 1.5   # 4xx or a close by then; later is a hang
K_MALFORMED_PARALLEL = 4
K_HUGE = 1024 * 1024
K_CLIENT_ERROR = frozenset(range(400, 500))     # what a malformed request may get, besides a close
K_VERSION = K_CLIENT_ERROR | {505}              # HTTP Version Not Supported
K_METHOD = K_CLIENT_ERROR | {501}               # Not Implemented: an unknown method


def head(*lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def malformed_cases(tokens):
    post = "POST /v1/swarms/s1/rotate HTTP/1.1"
    sync = "POST /v1/swarms/s1/sync HTTP/1.1"
    host = "Host: 127.0.0.1"
    chunked = "Transfer-Encoding: chunked"
    operator = f"Authorization: Bearer {tokens['operator']}"
    return [
        ("garbage", bytes(range(256)) * 4),
        ("TLS hello on plain HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64),
        ("NUL in request line", b"GET /heal\x00thz HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("NUL bytes only", b"\x00" * 4096),
        ("huge request line", b"GET /" + b"a" * K_HUGE + b" HTTP/1.1\r\n\r\n"),
        ("huge header", head("GET /healthz HTTP/1.1", host, "X-Big: " + "b" * K_HUGE)),
        ("10000 headers", head("GET /healthz HTTP/1.1", host, *[f"X-{i}: {i}" for i in range(10000)])),
        ("bad chunk size", head(post, host, chunked) + b"zz\r\nabc\r\n0\r\n\r\n"),
        ("chunk size overflow", head(post, host, chunked) + b"f" * 40 + b"\r\nabc\r\n"),
        ("negative chunk size", head(post, host, chunked) + b"-5\r\nabc\r\n0\r\n\r\n"),
        # The operator's: past authentication, into the body's parser.
        ("bad chunk size (operator)", head(sync, host, operator, chunked) + b"zz\r\nabc\r\n0\r\n\r\n"),
        ("chunk size overflow (operator)", head(sync, host, operator, chunked) + b"f" * 40 + b"\r\nabc\r\n"),
        ("negative chunk size (operator)", head(sync, host, operator, chunked) + b"-5\r\nabc\r\n0\r\n\r\n"),
        ("chunk without its CRLF (operator)", head(sync, host, operator, chunked) + b"3\r\nabcdef\r\n0\r\n\r\n"),
        ("Content-Length and Transfer-Encoding", head(post, host, "Content-Length: 5",
                                                      "Transfer-Encoding: chunked") + b"0\r\n\r\n"),
        ("duplicate Content-Length", head(post, host, "Content-Length: 0", "Content-Length: 5") + b"abcde"),
        ("Content-Length -1", head(post, host, "Content-Length: -1")),
        ("Content-Length 10^30", head(post, host, "Content-Length: " + "9" * 30)),
        ("Content-Length 1e3", head(post, host, "Content-Length: 1e3")),
        ("HTTP/0.9", b"GET /healthz\r\n\r\n", K_VERSION),
        ("HTTP/2.0 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", K_VERSION),
        ("HTTP/9.9", head("GET /healthz HTTP/9.9", host), K_VERSION),
        ("header without colon", head("GET /v1/swarms HTTP/1.1", host, "Authorization Bearer x")),
        ("unknown method", head("BREW /v1/swarms HTTP/1.1", host), K_METHOD),
        ("only line ends", b"\r\n" * 2000),
        ("half a request, then nothing", b"GET /v1/swarms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: "),
        ("NUL in the reader's token (key read)",
         head("GET /v1/swarms/s1/key HTTP/1.1", host, f"Authorization: Bearer {tokens['reader']}\x00junk")),
        ("two Authorization headers (key read)",
         head("GET /v1/swarms/s1/key HTTP/1.1", host, f"Authorization: Bearer {tokens['reader']}",
              f"Authorization: Bearer {tokens['reader']}")),
    ]


def malformed(daemon, result):
    """Each case: a 4xx answer (505 for a version, 501 for a method) or a close within
    K_MALFORMED_DEADLINE_S; never 2xx, another 5xx, or a hang."""
    cases = [case if len(case) == 3 else (*case, K_CLIENT_ERROR) for case in malformed_cases(daemon.tokens)]
    with ThreadPoolExecutor(K_MALFORMED_PARALLEL) as pool:
        answers = list(pool.map(lambda c: rawhttp.exchange(daemon.port, c[1], K_MALFORMED_DEADLINE_S), cases))
    for (name, _, allowed), answer in zip(cases, answers):
        closed = answer.status is None and answer.error != "timeout" and not answer.error.startswith("connect")
        ok = answer.status in allowed or closed
        result.notes.append(f"{name}: {answer.describe()}")
        result.expect(ok, f"{name}: {answer.describe()}")
    result.expect(daemon.alive(), "the daemon died")


def expected_table(tokens):
    """(method, path, {caller: status}) from docs/daemon.md's HTTP API and Authorization sections."""
    def each(status):
        return {caller: status for caller in ("none", "bad", "reader", "operator")}

    def authn(reader, operator):
        return {"none": 401, "bad": 401, "reader": reader, "operator": operator}

    rows = [("GET", p, each(200)) for p in ("/healthz", "/readyz", "/metrics")]
    rows += [("HEAD", "/healthz", each(200)), ("POST", "/healthz", each(405)), ("POST", "/metrics", each(405))]
    rows += [("GET", "/v1/swarms", authn(200, 200)), ("GET", "/v1/swarms/s1", authn(200, 200)),
             ("GET", "/v1/swarms/s2", authn(200, 200)), ("GET", "/v1/swarms/nope", authn(404, 404))]
    rows += [("GET", f"/v1/swarms/{s}/key", authn(200, 403)) for s in ("s1", "s2")]
    rows += [("GET", "/v1/swarms/nope/key", authn(404, 404)), ("POST", "/v1/swarms/s1/key", each(405))]
    for action in ("rotate", "sync"):
        rows += [("POST", f"/v1/swarms/{s}/{action}", authn(403, 200)) for s in ("s1", "s2")]
        rows += [("POST", f"/v1/swarms/nope/{action}", authn(404, 404)), ("GET", f"/v1/swarms/s1/{action}", each(405))]
    rows += [(method, path, each(405))
             for method, path in (("DELETE", "/v1/swarms"), ("POST", "/v1/swarms"), ("PUT", "/v1/swarms/s1"))]
    unknown = ["/", "/nope", "/v1", "/v2/swarms", "/v1/swarms/s1/bogus", "/v1/swarms/s1/key/extra", "/v1/keys"]
    non_canonical = ["/v1/swarms/s1%2Fkey", "//v1/swarms/s1/key", "/v1/swarms/s1/key/", "/v1/swarms/./s1/key",
                     "/v1/swarms/s1/../s1/key", "/v1/swarms/%73%31/key", "/v1//swarms", "/healthz/"]
    rows += [("GET", p, each(404)) for p in unknown + non_canonical]
    return rows


def authz_matrix(daemon, result):
    tokens = {"none": None, "bad": secrets.token_hex(24), **daemon.tokens}
    failures = 0
    rows = expected_table(daemon.tokens)
    for method, path, expected in rows:
        for caller, status in expected.items():
            body = b"" if method in ("POST", "PUT") else None
            answer = rawhttp.call(daemon.port, method, path, tokens[caller], body)
            if answer.status == 200 and path.endswith("/key"):
                daemon.keys_seen.add(json.loads(answer.body)["key"].strip().splitlines()[-1])
            if answer.status != status:
                failures += 1
                result.problems.append(f"{method} {path} as {caller}: {answer.describe()}, expected {status}")
    result.notes.append(f"{len(rows)} endpoints x 4 callers, {failures} unexpected answers")
