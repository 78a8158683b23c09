// Reads a QR code back with jsQR, an independent decoder: from a module matrix, or from the SVG
// data URI that core/qr.js makes for <image src>.
const jsQR = require('jsqr')

/** RGBA pixels of a matrix (modules[y][x] true = dark), `scale` px per module, 4-module margin. */
function raster(modules, scale = 4) {
  const size = modules.length
  const n = (size + 8) * scale
  const px = new Uint8ClampedArray(n * n * 4).fill(255)
  modules.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = (((y + 4) * scale + dy) * n + (x + 4) * scale + dx) * 4
          px[o] = px[o + 1] = px[o + 2] = 0
        }
      }
    }),
  )
  return { px, n }
}

/** The payload, or null when nothing scans. */
function decodeModules(modules) {
  const { px, n } = raster(modules)
  const found = jsQR(px, n, n)
  return found ? found.data : null
}

/** The SVG text and the matrix its path draws (runs `M{x} {y}h{len}v1h-{len}z` inside a 4-module margin). */
function fromDataUri(uri) {
  const svg = Buffer.from(uri.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString('ascii')
  const span = Number((/viewBox="0 0 (\d+) \d+"/.exec(svg) || [])[1])
  const size = span - 8
  const modules = Array.from({ length: size }, () => new Array(size).fill(false))
  for (const [, x, y, len] of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(len); i++) modules[Number(y) - 4][Number(x) - 4 + i] = true
  }
  return { svg, modules }
}

const decodeDataUri = (uri) => decodeModules(fromDataUri(uri).modules)

module.exports = { decodeModules, fromDataUri, decodeDataUri }
