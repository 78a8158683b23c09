// core/qr.js: what it draws must scan back to the payload, checked with an independent decoder
// (jsQR), both from the module matrix and from the SVG the result page shows.
const test = require('node:test')
const assert = require('node:assert/strict')
const qr = require('../core/qr')
const { decodeModules, fromDataUri } = require('./qr-decode')

// The shape of a booking's payload: YY1.<no>.<hall>.<yyyymmdd>.<period>.<Ed25519 signature, base64url>.
const SIGNATURE = 'q3Jd0-x_8PZk1Vn2cH7mYt4RwLs9aEuBgOiKj6NfXbD5CyMzWl0hTe3oUvA1pSrQ2xGdI7kLnFb8Jw4Ye9ZmHg'
const PAYLOADS = [
  'A',
  'YY1',
  `YY1.0AB3CDEFGH7K.bj-dongcheng.20260714.am-1.${SIGNATURE}`,
  `YY1.0AB3CDEFGH7K.sh-minhang.20260715.mp-123456-journey.${SIGNATURE}`,
  'x'.repeat(600),
]

for (const payload of PAYLOADS) {
  test(`a ${payload.length}-character payload scans back`, () => {
    const code = qr.encode(payload)
    assert.equal(code.size, code.version * 4 + 17)
    assert.equal(decodeModules(code.modules), payload)
    const { svg, modules } = fromDataUri(qr.toDataUri(code))
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 (\d+) \1"/)
    assert.deepEqual(modules, code.modules, 'the SVG draws exactly the matrix')
  })
}

test('the smallest version that holds the payload is used', () => {
  assert.equal(qr.encode('A').version, 1)
  assert.equal(qr.encode(PAYLOADS[2]).version, 8) // 130 bytes: more than the 122 version 7 holds at level M
})

test('a payload too long for any version is refused', () => {
  assert.throws(() => qr.encode('x'.repeat(3000)), /too long/)
})
