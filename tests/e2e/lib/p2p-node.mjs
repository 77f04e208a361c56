// One real js-libp2p node (TCP + pnet + noise + yamux + identify + ping) on 127.0.0.1, port chosen
// by the kernel, controlled over stdin/stdout with one JSON object per line.
//
//   node --import ./polyfill.mjs lib/p2p-node.mjs [--key PATH] [--name NAME]
//
// --key PATH: the swarm.key file, handed whole to @libp2p/pnet's preSharedKey({ psk }) exactly as a
// Kubo node would read $IPFS_PATH/swarm.key; without it the node is public (no connection protector).
//
// Started: prints {"event":"ready","name","peerId","addr"} (addr includes /p2p/<peerId>), or
// {"event":"error","message"} and exits 1 when the key is refused at start-up.
// Requests (stdin) → replies (stdout), matched by id:
//   {"id":1,"op":"connect","addr":MA,"timeoutMs":2000}
//       closes any connection to that peer, opens a NEW one (force: true) and pings over it, so
//       every answer comes from a fresh pnet + noise handshake;
//       → {"id":1,"ok":true,"connected":true,"rttMs":N} or {"id":1,"ok":true,"connected":false,"reason":TEXT}
//       A dial that has not finished when timeoutMs runs out counts as refused (reason "timeout"):
//       a mismatched PSK garbles the noise handshake, which sometimes hangs instead of resetting.
//   {"id":2,"op":"connections"}  → {"id":2,"ok":true,"peers":[peerId...]} (peers with an open connection)
//   {"id":3,"op":"stop"}         → {"id":3,"ok":true}, then the process exits 0
// The node also exits when stdin closes (its parent is gone) or on SIGTERM/SIGINT.
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const { values: args } = parseArgs({
  options: { key: { type: 'string' }, name: { type: 'string', default: 'node' } }
})

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

let node
let exiting = false
async function shutdown (code) {
  if (exiting) return
  exiting = true
  // Stopping closes every connection; do not let a hung handshake keep the process alive.
  const hardStop = setTimeout(() => process.exit(code), 2000)
  hardStop.unref()
  try { await node?.stop() } catch {}
  process.exit(code)
}
process.on('SIGTERM', () => { shutdown(0) })
process.on('SIGINT', () => { shutdown(0) })

const config = {
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
}
try {
  if (args.key != null) {
    config.connectionProtector = preSharedKey({ psk: await readFile(args.key) })
  }
  node = await createLibp2p(config)
  await node.start()
} catch (err) {
  emit({ event: 'error', name: args.name, message: String(err?.message ?? err) })
  process.exit(1)
}

const addr = node.getMultiaddrs().find((ma) => ma.toString().startsWith('/ip4/127.0.0.1/tcp/'))
emit({ event: 'ready', name: args.name, peerId: node.peerId.toString(), addr: addr.toString() })

async function connect ({ addr: target, timeoutMs }) {
  const signal = AbortSignal.timeout(timeoutMs ?? 2000)
  try {
    const ma = multiaddr(target)
    await node.hangUp(ma, { signal })
    const conn = await node.dial(ma, { signal, force: true })
    const rttMs = await node.services.ping.ping(ma, { signal })
    return { connected: conn.status === 'open', rttMs }
  } catch (err) {
    const reason = signal.aborted ? 'timeout' : `${err?.name ?? 'Error'}: ${err?.message ?? err}`
    return { connected: false, reason }
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  let req
  try { req = JSON.parse(line) } catch { return }
  try {
    switch (req.op) {
      case 'connect':
        emit({ id: req.id, ok: true, ...(await connect(req)) })
        break
      case 'connections':
        emit({
          id: req.id,
          ok: true,
          peers: [...new Set(node.getConnections().filter((c) => c.status === 'open').map((c) => c.remotePeer.toString()))]
        })
        break
      case 'stop':
        emit({ id: req.id, ok: true })
        await shutdown(0)
        break
      default:
        emit({ id: req.id, ok: false, error: `unknown op ${req.op}` })
    }
  } catch (err) {
    emit({ id: req.id, ok: false, error: String(err?.message ?? err) })
  }
})
lines.on('close', () => { shutdown(0) })
