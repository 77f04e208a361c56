// Node 20 lacks Promise.withResolvers (ES2024), which js-libp2p 3.x calls. Loaded with
// `node --import ./polyfill.mjs` before any libp2p module; a no-op on Node 22+.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
}
