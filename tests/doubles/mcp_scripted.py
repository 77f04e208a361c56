#!/usr/bin/python3
"""A scripted MCP server for keyd's low-level MCP client tests (stdlib only).

    /usr/bin/python3 tests/doubles/mcp_scripted.py SCRIPT.json

SCRIPT.json is a list of steps, run in order; each step is an object with one of these keys:

  {"handshake": {"tools": [...names], "protocol": "2025-06-18", "capabilities": {...}}}
      read initialize and answer it, read notifications/initialized, read tools/list and answer it
  {"read": "method"}           read one line (a request or notification; must have that method)
  {"reply": {...}}             answer the last request read with this result
  {"reply_error": {...}}       answer the last request read with this error object
  {"raw": "text"}              write text to stdout as is (no newline added)
  {"raw_repeat": ["x", N]}     write "x" N times to stdout
  {"stderr": "text"} / {"stderr_repeat": ["x", N]}
  {"sleep": seconds}
  {"dump_env": "file"}         write the names of the variables it was started with, one a line, sorted
  {"log_stdin": "file"}        from now on, append every line read to this file
  {"exit": code}               exit at once
  {"kill": signal}             kill itself with a signal
  {"stubborn": true}           ignore SIGTERM and end of stdin (for the SIGKILL path)

After the last step the server reads stdin until it ends and exits 0 (unless stubborn: then it
sleeps until killed). Unexpected input makes it exit 97 with the reason on stderr.
"""
import json
import os
import signal
import sys
import time

state = {"last": None, "log": None, "stubborn": False}


def out(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def send(obj):
    out(json.dumps(obj) + "\n")


def read_message(method=None):
    line = sys.stdin.readline()
    if state["log"]:
        with open(state["log"], "a") as f:
            f.write(line if line.endswith("\n") else line + "\n")
    if not line:
        sys.stderr.write("mcp-scripted: end of input while waiting for %s\n" % method)
        sys.exit(97)
    msg = json.loads(line)
    if method is not None and msg.get("method") != method:
        sys.stderr.write("mcp-scripted: expected %s, got %s\n" % (method, msg.get("method")))
        sys.exit(97)
    if "id" in msg:
        state["last"] = msg
    return msg


def reply(result=None, error=None):
    msg = {"jsonrpc": "2.0", "id": state["last"]["id"]}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result
    send(msg)


def handshake(spec):
    init = read_message("initialize")
    caps = spec.get("capabilities", {"tools": {"listChanged": True}})
    reply({"protocolVersion": spec.get("protocol", init["params"]["protocolVersion"]),
           "capabilities": caps, "serverInfo": {"name": "mcp-scripted", "version": "0"}})
    read_message("notifications/initialized")
    read_message("tools/list")
    tools = [{"name": n, "inputSchema": {"type": "object"}} for n in spec.get("tools", [])]
    reply({"tools": tools})


def run(steps):
    for step in steps:
        (key, value), = step.items()
        if key == "handshake":
            handshake(value)
        elif key == "read":
            read_message(value)
        elif key == "reply":
            reply(result=value)
        elif key == "reply_error":
            reply(error=value)
        elif key == "raw":
            out(value)
        elif key == "raw_repeat":
            out(value[0] * value[1])
        elif key == "stderr":
            sys.stderr.write(value)
            sys.stderr.flush()
        elif key == "stderr_repeat":
            sys.stderr.write(value[0] * value[1])
            sys.stderr.flush()
        elif key == "sleep":
            time.sleep(value)
        elif key == "dump_env":
            # The environment as exec'd (python may add LC_CTYPE to os.environ itself, PEP 538).
            with open("/proc/self/environ", "rb") as f:
                names = [e.split(b"=", 1)[0].decode() for e in f.read().split(b"\0") if e]
            with open(value, "w") as f:
                f.write("".join(name + "\n" for name in sorted(names)))
        elif key == "log_stdin":
            state["log"] = value
        elif key == "exit":
            sys.stdout.flush()
            os._exit(value)
        elif key == "kill":
            sys.stdout.flush()
            os.kill(os.getpid(), value)
        elif key == "stubborn":
            state["stubborn"] = True
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            sys.stderr.write("mcp-scripted: unknown step %s\n" % key)
            sys.exit(98)


def main():
    with open(sys.argv[1]) as f:
        steps = json.load(f)
    run(steps)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        if state["log"]:
            with open(state["log"], "a") as f:
                f.write(line)
    while state["stubborn"]:
        time.sleep(1)


if __name__ == "__main__":
    main()
