// The project as WeChat DevTools opens it: every page complete, one module doing the network,
// and the large-font rules kept in every stylesheet.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT } = require('./harness')

const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8')
const app = JSON.parse(read('app.json'))

function files(dir, ext) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'tests' || e.name === 'node_modules' ? [] : files(rel, ext)
    return rel.endsWith(ext) ? [rel] : []
  })
}

test('project.config.json and app.json are what DevTools needs', () => {
  const project = JSON.parse(read('project.config.json'))
  assert.equal(project.compileType, 'miniprogram')
  assert.equal(project.setting.urlCheck, false, 'the local http origin is allowed in DevTools')
  assert.ok(fs.existsSync(path.join(ROOT, app.sitemapLocation)))
  assert.equal(app.pages.length, 16)
})

test('every page has its .js, .json, .wxml and .wxss, and is built with Component()', () => {
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) assert.ok(fs.existsSync(path.join(ROOT, `${page}.${ext}`)), `${page}.${ext}`)
    assert.deepEqual(JSON.parse(read(`${page}.json`)).usingComponents, {}, page)
    assert.match(read(`${page}.js`), /^Component\(\{/m, page)
  }
  const dirs = fs.readdirSync(path.join(ROOT, 'pages')).map((d) => `pages/${d}/${d}`).sort()
  assert.deepEqual(dirs, [...app.pages].sort(), 'no page left out of app.json')
})

test('only utils/api.js calls wx.request', () => {
  const callers = files('.', '.js').filter((f) => /\bwx\.request\b/.test(read(f)))
  assert.deepEqual(callers, ['utils/api.js'])
  for (const page of app.pages) assert.match(read(`${page}.js`), /require\('\.\.\/\.\.\/utils\/api'\)/, page)
})

test("every stylesheet compiles with WeChat's own WXSS compiler (wcsc)", () => {
  const wcsc = path.join(path.dirname(require.resolve('miniprogram-compiler/package.json')), 'bin', process.platform === 'linux' ? 'linux' : 'mac', 'wcsc')
  fs.chmodSync(wcsc, 0o755)
  for (const f of ['app.wxss', ...files('pages', '.wxss')]) {
    const run = spawnSync(wcsc, ['-db', '-pc', '0', `./${f}`], { cwd: ROOT })
    assert.equal(run.status, 0, `${f}: ${run.stdout.toString().slice(0, 300)}${run.stderr}`)
  }
})

test('large text: 20px base, and no stylesheet sets text below 18px', () => {
  assert.match(read('app.wxss'), /page\s*\{[^}]*font-size:\s*20px/)
  for (const f of ['app.wxss', ...files('pages', '.wxss')]) {
    for (const [, size, unit] of read(f).matchAll(/font-size:\s*(\d+)(\w+)/g)) {
      assert.equal(unit, 'px', `${f}: font-size in px`)
      assert.ok(Number(size) >= 18, `${f}: font-size ${size}px`)
    }
  }
})

test('elder mode: every page takes it, and it sets body text of at least 24px', () => {
  for (const page of app.pages) {
    assert.match(read(`${page}.js`), /behaviors: \[elder\.behavior\]/, page)
    assert.match(read(`${page}.wxml`), /^<view class="page \{\{elder \? 'elder' : ''\}\}">/, page)
  }
  const rule = /\.elder\s*\{[^}]*font-size:\s*(\d+)px/.exec(read('app.wxss'))
  assert.ok(rule && Number(rule[1]) >= 24, '.elder body text')
  for (const cls of ['btn', 'choice', 'input']) {
    const tall = new RegExp(`\\.elder \\.${cls}\\b[^{]*\\{[^}]*min-height:\\s*(\\d+)px`).exec(read('app.wxss'))
    assert.ok(tall && Number(tall[1]) >= 72, `.elder .${cls}`)
  }
})

test('tap targets are at least 56px high', () => {
  const css = read('app.wxss')
  for (const cls of ['btn', 'choice', 'input']) {
    const rule = new RegExp(`\\.${cls}\\s*\\{[^}]*min-height:\\s*(\\d+)px`).exec(css)
    assert.ok(rule && Number(rule[1]) >= 56, `.${cls}`)
  }
})
