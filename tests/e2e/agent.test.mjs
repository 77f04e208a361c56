// `keyd agent` with real js-libp2p nodes: the file the agent writes is a key a node joins the
// private swarm with.
//   1. `keyd agent --once` (the init container) writes the key file; a node using it and a node
//      whose key came from `keyd fetch` connect and ping, in both directions;
//   2. a node whose agent-written key belongs to another swarm is refused, in both directions;
//   3. the sidecar: `keyd agent --on-change exit` keeps the file current; after `keyd rotate` it
//      rewrites the file and exits with status 3; the node restarted on that file rejoins the
//      node given the new version by `keyd fetch`, and the node left on the old key is cut off.
// Every node listens on 127.0.0.1 with a kernel-chosen port; every process is killed on exit.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'

import { assertConnects, assertRefused, fingerprintOf, keydOk, keydPath, startNode, stopAll, tempDir, who } from './lib/harness.mjs'

const running = []
after(() => stopAll(running))

async function node (name, keyFile) {
  const n = await startNode(name, keyFile, `fp ${fingerprintOf(keyFile)}`)
  running.push(n)
  return n
}

/** A file-store config with two swarms, "overlay" and "other", no targets. */
function twoSwarmConfig (dir) {
  const path = join(dir, 'keyd.yaml')
  writeFileSync(path, [
    'store:',
    '  backend: file',
    '  file:',
    `    dir: ${JSON.stringify(join(dir, 'store'))}`,
    'audit:',
    `  file: ${JSON.stringify(join(dir, 'audit.jsonl'))}`,
    'swarms:',
    '  - name: overlay',
    '  - name: other'
  ].join('\n') + '\n')
  return path
}

function agentOnce (config, swarm, sink) {
  const r = keydOk(['agent', '--once', '--config', config, '--swarm', swarm, '--sink', sink])
  assert.match(r.stdout, /: created\n$/, r.stdout)
  assert.equal(statSync(sink).mode & 0o777, 0o600, `${sink} must be 0600`)
  return r
}

test(`keyd agent with real libp2p nodes (keyd: ${keydPath()})`, async (t) => {
  const dir = tempDir('agent')
  const config = twoSwarmConfig(dir)
  const v1 = JSON.parse(keydOk(['rotate', '--config', config, '--swarm', 'overlay', '--output', 'json']).stdout)
  const otherSwarm = JSON.parse(keydOk(['rotate', '--config', config, '--swarm', 'other', '--output', 'json']).stdout)
  assert.notEqual(v1.fingerprint, otherSwarm.fingerprint)

  // 1. the init container's file joins the swarm of a node holding the fetched key
  const fetchedKey = join(dir, 'fetched', 'swarm.key')
  keydOk(['fetch', '--config', config, '--swarm', 'overlay', '--out', fetchedKey])
  const agentKey = join(dir, 'agent', 'ipfs', 'swarm.key')
  agentOnce(config, 'overlay', agentKey)
  assert.ok(readFileSync(agentKey).equals(readFileSync(fetchedKey)), 'agent and fetch write the same bytes')
  assert.equal(fingerprintOf(agentKey), v1.fingerprint)
  const fetched = await node('fetched', fetchedKey)
  const agented = await node('agent', agentKey)
  await t.test(`1. ${who(agented)} ↔ ${who(fetched)}: connected + ping`, async () => {
    await assertConnects(agented, fetched)
    await assertConnects(fetched, agented)
  })

  // 2. an agent-written key of another swarm is shut out
  const strayKey = join(dir, 'stray', 'swarm.key')
  agentOnce(config, 'other', strayKey)
  assert.equal(fingerprintOf(strayKey), otherSwarm.fingerprint)
  const stray = await node('stray', strayKey)
  await t.test(`2. ${who(stray)} ↔ ${who(fetched)}: refused both ways`, async () => {
    await assertRefused(stray, fetched)
    await assertRefused(fetched, stray)
  })

  // 3. the sidecar: rotation → file rewritten → agent exits 3 → node restarted on the new key
  const sidecar = spawn(keydPath(), ['agent', '--config', config, '--swarm', 'overlay', '--sink', agentKey,
    '--interval', '100ms', '--on-change', 'exit'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let sidecarErr = ''
  sidecar.stderr.on('data', (d) => { sidecarErr += d })
  const exited = new Promise((resolve) => sidecar.once('exit', (code, signal) => resolve({ code, signal })))
  // wait until it has polled (its start line), then rotate
  for (let i = 0; i < 200 && !sidecarErr.includes('keeping'); i++) await new Promise((r) => setTimeout(r, 10))
  assert.match(sidecarErr, /keeping file .*swarm\.key/, sidecarErr)
  const v2 = JSON.parse(keydOk(['rotate', '--config', config, '--swarm', 'overlay', '--output', 'json']).stdout)
  const timer = setTimeout(() => sidecar.kill('SIGKILL'), 10000)
  const { code } = await exited
  clearTimeout(timer)
  await t.test('3. the sidecar rewrote the file and exited with status 3', () => {
    assert.equal(code, 3, sidecarErr)
    assert.equal(fingerprintOf(agentKey), v2.fingerprint)
    assert.doesNotMatch(sidecarErr, new RegExp(readFileSync(agentKey, 'utf8').split('\n')[2]), 'the key is never logged')
  })
  const fetchedV2Key = join(dir, 'fetched-v2', 'swarm.key')
  mkdirSync(join(dir, 'fetched-v2'), { recursive: true })
  keydOk(['fetch', '--config', config, '--swarm', 'overlay', '--out', fetchedV2Key])
  await stopAll([agented])
  const restarted = await node('agent-restarted', agentKey)
  const fetchedV2 = await node('fetched-v2', fetchedV2Key)
  await t.test(`3. ${who(restarted)} ↔ ${who(fetchedV2)}: connected + ping`, async () => {
    await assertConnects(restarted, fetchedV2)
    await assertConnects(fetchedV2, restarted)
  })
  await t.test(`3. ${who(fetched)} left on v1 is refused by ${who(restarted)}`, async () => {
    await assertRefused(fetched, restarted)
    await assertRefused(restarted, fetched)
  })
  await stopAll([fetched, stray, restarted, fetchedV2])
})
