// Conformance of the poly-secret-mcp test double (tests/doubles/mcp/server.mjs) with the MCP SDK's real
// Client + StdioClientTransport, against the Vault double over HTTP. One line per check, then
// "mcp: passed=N failed=M". Run by run.sh (which owns the temp dir and the time limit).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Client, ErrorCode, LATEST_PROTOCOL_VERSION, McpError, StdioClientTransport,
} from '../../doubles/mcp/sdk-client.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..');
const SERVER = path.join(ROOT, 'tests', 'doubles', 'mcp', 'server.mjs');
const VAULT_DOUBLE = path.join(ROOT, 'tests', 'doubles', 'vault_double.py');
const TMP = fs.mkdtempSync(path.join(process.env.MCP_CONFORMANCE_TMP || '/tmp', 'mcp-conf-'));
const KEY = '/key/swarm/psk/1.0.0/\n/base16/\n' + 'a1b2c3d4'.repeat(8) + '\n';
const WRAPPER_KEYS = ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'mount_type'];
const VERSION_META_KEYS = ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${String(err?.message ?? err).replace(/\n/g, '\\n')}`);
  }
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}
function same(actual, wanted, what) {
  const a = JSON.stringify(actual);
  const w = JSON.stringify(wanted);
  if (a !== w) throw new Error(`${what}: got ${a}, want ${w}`);
}

// ---- the Vault double ----------------------------------------------------------------------------
async function startVault() {
  const dir = fs.mkdtempSync(path.join(TMP, 'vault-'));
  const f = (n) => path.join(dir, n);
  const child = spawn('/usr/bin/python3', [VAULT_DOUBLE, '--port', '0', '--port-file', f('port'), '--token-file',
    f('token'), '--control-port-file', f('ctl'), '--quiet', '--exit-with-parent'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const deadline = Date.now() + 10000;
  while (!(fs.existsSync(f('port')) && fs.existsSync(f('ctl')))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`vault double did not start: ${stderr}`);
    await sleep(10);
  }
  const port = Number(fs.readFileSync(f('port'), 'utf8'));
  const ctl = Number(fs.readFileSync(f('ctl'), 'utf8'));
  const token = fs.readFileSync(f('token'), 'utf8').trim();
  const control = async (method, p, body) => {
    const res = await fetch(`http://127.0.0.1:${ctl}/_double/${p}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`control ${method} ${p} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const exited = new Promise((r) => child.on('exit', r));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
  };
  return { addr: `http://127.0.0.1:${port}`, token, control, stop };
}

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// ---- the MCP double through the SDK client -----------------------------------------------------------
function serverEnv(vault, extra = {}) {
  return { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token, VAULT_MAX_RETRIES: '0', VAULT_CLIENT_TIMEOUT: '5s', ...extra };
}

// The SDK's stdio client transport, remembering what it received (the SDK client keeps no record of the
// negotiated protocol version).
class RecordingTransport extends StdioClientTransport {
  received = [];

  set onmessage(fn) {
    this.inner = fn;
  }

  get onmessage() {
    return this.inner && ((m, extra) => {
      this.received.push(m);
      this.inner(m, extra);
    });
  }
}

async function connect(env, { timeout = 5000 } = {}) {
  const transport = new RecordingTransport({ command: process.execPath, args: [SERVER], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr.on('data', (c) => { stderr += c; });
  const client = new Client({ name: 'keyd-mcp-conformance', version: '1.0.0' });
  client.onerror = () => {};
  await client.connect(transport, { timeout });
  return { client, transport, stderr: () => stderr, close: () => client.close() };
}

async function withServer(env, fn) {
  const s = await connect(env);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const call = (s, name, args = {}, opts = {}) => s.client.callTool({ name, arguments: args }, undefined, { timeout: 5000, ...opts });
function text(res) {
  expect(Array.isArray(res.content) && res.content.length === 1 && res.content[0].type === 'text', 'one text content');
  return res.content[0].text;
}
function okJson(res) {
  expect(!res.isError, `tool failed: ${res.content?.[0]?.text}`);
  const t = text(res);
  const v = JSON.parse(t);
  same(t, JSON.stringify(v, null, 2), 'pretty-printed with 2 spaces');
  return v;
}
function errText(res) {
  expect(res.isError === true, `isError expected, got ${JSON.stringify(res)}`);
  return text(res);
}

// ---- raw JSON-RPC over a spawned server (process-level faults) ------------------------------------------
function rawServer(env) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  let out = '';
  let err = '';
  const waiters = [];
  child.stdout.on('data', (c) => {
    out += c;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, i));
      out = out.slice(i + 1);
    }
    waiters.forEach((w) => w());
  });
  child.stderr.on('data', (c) => { err += c; waiters.forEach((w) => w()); });
  const exited = new Promise((r) => child.on('exit', (code) => { r(code); waiters.forEach((w) => w()); }));
  const until = async (pred, ms = 4000) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
      waiters.length = 0;
    }
    return true;
  };
  const send = (obj) => child.stdin.write(JSON.stringify(obj) + '\n');
  const json = () => lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  return { child, lines, send, json, until, exited, stderr: () => err, stdoutRest: () => out };
}
const INIT = (id, version = '2025-06-18') => ({ jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const CALL = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

async function rawInit(r, version) {
  r.send(INIT(1, version));
  expect(await r.until(() => r.json().some((m) => m.id === 1)), `no initialize answer; stderr: ${r.stderr()}`);
  r.send(INITIALIZED);
  return r.json().find((m) => m.id === 1);
}
async function finish(r) {
  r.child.stdin.end();
  const code = await Promise.race([r.exited, sleep(3000).then(() => 'still running')]);
  if (code === 'still running') r.child.kill('SIGKILL');
  return code;
}
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

// ---- the checks ------------------------------------------------------------------------------------
async function main() {
  const vault = await startVault();
  const env = serverEnv(vault);
  const P = 'secret/ipfs-overlay/swarm-key';

  await check('initialize: SDK client negotiates the latest version, serverInfo poly-secret-mcp, tools capability', async () => {
    await withServer(env, async (s) => {
      const init = s.transport.received.find((m) => m.result?.protocolVersion);
      same(init?.result.protocolVersion, LATEST_PROTOCOL_VERSION, 'protocol version');
      same(s.client.getServerVersion()?.name, 'poly-secret-mcp', 'server name');
      expect(s.client.getServerCapabilities()?.tools, 'tools capability');
    });
  });

  await check('initialize: a supported version asked (2025-06-18) is echoed', async () => {
    const r = rawServer(env);
    const res = await rawInit(r, '2025-06-18');
    same(res.result?.protocolVersion, '2025-06-18', 'protocolVersion');
    expect(/1 adapter\(s\), 6 tools/.test(r.stderr()), `banner on stderr: ${r.stderr()}`);
    same(await finish(r), 0, 'exit status after stdin closes');
  });

  await check('initialize: an unknown version asked gets the server\'s latest', async () => {
    const r = rawServer(env);
    const res = await rawInit(r, '2099-12-31');
    same(res.result?.protocolVersion, LATEST_PROTOCOL_VERSION, 'protocolVersion');
    await finish(r);
  });

  await withServer(env, async (s) => {
    await check('tools/list: exactly the six tools with their required arguments', async () => {
      const { tools } = await s.client.listTools();
      const got = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema.required ?? []]));
      same(got, { vault_read: ['path'], vault_write: ['path', 'data'], vault_delete: ['path'], vault_list: ['path'],
        vault_metadata: ['path'], vault_status: [] }, 'tools');
      const write = tools.find((t) => t.name === 'vault_write');
      same(write.inputSchema.properties.data.anyOf.map((x) => x.type), ['string', 'array'], 'vault_write data forms');
      same(tools.find((t) => t.name === 'vault_delete').inputSchema.properties.versions.type, 'array', 'versions');
    });

    await check('vault_write (array form, value with newlines): the CLI wrapper, version 1', async () => {
      const v = okJson(await call(s, 'vault_write', { path: P, data: [`swarm.key=${KEY}`, 'fingerprint=fp-one', 'reason=initial'] }));
      same(Object.keys(v), WRAPPER_KEYS, 'wrapper keys');
      same(Object.keys(v.data), VERSION_META_KEYS, 'data keys');
      same(v.data.version, 1, 'version');
      same(v.mount_type, 'kv', 'mount_type');
      same([v.lease_id, v.lease_duration, v.renewable, v.warnings, v.data.destroyed, v.data.deletion_time],
        ['', 0, false, null, false, ''], 'fixed fields');
    });

    await check('vault_read: wrapper, data round-trips (newlines kept), metadata version 1', async () => {
      const v = okJson(await call(s, 'vault_read', { path: P }));
      same(Object.keys(v), WRAPPER_KEYS, 'wrapper keys');
      same(Object.keys(v.data), ['data', 'metadata'], 'data keys');
      same(v.data.data, { fingerprint: 'fp-one', reason: 'initial', 'swarm.key': KEY }, 'data');
      same(Object.keys(v.data.metadata), VERSION_META_KEYS, 'metadata keys');
      same(v.data.metadata.version, 1, 'version');
    });

    await check('vault_read with field: the value JSON-encoded (decode once more)', async () => {
      const res = await call(s, 'vault_read', { path: P, field: 'swarm.key' });
      expect(!res.isError, text(res));
      const t = text(res);
      expect(t.startsWith('"') && t.includes('\\n'), `JSON string expected: ${t.slice(0, 30)}`);
      same(JSON.parse(t), KEY, 'decoded value');
    });

    await check('vault_read with an absent field: the CLI error', async () => {
      same(errText(await call(s, 'vault_read', { path: P, field: 'nope' })), 'Error: Field "nope" not present in secret\n', 'text');
    });

    await check('vault_write (string form): split on spaces, version increments to 2', async () => {
      const v = okJson(await call(s, 'vault_write', { path: P, data: `swarm.key=${KEY} fingerprint=fp-two reason=rotate` }));
      same(v.data.version, 2, 'version');
      const r = okJson(await call(s, 'vault_read', { path: P }));
      same(r.data.data, { fingerprint: 'fp-two', reason: 'rotate', 'swarm.key': KEY }, 'data');
    });

    await check('vault_write (string form) with a space in a value: the CLI parse error', async () => {
      same(errText(await call(s, 'vault_write', { path: P, data: 'reason=two words' })),
        'Error: Failed to parse K=V data: invalid key/value pair "words": format must be key=value\n', 'text');
    });

    await check('vault_metadata: wrapper, current_version 2, both versions listed', async () => {
      const v = okJson(await call(s, 'vault_metadata', { path: P }));
      same(Object.keys(v), WRAPPER_KEYS, 'wrapper keys');
      for (const k of ['cas_required', 'created_time', 'current_version', 'custom_metadata', 'delete_version_after',
        'max_versions', 'oldest_version', 'updated_time', 'versions']) expect(k in v.data, `data.${k}`);
      same(v.data.current_version, 2, 'current_version');
      same(Object.keys(v.data.versions), ['1', '2'], 'versions');
    });

    await check('vault_list: the keys under a folder', async () => {
      await call(s, 'vault_write', { path: 'secret/ipfs-overlay/other/x', data: 'a=1' });
      same(okJson(await call(s, 'vault_list', { path: 'secret/ipfs-overlay' })), ['other/', 'swarm-key'], 'keys');
    });

    await check('vault_list of nothing: isError with the empty stderr of `vault kv list -format=json`', async () => {
      same(errText(await call(s, 'vault_list', { path: 'secret/nothing-here' })), 'Error: ', 'text');
    });

    await check('vault_read of a missing secret: "No value found at secret/data/<path>"', async () => {
      same(errText(await call(s, 'vault_read', { path: 'secret/nope/x' })), 'Error: No value found at secret/data/nope/x\n', 'text');
    });

    await check('vault_delete with versions: {"success": true}, that version soft-deleted', async () => {
      same(text(await call(s, 'vault_delete', { path: P, versions: [1] })), '{\n  "success": true\n}', 'text');
      const v = okJson(await call(s, 'vault_metadata', { path: P }));
      expect(v.data.versions['1'].deletion_time !== '', 'version 1 deletion_time set');
      same(v.data.versions['2'].deletion_time, '', 'version 2 untouched');
    });

    await check('vault_delete without versions: latest soft-deleted, read shows data null (CLI exit 0)', async () => {
      same(text(await call(s, 'vault_delete', { path: P })), '{\n  "success": true\n}', 'text');
      const v = okJson(await call(s, 'vault_read', { path: P }));
      same(v.data.data, null, 'data.data');
      same(v.data.metadata.version, 2, 'version');
    });

    await check('vault_status: `vault status -format=json` fields, unsealed', async () => {
      const v = okJson(await call(s, 'vault_status'));
      same(Object.keys(v).slice(0, 10), ['type', 'initialized', 'sealed', 't', 'n', 'progress', 'nonce', 'version',
        'build_date', 'migration'], 'leading keys');
      same([v.initialized, v.sealed, v.ha_enabled], [true, false, false], 'flags');
    });

    await check('invalid arguments (no path): rejected by the SDK\'s input validation as isError', async () => {
      const t = errText(await call(s, 'vault_read', {}));
      expect(/Input validation error/.test(t), t);
    });
  });

  await check('permission denied: isError with the CLI\'s "Error making API request." block', async () => {
    await vault.control('POST', 'policies', { name: 'limited', rules: [{ path: 'secret/data/allowed/*', capabilities: ['read'] }] });
    const { token } = await vault.control('POST', 'tokens', { policies: ['limited'], ttl: '1h' });
    await withServer({ ...env, VAULT_TOKEN: token }, async (s) => {
      same(errText(await call(s, 'vault_read', { path: 'secret/forbidden/x' })),
        'Error: Error reading secret/data/forbidden/x: Error making API request.\n\n' +
        `URL: GET ${vault.addr}/v1/secret/data/forbidden/x\nCode: 403. Errors:\n\n* permission denied\n`, 'text');
      same(errText(await call(s, 'vault_write', { path: 'secret/allowed/x', data: 'a=1' })),
        'Error: Error writing data to secret/data/allowed/x: Error making API request.\n\n' +
        `URL: PUT ${vault.addr}/v1/secret/data/allowed/x\nCode: 403. Errors:\n\n* permission denied\n`, 'text');
    });
  });

  await check('VAULT_CLIENT_TIMEOUT: a Vault that does not answer in time gives the CLI\'s timeout error', async () => {
    await vault.control('POST', 'faults', { path: '^/v1/secret/data/slow$', action: 'delay', delay_ms: 1500, times: 1 });
    try {
      await withServer({ ...env, VAULT_CLIENT_TIMEOUT: '300ms' }, async (s) => {
        same(errText(await call(s, 'vault_read', { path: 'secret/slow' })),
          `Error: Error reading secret/data/slow: Get "${vault.addr}/v1/secret/data/slow": ` +
          'context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n', 'text');
      });
    } finally {
      await vault.control('DELETE', 'faults');
    }
  });

  await check('VAULT_MAX_RETRIES: a 503 is retried (bounded), then the answer is the retry\'s', async () => {
    await vault.control('POST', 'faults', { path: '^/v1/secret/data/flaky$', action: 'respond', status: 503,
      body: { errors: ['Vault is sealed'] }, times: 2 });
    await vault.control('DELETE', 'requests');
    try {
      await withServer(env, async (s) => {  // VAULT_MAX_RETRIES=0: one attempt, the 503 block
        const t = errText(await call(s, 'vault_read', { path: 'secret/flaky' }));
        expect(t.includes('Code: 503. Errors:\n\n* Vault is sealed\n'), t);
      });
      await withServer({ ...env, VAULT_MAX_RETRIES: '1' }, async (s) => {  // second 503, then a retry: not found
        same(errText(await call(s, 'vault_read', { path: 'secret/flaky' })), 'Error: No value found at secret/data/flaky\n', 'text');
      });
      const { requests } = await vault.control('GET', 'requests');
      same(requests.filter((r) => r.path === '/v1/secret/data/flaky').length, 3, 'attempts');
    } finally {
      await vault.control('DELETE', 'faults');
    }
  });

  await check('namespace: VAULT_NAMESPACE selects a separate KV space', async () => {
    await withServer({ ...env, VAULT_NAMESPACE: 'team-a' }, async (s) => {
      okJson(await call(s, 'vault_write', { path: 'secret/ns-only', data: 'a=1' }));
    });
    await withServer(env, async (s) => {
      same(errText(await call(s, 'vault_read', { path: 'secret/ns-only' })), 'Error: No value found at secret/data/ns-only\n', 'text');
    });
  });

  await check('Vault sealed: tools still registered (status exit 2), calls give the 503 block', async () => {
    await vault.control('POST', 'seal');
    try {
      await withServer(env, async (s) => {
        same((await s.client.listTools()).tools.length, 6, 'tools');
        same(okJson(await call(s, 'vault_status')).sealed, true, 'sealed');
        const t = errText(await call(s, 'vault_read', { path: P }));
        expect(t.includes('Code: 503. Errors:\n\n* Vault is sealed\n'), t);
      });
    } finally {
      await vault.control('POST', 'unseal');
    }
  });

  await check('Vault down at start: no tools, tools/list fails with "Method not found"', async () => {
    const port = await closedPort();
    await withServer({ ...env, VAULT_ADDR: `http://127.0.0.1:${port}` }, async (s) => {
      expect(!s.client.getServerCapabilities()?.tools, 'no tools capability');
      let err;
      try {
        await s.client.listTools();
      } catch (e) {
        err = e;
      }
      expect(err instanceof McpError && err.code === ErrorCode.MethodNotFound && /Method not found/.test(err.message),
        `MethodNotFound expected, got ${err}`);
      expect(/Failed to connect vault/.test(s.stderr()), `stderr: ${s.stderr()}`);
    });
  });

  // ---- faults ----
  const fault = (names, extra = {}) => ({ ...env, MCP_DOUBLE_FAULT: names, ...extra });

  await check('unknown fault name: exits 2 naming it on stderr', async () => {
    const r = rawServer(fault('exit-at-start,no-such-fault'));
    same(await r.exited, 2, 'exit status');
    expect(/unknown fault "no-such-fault"/.test(r.stderr()), r.stderr());
  });

  await check('fault exit-at-start: exit 3 after a stderr line, nothing on stdout', async () => {
    const pidFile = path.join(TMP, 'exit.pid');
    const r = rawServer(fault('exit-at-start', { MCP_DOUBLE_PID_FILE: pidFile }));
    same(await r.exited, 3, 'exit status');
    expect(/exit-at-start/.test(r.stderr()), r.stderr());
    same(r.lines.length + r.stdoutRest().length, 0, 'stdout bytes');
    same(Number(fs.readFileSync(pidFile, 'utf8')), r.child.pid, 'pid file');
  });

  await check('MCP_DOUBLE_PID_FILE and MCP_DOUBLE_CALL_LOG: pid written, calls logged by name only, no process left', async () => {
    const pidFile = path.join(TMP, 'ok.pid');
    const callLog = path.join(TMP, 'calls.jsonl');
    let pid;
    await withServer({ ...env, MCP_DOUBLE_PID_FILE: pidFile, MCP_DOUBLE_CALL_LOG: callLog }, async (s) => {
      pid = Number(fs.readFileSync(pidFile, 'utf8'));
      same(pid, s.transport.pid, 'pid');
      await call(s, 'vault_write', { path: 'secret/log/x', data: [`swarm.key=${KEY}`] });
      await call(s, 'vault_read', { path: 'secret/log/x', field: 'swarm.key' });
    });
    const log = fs.readFileSync(callLog, 'utf8');
    same(log.trim().split('\n').map((l) => JSON.parse(l)),
      [{ tool: 'vault_write', arguments: ['path', 'data'] }, { tool: 'vault_read', arguments: ['path', 'field'] }], 'log');
    expect(!log.includes('a1b2c3d4') && !log.includes('secret/log'), 'no values in the call log');
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await sleep(20);
    expect(!alive(pid), 'server process gone after close');
  });

  await check('fault crash-on-call: initialize answered, first tools/call kills the process (exit 1), no answer', async () => {
    const r = rawServer(fault('crash-on-call'));
    await rawInit(r);
    r.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(await r.until(() => r.json().some((m) => m.id === 2)), 'tools/list answered');
    r.send(CALL(3, 'vault_status', {}));
    same(await r.exited, 1, 'exit status');
    expect(!r.json().some((m) => m.id === 3), 'no answer to the call');
  });

  await check('fault crash-on-write: reads answered, vault_write kills the process (exit 1)', async () => {
    const r = rawServer(fault('crash-on-write'));
    await rawInit(r);
    r.send(CALL(2, 'vault_status', {}));
    expect(await r.until(() => r.json().some((m) => m.id === 2)), 'status answered');
    r.send(CALL(3, 'vault_write', { path: 'secret/crash', data: 'a=1' }));
    same(await r.exited, 1, 'exit status');
    expect(!r.json().some((m) => m.id === 3), 'no answer to the write');
  });

  await check('fault garbage-stdout: a non-JSON line before every response; the SDK client still works', async () => {
    const r = rawServer(fault('garbage-stdout'));
    await rawInit(r);
    r.send(CALL(2, 'vault_status', {}));
    expect(await r.until(() => r.json().some((m) => m.id === 2)), 'answered');
    const idx = r.lines.map((l, i) => [l, i]).filter(([l]) => l.startsWith('{"result"') || l.includes('"jsonrpc"'));
    for (const [, i] of idx) expect(i > 0 && !r.lines[i - 1].startsWith('{"'), `line before response ${i} is garbage`);
    same(r.lines.length, 4, 'two responses, two garbage lines');
    await finish(r);
    await withServer(fault('garbage-stdout'), async (s) => { okJson(await call(s, 'vault_status')); });
  });

  await check('fault stderr-flood: >= 1 MiB on stderr at start and per call, answers still come', async () => {
    const r = rawServer(fault('stderr-flood'));
    await rawInit(r);
    expect(await r.until(() => r.stderr().length >= 2 * (1 << 20)), `stderr after start+initialize: ${r.stderr().length}`);
    const afterInit = r.stderr().length;
    r.send(CALL(2, 'vault_status', {}));
    expect(await r.until(() => r.json().some((m) => m.id === 2)), 'answered');
    expect(await r.until(() => r.stderr().length >= afterInit + (1 << 20)), `flood on the call: ${r.stderr().length}`);
    await finish(r);
  });

  await check('fault silent: nothing on stdout (initialize times out), exits when stdin closes', async () => {
    const r = rawServer(fault('silent'));
    r.send(INIT(1));
    expect(!(await r.until(() => r.lines.length > 0 || r.stdoutRest().length > 0, 700)), 'no stdout');
    same(await finish(r), 0, 'exit status');
  });

  await check('fault silent-on-call: initialize and tools/list answered, tools/call never (client times out)', async () => {
    await withServer(fault('silent-on-call'), async (s) => {
      same((await s.client.listTools()).tools.length, 6, 'tools');
      let err;
      try {
        await call(s, 'vault_status', {}, { timeout: 700 });
      } catch (e) {
        err = e;
      }
      expect(err instanceof McpError && err.code === ErrorCode.RequestTimeout, `timeout expected, got ${err}`);
    });
  });

  await check('fault out-of-order: stray id, log notification, server ping before each answer; pipelined answers reversed', async () => {
    const callLog = path.join(TMP, 'ooo.jsonl');
    const r = rawServer(fault('out-of-order', { MCP_DOUBLE_CALL_LOG: callLog }));
    await rawInit(r);
    const ping = r.json().find((m) => m.method === 'ping');
    expect(ping && typeof ping.id === 'string', 'ping request before the initialize answer');
    r.send({ jsonrpc: '2.0', id: ping.id, result: {} });
    const start = r.lines.length;
    r.child.stdin.write(JSON.stringify(CALL(10, 'vault_status', {})) + '\n' + JSON.stringify(CALL(11, 'vault_read', { path: 'secret/nope' })) + '\n');
    expect(await r.until(() => r.json().filter((m) => m.id === 10 || m.id === 11).length === 2), 'both answered');
    const after = r.lines.slice(start).map((l) => JSON.parse(l));
    same(after.filter((m) => m.id === 10 || m.id === 11).map((m) => m.id), [11, 10], 'answer order');
    const strays = after.filter((m) => 'result' in m && typeof m.id === 'number' && m.id > 1000);
    same(strays.length, 2, 'stray responses');
    same(after.filter((m) => m.method === 'notifications/message').length, 2, 'log notifications');
    same(after.filter((m) => m.method === 'ping').length, 2, 'pings');
    const first = after.findIndex((m) => m.id === 11);
    same(after.slice(first - 3, first).map((m) => m.method ?? 'stray'), ['stray', 'notifications/message', 'ping'], 'sequence');
    await finish(r);
    expect(fs.readFileSync(callLog, 'utf8').includes(`{"ping":"${ping.id}","answered":true}`), 'ping answer logged');
    await withServer(fault('out-of-order'), async (s) => { okJson(await call(s, 'vault_status')); });
  });

  await check('fault missing-tools: only vault_read and vault_status', async () => {
    await withServer(fault('missing-tools'), async (s) => {
      same((await s.client.listTools()).tools.map((t) => t.name).sort(), ['vault_read', 'vault_status'], 'tools');
    });
  });

  await check('fault drop-arguments: "Error: path parameter is required" for path tools, status works', async () => {
    await withServer(fault('drop-arguments'), async (s) => {
      same((await s.client.listTools()).tools.length, 6, 'tools');
      for (const [name, args] of [['vault_read', { path: P }], ['vault_write', { path: P, data: 'a=1' }], ['vault_metadata', { path: P }]]) {
        same(errText(await call(s, name, args)), 'Error: path parameter is required', name);
      }
      okJson(await call(s, 'vault_status'));
    });
  });

  await check('fault concurrent-writer: the returned version is current+2', async () => {
    await withServer(env, async (s) => { okJson(await call(s, 'vault_write', { path: 'secret/cw', data: 'a=1' })); });
    await withServer(fault('concurrent-writer'), async (s) => {
      same(okJson(await call(s, 'vault_write', { path: 'secret/cw', data: 'a=2' })).data.version, 3, 'version');
    });
  });

  await check('fault tamper-write: a read-back differs from what was written (fingerprint)', async () => {
    await withServer(fault('tamper-write'), async (s) => {
      okJson(await call(s, 'vault_write', { path: 'secret/tw', data: [`swarm.key=${KEY}`, 'fingerprint=fp-real'] }));
      const v = okJson(await call(s, 'vault_read', { path: 'secret/tw' }));
      same(v.data.data['swarm.key'], KEY, 'key untouched');
      expect(v.data.data.fingerprint !== 'fp-real', 'fingerprint altered');
    });
  });

  await check('fault bad-protocol-version: initialize answers 1999-01-01, the SDK client refuses it', async () => {
    const r = rawServer(fault('bad-protocol-version'));
    same((await rawInit(r)).result.protocolVersion, '1999-01-01', 'protocolVersion');
    await finish(r);
    let err;
    try {
      await (await connect(fault('bad-protocol-version'))).close();
    } catch (e) {
      err = e;
    }
    expect(/protocol version is not supported: 1999-01-01/.test(String(err)), `got ${err}`);
  });

  await check('fault no-tools-capability: initialize lacks capabilities.tools', async () => {
    await withServer(fault('no-tools-capability'), async (s) => {
      expect(s.client.getServerCapabilities() && !s.client.getServerCapabilities().tools, 'no tools capability');
    });
  });

  await vault.stop();
  console.log(`mcp: passed=${passed} failed=${failed}`);
  fs.rmSync(TMP, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.log(`FAIL setup: ${err?.stack ?? err}`);
  console.log(`mcp: passed=${passed} failed=${failed + 1}`);
  process.exit(1);
});
