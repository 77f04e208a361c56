// Shared by the e2e tests: runs the keyd binary named by $KEYD, starts js-libp2p nodes
// (lib/p2p-node.mjs) as child processes and guarantees that every one of them is killed when the
// test process ends, whether the tests passed, failed or the process was interrupted.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const e2eDir = resolve(here, '..')
const nodeScript = join(here, 'p2p-node.mjs')
const polyfill = join(e2eDir, 'polyfill.mjs')

/** A dial that has not completed after this long counts as refused (the issue asks for ~2 s). */
export const REFUSE_TIMEOUT_MS = 2000
/** Dials that must succeed get longer: a slow machine must not turn a success into a refusal. */
export const CONNECT_TIMEOUT_MS = 10000

export function keydPath () {
  const k = process.env.KEYD
  if (!k) throw new Error('set KEYD to the keyd binary (e.g. KEYD=build/dev/bin/keyd)')
  return isAbsolute(k) ? k : resolve(process.cwd(), k)
}

// ---------------------------------------------------------------------------------------------
// Children: every process started here is tracked and killed on exit, even on failure.
const children = new Set()
function killAll (signal = 'SIGKILL') {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill(signal) } catch {}
    }
  }
}
process.on('exit', () => killAll('SIGKILL'))
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll('SIGKILL')
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig])
  })
}

const tempDirs = []
export function tempDir (label) {
  const base = process.env.KEYD_E2E_TMP || tmpdir()
  const dir = mkdtempSync(join(base, `keyd-e2e-${label}-`))
  tempDirs.push(dir)
  return dir
}
process.on('exit', () => {
  for (const d of tempDirs) {
    try { rmSync(d, { recursive: true, force: true }) } catch {}
  }
})

// ---------------------------------------------------------------------------------------------
// keyd
export function keyd (args, { cwd, input } = {}) {
  const r = spawnSync(keydPath(), args, {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 30000,
    killSignal: 'SIGKILL',
    env: { ...process.env, KEYD_LOG_LEVEL: 'warn' }
  })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs keyd and insists on exit status 0. */
export function keydOk (args, opts) {
  const r = keyd(args, opts)
  assert.equal(r.status, 0, `keyd ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}

/** `keyd inspect PATH --output json` → {valid, encoding, fingerprint, warnings, error} plus status. */
export function inspect (path) {
  const r = keyd(['inspect', path, '--output', 'json'])
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {
    throw new Error(`keyd inspect ${path}: not JSON (exit ${r.status}): ${r.stdout} ${r.stderr}`)
  }
  return { ...json, status: r.status }
}

/** keyd's fingerprint of a key file, insisting that keyd finds the file valid. */
export function fingerprintOf (path) {
  const r = inspect(path)
  assert.equal(r.valid, true, `keyd inspect ${path}: ${r.error}`)
  assert.equal(r.status, 0)
  assert.match(r.fingerprint, /^[0-9a-f]{32}$/)
  return r.fingerprint
}

/** A file-store keyd config in dir, one swarm "e2e" with a file target per entry of targetPaths. */
export function writeConfig (dir, targetPaths = []) {
  const lines = [
    'store:',
    '  backend: file',
    '  file:',
    `    dir: ${JSON.stringify(join(dir, 'store'))}`,
    'audit:',
    `  file: ${JSON.stringify(join(dir, 'audit.jsonl'))}`,
    'swarms:',
    '  - name: e2e',
    '    path: e2e/swarm-key'
  ]
  if (targetPaths.length) {
    lines.push('    targets:')
    for (const p of targetPaths) lines.push('      - type: file', `        path: ${JSON.stringify(p)}`)
  }
  const path = join(dir, 'keyd.yaml')
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

// ---------------------------------------------------------------------------------------------
// Kubo's fingerprint, computed independently of keyd: 16 bytes of SHAKE-128 over
// Salsa20(key = PSK, nonce = "finprint") applied to 64 zero bytes (Kubo core/node/libp2p/pnet.go).
function salsa20Block (key, nonce8, counter = 0n) {
  const u32 = (b, o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)
  const c = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] // "expand 32-byte k"
  const s = new Uint32Array(16)
  s[0] = c[0]; s[5] = c[1]; s[10] = c[2]; s[15] = c[3]
  for (let i = 0; i < 4; i++) { s[1 + i] = u32(key, 4 * i); s[11 + i] = u32(key, 16 + 4 * i) }
  s[6] = u32(nonce8, 0); s[7] = u32(nonce8, 4)
  s[8] = Number(counter & 0xffffffffn); s[9] = Number(counter >> 32n)
  const x = Uint32Array.from(s)
  const rotl = (v, n) => (v << n) | (v >>> (32 - n))
  const qr = (a, b, cc, d) => {
    x[b] ^= rotl((x[a] + x[d]) | 0, 7)
    x[cc] ^= rotl((x[b] + x[a]) | 0, 9)
    x[d] ^= rotl((x[cc] + x[b]) | 0, 13)
    x[a] ^= rotl((x[d] + x[cc]) | 0, 18)
  }
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(5, 9, 13, 1); qr(10, 14, 2, 6); qr(15, 3, 7, 11)
    qr(0, 1, 2, 3); qr(5, 6, 7, 4); qr(10, 11, 8, 9); qr(15, 12, 13, 14)
  }
  const out = Buffer.alloc(64)
  for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i] + s[i]) >>> 0, 4 * i)
  return out
}

/** Kubo's "Swarm key fingerprint" of 32 raw key bytes, as 32 lowercase hex digits. */
export function kuboFingerprint (keyBytes) {
  assert.equal(keyBytes.length, 32)
  const stream = salsa20Block(keyBytes, Buffer.from('finprint', 'ascii')) // XOR with zeros = keystream
  return createHash('shake128', { outputLength: 16 }).update(stream).digest('hex')
}

/** The 32 key bytes of a canonical base16 swarm.key file (as keyd writes it). */
export function keyBytesOfCanonicalFile (path) {
  const lines = readFileSync(path, 'utf8').split('\n')
  assert.equal(lines[0], '/key/swarm/psk/1.0.0/')
  assert.equal(lines[1], '/base16/')
  assert.match(lines[2], /^[0-9a-f]{64}$/)
  return Buffer.from(lines[2], 'hex')
}

// ---------------------------------------------------------------------------------------------
// libp2p nodes
export class P2PNode {
  constructor (child, ready, label) {
    this.child = child
    this.name = ready.name
    this.peerId = ready.peerId
    this.addr = ready.addr
    this.label = label
    this.nextId = 1
    this.pending = new Map()
  }

  get alive () { return this.child.exitCode === null && this.child.signalCode === null }

  request (op, fields = {}, timeoutMs = 30000) {
    if (!this.alive) return Promise.reject(new Error(`node ${this.name} is not running`))
    const id = this.nextId++
    const { promise, resolve: res, reject } = Promise.withResolvers()
    const timer = setTimeout(() => {
      this.pending.delete(id)
      reject(new Error(`node ${this.name}: no answer to ${op} within ${timeoutMs} ms`))
    }, timeoutMs)
    this.pending.set(id, (msg) => { clearTimeout(timer); res(msg) })
    this.child.stdin.write(JSON.stringify({ id, op, ...fields }) + '\n')
    return promise
  }

  /** Fresh connection + ping to other. → {connected, rttMs?, reason?} */
  async connect (other, timeoutMs) {
    assert.ok(other.alive, `node ${other.name} must be running before ${this.name} dials it`)
    const reply = await this.request('connect', { addr: other.addr, timeoutMs }, timeoutMs + 10000)
    assert.equal(reply.ok, true, reply.error)
    return reply
  }

  async connectedPeers () {
    const reply = await this.request('connections')
    assert.equal(reply.ok, true, reply.error)
    return reply.peers
  }

  async stop () {
    if (!this.alive) return
    const exited = new Promise((r) => this.child.once('exit', r))
    try { await this.request('stop', {}, 5000) } catch {}
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * Starts a node holding keyFile (or no key when keyFile is null). label is printed with results
 * (e.g. the key's fingerprint). Resolves once the node listens on 127.0.0.1.
 */
export function startNode (name, keyFile, label = keyFile == null ? 'no key' : '') {
  const args = ['--import', polyfill, nodeScript, '--name', name]
  if (keyFile != null) args.push('--key', keyFile)
  const child = spawn(process.execPath, args, { cwd: e2eDir, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let stderr = ''
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000) })
  const { promise, resolve: res, reject } = Promise.withResolvers()
  let node = null
  const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`node ${name} did not start within 20 s: ${stderr}`)) }, 20000)
  child.once('exit', (code, sig) => {
    clearTimeout(timer)
    if (node == null) reject(new Error(`node ${name} exited (${code ?? sig}) before it was ready: ${stderr}`))
    else for (const [, cb] of node.pending) cb({ ok: false, error: `node ${name} exited (${code ?? sig})` })
  })
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg
    try { msg = JSON.parse(line) } catch { return }
    if (msg.event === 'ready') {
      clearTimeout(timer)
      node = new P2PNode(child, msg, label)
      res(node)
    } else if (msg.event === 'error') {
      clearTimeout(timer)
      reject(new Error(`node ${name} refused to start: ${msg.message}`))
    } else if (node != null && msg.id != null) {
      const cb = node.pending.get(msg.id)
      node.pending.delete(msg.id)
      cb?.(msg)
    }
  })
  return promise
}

export async function stopAll (nodes) {
  await Promise.all(nodes.filter(Boolean).map((n) => n.stop()))
}

/** Where the node's key and its result are shown together: "n1 [fp 1234…]". */
export const who = (n) => `${n.name} [${n.label}]`

export async function assertConnects (from, to) {
  const r = await from.connect(to, CONNECT_TIMEOUT_MS)
  assert.equal(r.connected, true, `${who(from)} → ${who(to)} should connect and ping, got: ${r.reason}`)
  assert.ok(Number.isFinite(r.rttMs) && r.rttMs >= 0, `ping RTT ${r.rttMs}`)
  return r
}

export async function assertRefused (from, to) {
  const r = await from.connect(to, REFUSE_TIMEOUT_MS)
  assert.equal(r.connected, false, `${who(from)} → ${who(to)} must be refused, but it connected (ping ${r.rttMs} ms)`)
  // A refusal only counts if the listener was up: a dead or non-listening peer proves nothing.
  assert.doesNotMatch(r.reason, /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/, `${who(to)} was not listening: ${r.reason}`)
  assert.ok(to.alive, `${who(to)} exited during the dial`)
  return r
}
