// A QR code encoder small enough to ship in the mini-program (ISO/IEC 18004: byte mode, error
// correction level M, versions 1–40, the mask with the lowest penalty), and an SVG data URI of
// it for <image src>. The booking's `qr_payload` is what the hall scans at check-in.

// Per version (index 0 unused), level M: error correction codewords per block, and blocks.
const ECC_PER_BLOCK = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
const BLOCKS = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49]
const LEVEL_M_BITS = 0

function rawModuleCount(ver) {
  let n = (16 * ver + 128) * ver + 64
  if (ver >= 2) {
    const align = Math.floor(ver / 7) + 2
    n -= (25 * align - 10) * align - 55
    if (ver >= 7) n -= 36
  }
  return n
}

const dataCodewordCount = (ver) => Math.floor(rawModuleCount(ver) / 8) - ECC_PER_BLOCK[ver] * BLOCKS[ver]

// Reed–Solomon over GF(2^8) with the polynomial 0x11D.
function gfMul(x, y) {
  let z = 0
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d)
    z ^= ((y >>> i) & 1) * x
  }
  return z
}

function rsDivisor(degree) {
  const result = new Array(degree).fill(0)
  result[degree - 1] = 1
  let root = 1
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = gfMul(result[j], root)
      if (j + 1 < degree) result[j] ^= result[j + 1]
    }
    root = gfMul(root, 0x02)
  }
  return result
}

function rsRemainder(data, divisor) {
  const result = divisor.map(() => 0)
  for (const b of data) {
    const factor = b ^ result.shift()
    result.push(0)
    divisor.forEach((coef, i) => {
      result[i] ^= gfMul(coef, factor)
    })
  }
  return result
}

function alignmentPositions(ver) {
  if (ver === 1) return []
  const count = Math.floor(ver / 7) + 2
  const step = Math.floor((ver * 8 + count * 3 + 5) / (count * 4 - 4)) * 2
  const result = [6]
  for (let pos = ver * 4 + 10; result.length < count; pos -= step) result.splice(1, 0, pos)
  return result
}

function utf8Bytes(text) {
  const bytes = []
  const encoded = unescape(encodeURIComponent(text))
  for (let i = 0; i < encoded.length; i++) bytes.push(encoded.charCodeAt(i))
  return bytes
}

/** The data codewords of `bytes` in byte mode, for the smallest version that holds them. */
function dataCodewords(bytes) {
  for (let ver = 1; ver <= 40; ver++) {
    const capacity = dataCodewordCount(ver) * 8
    const countBits = ver <= 9 ? 8 : 16
    if (4 + countBits + bytes.length * 8 > capacity) continue
    const bits = []
    const put = (value, len) => {
      for (let i = len - 1; i >= 0; i--) bits.push((value >>> i) & 1)
    }
    put(0b0100, 4)
    put(bytes.length, countBits)
    bytes.forEach((b) => put(b, 8))
    put(0, Math.min(4, capacity - bits.length))
    put(0, (8 - (bits.length % 8)) % 8)
    for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8)
    const words = []
    for (let i = 0; i < bits.length; i += 8) words.push(parseInt(bits.slice(i, i + 8).join(''), 2))
    return { ver, words }
  }
  throw new Error('QR payload too long')
}

/** Splits into blocks, adds each block's error correction, and interleaves. */
function withErrorCorrection(ver, data) {
  const numBlocks = BLOCKS[ver]
  const eccLen = ECC_PER_BLOCK[ver]
  const raw = Math.floor(rawModuleCount(ver) / 8)
  const numShort = numBlocks - (raw % numBlocks)
  const shortLen = Math.floor(raw / numBlocks)
  const divisor = rsDivisor(eccLen)
  const blocks = []
  for (let i = 0, k = 0; i < numBlocks; i++) {
    const dat = data.slice(k, k + shortLen - eccLen + (i < numShort ? 0 : 1))
    k += dat.length
    const ecc = rsRemainder(dat, divisor)
    if (i < numShort) dat.push(0)
    blocks.push(dat.concat(ecc))
  }
  const result = []
  for (let i = 0; i < blocks[0].length; i++) {
    blocks.forEach((block, j) => {
      if (i !== shortLen - eccLen || j >= numShort) result.push(block[i])
    })
  }
  return result
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
]

function build(ver, codewords, mask) {
  const size = ver * 4 + 17
  const modules = Array.from({ length: size }, () => new Array(size).fill(false))
  const fixed = Array.from({ length: size }, () => new Array(size).fill(false))
  const set = (x, y, dark) => {
    modules[y][x] = dark
    fixed[y][x] = true
  }
  const bit = (v, i) => ((v >>> i) & 1) === 1

  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0)
    set(i, 6, i % 2 === 0)
  }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx
        const y = cy + dy
        const dist = Math.max(Math.abs(dx), Math.abs(dy))
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, dist !== 2 && dist !== 4)
      }
    }
  }
  const align = alignmentPositions(ver)
  align.forEach((ax, i) => {
    align.forEach((ay, j) => {
      const last = align.length - 1
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1)
      }
    })
  })

  // Format information (level and mask), BCH-protected, in its two copies.
  const fmt = (LEVEL_M_BITS << 3) | mask
  let rem = fmt
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537)
  const fbits = ((fmt << 10) | rem) ^ 0x5412
  for (let i = 0; i <= 5; i++) set(8, i, bit(fbits, i))
  set(8, 7, bit(fbits, 6))
  set(8, 8, bit(fbits, 7))
  set(7, 8, bit(fbits, 8))
  for (let i = 9; i < 15; i++) set(14 - i, 8, bit(fbits, i))
  for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(fbits, i))
  for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(fbits, i))
  set(8, size - 8, true)

  if (ver >= 7) {
    let vrem = ver
    for (let i = 0; i < 12; i++) vrem = (vrem << 1) ^ ((vrem >>> 11) * 0x1f25)
    const vbits = (ver << 12) | vrem
    for (let i = 0; i < 18; i++) {
      const a = size - 11 + (i % 3)
      const b = Math.floor(i / 3)
      set(a, b, bit(vbits, i))
      set(b, a, bit(vbits, i))
    }
  }

  // Data in the zigzag order, two columns at a time from the right, skipping the timing column.
  let i = 0
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j
        const y = ((right + 1) & 2) === 0 ? size - 1 - vert : vert
        if (!fixed[y][x] && i < codewords.length * 8) {
          modules[y][x] = bit(codewords[i >>> 3], 7 - (i & 7))
          i++
        }
      }
    }
  }
  const flip = MASKS[mask]
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (!fixed[y][x] && flip(x, y)) modules[y][x] = !modules[y][x]
  }
  return modules
}

/** The standard's penalty: long runs, 2×2 blocks, finder-like patterns, dark/light imbalance. */
function penalty(m) {
  const size = m.length
  let score = 0
  const lines = []
  for (let k = 0; k < size; k++) {
    lines.push(m[k])
    lines.push(m.map((row) => row[k]))
  }
  const finderLike = [[1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1]]
  for (const line of lines) {
    let run = 1
    for (let k = 1; k <= size; k++) {
      if (k < size && line[k] === line[k - 1]) run++
      else {
        if (run >= 5) score += run - 2
        run = 1
      }
    }
    for (let k = 0; k + 11 <= size; k++) {
      if (finderLike.some((p) => p.every((v, d) => line[k + d] === (v === 1)))) score += 40
    }
  }
  let dark = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (m[y][x]) dark++
      if (x + 1 < size && y + 1 < size && m[y][x] === m[y][x + 1] && m[y][x] === m[y + 1][x] && m[y][x] === m[y + 1][x + 1]) score += 3
    }
  }
  score += Math.floor(Math.abs(dark * 20 - size * size * 10) / (size * size)) * 10
  return score
}

/** `{ version, size, modules }`, modules[y][x] true where dark. */
function encode(text) {
  const { ver, words } = dataCodewords(utf8Bytes(text))
  const codewords = withErrorCorrection(ver, words)
  let best = null
  for (let mask = 0; mask < 8; mask++) {
    const modules = build(ver, codewords, mask)
    const score = penalty(modules)
    if (!best || score < best.score) best = { modules, score }
  }
  return { version: ver, size: best.modules.length, modules: best.modules }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function base64Ascii(s) {
  let out = ''
  for (let i = 0; i < s.length; i += 3) {
    const n = (s.charCodeAt(i) << 16) | ((s.charCodeAt(i + 1) || 0) << 8) | (s.charCodeAt(i + 2) || 0)
    out += B64[(n >>> 18) & 63] + B64[(n >>> 12) & 63]
    out += i + 1 < s.length ? B64[(n >>> 6) & 63] : '='
    out += i + 2 < s.length ? B64[n & 63] : '='
  }
  return out
}

/** An SVG of the code with a 4-module quiet zone: one path of horizontal runs of dark modules. */
function toSvg(qr) {
  const quiet = 4
  const span = qr.size + quiet * 2
  let d = ''
  qr.modules.forEach((row, y) => {
    for (let x = 0; x < qr.size; x++) {
      if (!row[x]) continue
      let len = 1
      while (x + len < qr.size && row[x + len]) len++
      d += `M${x + quiet} ${y + quiet}h${len}v1h-${len}z`
      x += len - 1
    }
  })
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${span} ${span}" shape-rendering="crispEdges">` +
    `<rect width="${span}" height="${span}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`
  )
}

const toDataUri = (qr) => `data:image/svg+xml;base64,${base64Ascii(toSvg(qr))}`

module.exports = { encode, toSvg, toDataUri }
