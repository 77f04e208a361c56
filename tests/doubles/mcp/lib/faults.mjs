// Fault injection (MCP_DOUBLE_FAULT, comma-separated) and the stdio transport that carries it out.
// The transport is the SDK's StdioServerTransport with its message hooks wrapped: the MCP server
// itself stays the SDK's McpServer.
import fs from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

export const KNOWN_FAULTS = [
  'exit-at-start', 'crash-on-call', 'crash-on-write', 'garbage-stdout', 'stderr-flood', 'silent',
  'silent-on-call', 'out-of-order', 'missing-tools', 'drop-arguments', 'concurrent-writer', 'tamper-write',
  'bad-protocol-version', 'no-tools-capability',
];

// Returns a Set of fault names, or throws naming the unknown ones.
export function parseFaults(text) {
  const names = (text || '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !KNOWN_FAULTS.includes(n));
  if (unknown.length) {
    throw new Error(`unknown fault ${unknown.map((n) => JSON.stringify(n)).join(', ')} in MCP_DOUBLE_FAULT ` +
                    `(known: ${KNOWN_FAULTS.join(', ')})`);
  }
  return new Set(names);
}

export const GARBAGE_LINE = 'mcp-double: garbage-stdout fault, this line is not JSON-RPC {\n';
const STRAY_ID_BASE = 987654321;
const PING_PREFIX = 'mcp-double-ping-';

// ~1 MiB of log lines on stderr. process.stderr writes to a pipe synchronously on Linux, so a client
// that never drains our stderr blocks us here, as it would block a real server.
export function floodStderr(where) {
  const line = `mcp-double: stderr-flood (${where}) ` + '.'.repeat(60) + '\n';
  const count = Math.ceil((1 << 20) / line.length);
  process.stderr.write(line.repeat(count));
}

const isRequest = (m) => m && typeof m.method === 'string' && m.id !== undefined;
const isResponse = (m) => m && m.method === undefined && m.id !== undefined && ('result' in m || 'error' in m);

export class FaultyStdioTransport extends StdioServerTransport {
  // faults: Set; callLog: path or undefined; onIdleAfterEnd: called when stdin ended and nothing is pending.
  constructor(faults, { callLog } = {}) {
    super();
    this.faults = faults;
    this.callLog = callLog;
    this.initializeIds = new Set();
    this.inflight = new Map();  // request id → arrival sequence number
    this.held = [];             // out-of-order: responses waiting for later requests to be answered
    this.seq = 0;
    this.injections = 0;
    this.stdinEnded = false;
    process.stdin.on('end', () => {
      this.stdinEnded = true;
      this.exitIfIdle();
    });
  }

  // The SDK's Protocol installs its handler here; we keep it and put the fault filter in front.
  set onmessage(fn) {
    this.inner = fn;
  }

  get onmessage() {
    return this.inner ? (m, extra) => this.receive(m, extra) : undefined;
  }

  receive(message, extra) {
    if (isResponse(message) && typeof message.id === 'string' && message.id.startsWith(PING_PREFIX)) {
      this.appendLog({ ping: message.id, answered: 'result' in message });
      return;
    }
    if (message?.method === 'notifications/cancelled') {
      this.inflight.delete(message.params?.requestId);
      this.flushHeld();
    }
    if (isRequest(message)) {
      if (message.method === 'initialize') this.initializeIds.add(message.id);
      if (message.method === 'tools/call') {
        const args = message.params?.arguments;
        this.appendLog({ tool: message.params?.name, arguments: args && typeof args === 'object' ? Object.keys(args) : [] });
        if (this.faults.has('crash-on-call') ||
            (this.faults.has('crash-on-write') && message.params?.name === 'vault_write')) {
          process.stderr.write(`mcp-double: crash fault: exiting on tools/call ${message.params?.name}\n`);
          process.exit(1);
        }
        if (this.faults.has('silent-on-call')) return;
      }
      if (this.faults.has('stderr-flood')) floodStderr(message.method);
      this.inflight.set(message.id, this.seq++);
    }
    this.inner(message, extra);
  }

  async send(message, options) {
    if (isResponse(message) && this.initializeIds.has(message.id) && message.result) {
      this.initializeIds.delete(message.id);
      message = structuredClone(message);
      if (this.faults.has('bad-protocol-version')) message.result.protocolVersion = '1999-01-01';
      if (this.faults.has('no-tools-capability')) delete message.result.capabilities?.tools;
    }
    if (!isResponse(message)) return super.send(message, options);

    const mySeq = this.inflight.get(message.id);
    this.inflight.delete(message.id);
    if (this.faults.has('out-of-order') && mySeq !== undefined && this.laterPending(mySeq)) {
      this.held.push({ seq: mySeq, message });
      return;
    }
    const sent = this.emitResponse(message);
    this.flushHeld();
    await sent;
    this.exitIfIdle();
  }

  laterPending(seq) {
    for (const s of this.inflight.values()) if (s > seq) return true;
    return false;
  }

  // Held responses go out, newest request first, once no request that arrived after them is pending.
  flushHeld() {
    this.held.sort((a, b) => b.seq - a.seq);
    let i = 0;
    while (i < this.held.length) {
      if (this.laterPending(this.held[i].seq)) {
        i++;
        continue;
      }
      const [item] = this.held.splice(i, 1);
      this.emitResponse(item.message);
    }
    this.exitIfIdle();
  }

  emitResponse(message) {
    if (this.faults.has('garbage-stdout')) this._stdout.write(GARBAGE_LINE);
    if (this.faults.has('out-of-order')) {
      const n = ++this.injections;
      this.writeRaw({ jsonrpc: '2.0', id: STRAY_ID_BASE + n, result: {} });
      this.writeRaw({ jsonrpc: '2.0', method: 'notifications/message',
                      params: { level: 'info', logger: 'mcp-double', data: `out-of-order fault, injection ${n}` } });
      this.writeRaw({ jsonrpc: '2.0', id: `${PING_PREFIX}${n}`, method: 'ping' });
    }
    return super.send(message);
  }

  writeRaw(obj) {
    this._stdout.write(JSON.stringify(obj) + '\n');
  }

  appendLog(entry) {
    if (this.callLog) fs.appendFileSync(this.callLog, JSON.stringify(entry) + '\n');
  }

  // poly-secret-mcp keeps running after stdin closes; we leave once every answer we owe is written,
  // so no test leaves a process behind.
  exitIfIdle() {
    if (this.stdinEnded && this.inflight.size === 0 && this.held.length === 0) {
      setImmediate(() => process.exit(0));
    }
  }
}
