// Issue 6: real js-libp2p nodes prove that keyd's swarm keys make a private network.
//   1. nodes holding a key from `keyd generate`, and from `keyd fetch` (embedded file store), connect and ping;
//   2. a node with a different keyd key, or with no key, is refused in either direction;
//   3. rotation: three nodes on v1; `keyd rotate` writes v2 to one file target per node; restarted nodes
//      reconnect; the node left on v1 is cut off; a node given v1 again by `keyd fetch --version 1`
//      rejoins only the old-key node;
//   4. keyd's Kubo-compatible fingerprint of every key is printed beside the results (and checked
//      against an independent implementation of Kubo's fingerprint).
// Every node listens on 127.0.0.1 with a kernel-chosen port; every process is killed on exit.
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'

import {
  assertConnects, assertRefused, fingerprintOf, keyBytesOfCanonicalFile, keydOk, keydPath, kuboFingerprint,
  startNode, stopAll, tempDir, who, writeConfig
} from './lib/harness.mjs'

const running = []
after(() => stopAll(running))

async function node (name, keyFile, fp) {
  const n = await startNode(name, keyFile, keyFile == null ? 'no key' : `fp ${fp}`)
  running.push(n)
  return n
}

/** Every key used, by fingerprint, for scenario 4's table. */
const keys = new Map()
function remember (where, file) {
  const fp = fingerprintOf(file)
  // the bytes now: a target file is rewritten by later rotations
  const entry = keys.get(fp) ?? { fp, where: [], bytes: keyBytesOfCanonicalFile(file) }
  entry.where.push(where)
  keys.set(fp, entry)
  return fp
}

async function connects (t, from, to) {
  await t.test(`${who(from)} dials ${who(to)}: connected + ping`, async (st) => {
    const r = await assertConnects(from, to)
    st.diagnostic(`ping ${r.rttMs} ms`)
  })
}
async function refused (t, from, to) {
  await t.test(`${who(from)} dials ${who(to)}: refused`, async (st) => {
    const r = await assertRefused(from, to)
    st.diagnostic(`refused: ${r.reason}`)
  })
}

/** The peers a node has open connections to, once the set stops changing (close events race). */
async function settledPeers (n, { expectAbsent = [], tries = 25, everyMs = 200 } = {}) {
  let peers = await n.connectedPeers()
  for (let i = 0; i < tries && expectAbsent.some((p) => peers.includes(p)); i++) {
    await new Promise((r) => setTimeout(r, everyMs))
    peers = await n.connectedPeers()
  }
  return peers
}

test(`keyd binary: ${keydPath()}`, () => {
  const v = keydOk(['version'])
  assert.match(v.stdout, /\d+\.\d+/)
})

test('1. keys from keyd generate and keyd fetch form a private swarm', async (t) => {
  const dir = tempDir('s1')

  // (a) one `keyd generate`, the file copied to two nodes
  const gen = join(dir, 'generated.key')
  keydOk(['generate', '--out', gen])
  for (const n of ['g1', 'g2']) { mkdirSync(join(dir, n)); copyFileSync(gen, join(dir, n, 'swarm.key')) }
  const fpGen = remember('1: keyd generate', gen)
  const g1 = await node('g1', join(dir, 'g1', 'swarm.key'), fpGen)
  const g2 = await node('g2', join(dir, 'g2', 'swarm.key'), fpGen)
  await connects(t, g2, g1)
  await connects(t, g1, g2)

  // (b) `keyd rotate` into the embedded (file) store, then two separate `keyd fetch`es, one per node
  const config = writeConfig(dir)
  const rotated = JSON.parse(keydOk(['rotate', '--config', config, '--output', 'json']).stdout)
  assert.equal(rotated.version, 1)
  const f1Key = join(dir, 'f1', 'swarm.key')
  const f2Key = join(dir, 'f2', 'swarm.key')
  keydOk(['fetch', '--config', config, '--out', f1Key])
  keydOk(['fetch', '--config', config, '--out', f2Key])
  const fpFetch = remember('1: keyd rotate + keyd fetch (file store, v1)', f1Key)
  assert.equal(fingerprintOf(f2Key), fpFetch)
  assert.equal(fpFetch, rotated.fingerprint, 'the fetched key is the version rotate stored')
  assert.notEqual(fpFetch, fpGen)
  const f1 = await node('f1', f1Key, fpFetch)
  const f2 = await node('f2', f2Key, fpFetch)
  await connects(t, f2, f1)
  await connects(t, f1, f2)

  await stopAll([g1, g2, f1, f2])
})

test('2. a different keyd key, or no key, is refused in either direction', async (t) => {
  const dir = tempDir('s2')
  const k1 = join(dir, 'k1.key')
  const k2 = join(dir, 'k2.key')
  keydOk(['generate', '--out', k1])
  keydOk(['generate', '--out', k2])
  const fp1 = remember('2: swarm key', k1)
  const fp2 = remember('2: a different keyd key', k2)
  assert.notEqual(fp1, fp2)
  for (const n of ['a1', 'a2']) { mkdirSync(join(dir, n)); copyFileSync(k1, join(dir, n, 'swarm.key')) }

  const a1 = await node('a1', join(dir, 'a1', 'swarm.key'), fp1)
  const a2 = await node('a2', join(dir, 'a2', 'swarm.key'), fp1)
  const other = await node('other', k2, fp2)
  const open = await node('nokey', null)

  await connects(t, a2, a1) // control: the same setup does connect with the right key
  await refused(t, other, a1)
  await refused(t, a1, other)
  await refused(t, open, a1)
  await refused(t, a1, open)
  await connects(t, a1, a2) // the refusals left the members able to connect

  await stopAll([a1, a2, other, open])
})

test('3. rotation moves restarted nodes to the new key and cuts off the node left behind', async (t) => {
  const dir = tempDir('s3')
  const files = ['n1', 'n2', 'n3'].map((n) => join(dir, n, 'swarm.key'))
  const config = writeConfig(dir, files)

  // v1 delivered to the three file targets; three nodes on it, connected to each other
  const r1 = JSON.parse(keydOk(['rotate', '--config', config, '--output', 'json']).stdout)
  assert.equal(r1.version, 1)
  assert.deepEqual(r1.targets.map((x) => x.outcome), ['changed', 'changed', 'changed'])
  const fpV1 = r1.fingerprint
  for (const f of files) assert.equal(fingerprintOf(f), fpV1)
  remember('3: version 1 (keyd rotate)', files[0])
  const v1Bytes = readFileSync(files[0])

  let n1 = await node('n1', files[0], fpV1)
  let n2 = await node('n2', files[1], fpV1)
  const n3 = await node('n3', files[2], fpV1)
  await connects(t, n2, n1)
  await connects(t, n3, n1)
  await connects(t, n3, n2)
  await t.test('v1: each node holds connections to the other two', async () => {
    const ids = [n1, n2, n3].map((n) => n.peerId)
    for (const n of [n1, n2, n3]) {
      const peers = await n.connectedPeers()
      assert.deepEqual(ids.filter((id) => id !== n.peerId).filter((id) => !peers.includes(id)), [], `${n.name} misses a peer`)
    }
  })

  // v2: keyd rotate rewrites every target file; n3's process keeps running on v1 (no hot reload)
  const r2 = JSON.parse(keydOk(['rotate', '--config', config, '--output', 'json']).stdout)
  assert.equal(r2.version, 2)
  assert.deepEqual(r2.targets.map((x) => x.outcome), ['changed', 'changed', 'changed'])
  const fpV2 = r2.fingerprint
  assert.notEqual(fpV2, fpV1)
  for (const f of files) assert.equal(fingerprintOf(f), fpV2)
  remember('3: version 2 (keyd rotate)', files[0])

  const oldIds = [n1.peerId, n2.peerId]
  await stopAll([n1, n2])
  n1 = await node('n1', files[0], fpV2)
  n2 = await node('n2', files[1], fpV2)
  await connects(t, n2, n1)
  await connects(t, n1, n2)

  await t.test(`n3 [fp ${fpV1}] left on v1 lost its connections to the restarted nodes`, async () => {
    const peers = await settledPeers(n3, { expectAbsent: oldIds })
    assert.deepEqual(peers, [], `n3 still connected to ${peers}`)
  })
  await refused(t, n3, n1)
  await refused(t, n1, n3)
  await refused(t, n3, n2)
  await refused(t, n2, n3)

  // n2 is given v1 again by keyd fetch --version 1 (replacing the v2 file) and restarted
  keydOk(['fetch', '--config', config, '--version', '1', '--out', files[1]])
  assert.ok(readFileSync(files[1]).equals(v1Bytes), 'fetch --version 1 writes the v1 file byte for byte')
  assert.equal(fingerprintOf(files[1]), fpV1)
  await stopAll([n2])
  n2 = await node('n2', files[1], fpV1)
  await connects(t, n2, n3)
  await connects(t, n3, n2)
  await refused(t, n2, n1)
  await refused(t, n1, n2)

  await stopAll([n1, n2, n3])
})

test('4. keyd\'s fingerprint of every key (Kubo\'s "Swarm key fingerprint")', async (t) => {
  await t.test('independent Kubo fingerprint matches the reference vectors', () => {
    assert.equal(kuboFingerprint(Buffer.alloc(32)), '708a75afd05affb08736cbf17c73773e')
    assert.equal(kuboFingerprint(Buffer.from([...Array(32).keys()])), '41dfbf48d882a8ee665983adfa7a48f7')
  })
  assert.ok(keys.size >= 6, `expected the keys of scenarios 1-3, saw ${keys.size}`)
  for (const { fp, where, bytes } of keys.values()) {
    await t.test(`fingerprint ${fp}  ${where.join('; ')}`, () => {
      assert.equal(kuboFingerprint(bytes), fp, 'keyd and Kubo\'s algorithm agree')
    })
  }
})
