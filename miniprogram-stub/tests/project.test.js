// The two projects as their developer tools open them (WeChat's at this folder, Alipay's at
// alipay/): every page complete on both, its logic the one copy in core/pages, only the platform
// layers touching wx/my, every handler a view names defined, and the large-font rules kept in
// every stylesheet.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT } = require('./harness')
const { stale, PLATFORM_PAGES } = require('../tools/alipay-views')

const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8')
const app = JSON.parse(read('app.json'))
const alipayApp = JSON.parse(read('alipay/app.json'))
const nameOf = (page) => page.split('/')[1]

function files(dir, ext) {
  // From the root: the WeChat project's own files (the Alipay project and the core are asked for by name).
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name)
    if (e.isDirectory()) return ['tests', 'node_modules', 'alipay', 'core'].includes(e.name) ? [] : files(rel, ext)
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

test('every page has its .js, .json, .wxml and .wxss, its logic in core/pages', () => {
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) assert.ok(fs.existsSync(path.join(ROOT, `${page}.${ext}`)), `${page}.${ext}`)
    assert.deepEqual(JSON.parse(read(`${page}.json`)).usingComponents, {}, page)
    assert.equal(read(`${page}.js`), `require('../../utils/page')(require('../../core/pages/${nameOf(page)}'))\n`, page)
  }
  const dirs = fs.readdirSync(path.join(ROOT, 'pages')).map((d) => `pages/${d}/${d}`).sort()
  assert.deepEqual(dirs, [...app.pages].sort(), 'no page left out of app.json')
  const logic = fs.readdirSync(path.join(ROOT, 'core/pages')).map((f) => `pages/${f.replace(/\.js$/, '')}/${f.replace(/\.js$/, '')}`).sort()
  assert.deepEqual(logic, [...app.pages].sort(), 'one core page per page')
})

test('the Alipay project: the same pages, each with its .axml, .acss, .js and .json over the same core', () => {
  const project = JSON.parse(read('alipay/mini.project.json'))
  assert.equal(project.format, 2)
  assert.equal(project.compileType, 'mini')
  assert.deepEqual(alipayApp.pages, [...app.pages, ...PLATFORM_PAGES], 'every flow on both platforms, and Alipay\'s own pages')
  assert.ok(alipayApp.window.defaultTitle)
  assert.equal(fs.realpathSync(path.join(ROOT, 'alipay/core')), fs.realpathSync(path.join(ROOT, 'core')), 'alipay/core is the one core')
  for (const page of alipayApp.pages) {
    for (const ext of ['js', 'json', 'axml', 'acss']) assert.ok(fs.existsSync(path.join(ROOT, 'alipay', `${page}.${ext}`)), `alipay/${page}.${ext}`)
    assert.ok(JSON.parse(read(`alipay/${page}.json`)).defaultTitle, `alipay/${page}.json: defaultTitle`)
    if (app.pages.includes(page)) {
      assert.equal(read(`alipay/${page}.js`), `require('../../utils/page')(require('../../core/pages/${nameOf(page)}'))\n`, page)
    }
    const axml = read(`alipay/${page}.axml`)
    assert.doesNotMatch(axml, /\bwx:|\bbind\w+=|\bcatchtap=/, `alipay/${page}.axml: WeChat syntax`)
    for (const [, directive] of axml.matchAll(/\ba:([\w-]+)/g)) {
      assert.ok(['if', 'elif', 'else', 'for', 'for-item', 'for-index', 'key'].includes(directive), `alipay/${page}.axml: a:${directive}`)
    }
  }
  // Alipay's own pages: every handler their view names is defined in their page.
  for (const page of PLATFORM_PAGES) {
    for (const [, name] of read(`alipay/${page}.axml`).matchAll(/\bon[A-Z]\w*="(\w+)"/g)) {
      assert.match(read(`alipay/${page}.js`), new RegExp(`^  ${name}\\(`, 'm'), `alipay/${page}: ${name}`)
    }
  }
  const dirs = fs.readdirSync(path.join(ROOT, 'alipay/pages')).map((d) => `pages/${d}/${d}`).sort()
  assert.deepEqual(dirs, [...alipayApp.pages].sort(), 'no page left out of alipay/app.json')
})

test('the Alipay views are written from the WeChat ones (tools/alipay-views.js)', () => {
  assert.deepEqual(stale(), [], 'run: node miniprogram-stub/tools/alipay-views.js')
})

/** Every key of a nested object, as dotted paths, arrays by their length. */
function shape(value, prefix = '') {
  if (Array.isArray(value)) return [`${prefix}[${value.length}]`]
  if (value && typeof value === 'object') return Object.keys(value).sort().flatMap((k) => shape(value[k], `${prefix}.${k}`))
  return [prefix]
}

test('every text exists in Chinese and English, and every text a page uses is defined', () => {
  const env = { api: {}, platform: {}, guard() {}, confirmed() {}, go() {}, elder: {}, fmt() {}, lang: () => 'zh' }
  for (const page of app.pages) {
    const name = nameOf(page)
    const { text } = require(path.join(ROOT, 'core/pages', name))(env)
    assert.deepEqual(Object.keys(text.en).sort(), Object.keys(text.zh).sort(), `${name}: the same texts in both languages`)
    for (const lang of ['zh', 'en']) {
      for (const [key, value] of Object.entries(text[lang])) assert.ok(typeof value === 'string' && value.trim(), `${name}.${lang}.${key}`)
    }
    assert.doesNotMatch(Object.values(text.en).join(' '), /[\u4e00-\u9fff]/, `${name}: English texts in English`)
    const used = [
      ...read(`${page}.wxml`).matchAll(/\bt\.(\w+)/g),
      ...read(`core/pages/${name}.js`).matchAll(/\bt\.(\w+)\b(?!\s*=)/g),
    ].map((m) => m[1])
    for (const key of used) assert.ok(key in text.zh, `${name}: t.${key} is not defined`)
    // No Chinese left in a view outside the texts (the identity page's foreigner labels are texts too).
    assert.doesNotMatch(read(`${page}.wxml`), /[\u4e00-\u9fff]/, `${page}.wxml: a literal Chinese text`)
  }
  const { makeFormat } = require(path.join(ROOT, 'core/format'))
  const [zh, en] = ['zh', 'en'].map((l) => makeFormat(l))
  assert.deepEqual(shape(en.relations), shape(zh.relations))
  assert.doesNotMatch(JSON.stringify(en.relations) + en.dayLabel('2026-07-12', 7), /[\u4e00-\u9fff]/)
})

test('every handler a view names is a method of its page, on both platforms', () => {
  const env = { api: {}, platform: {}, guard() {}, confirmed() {}, go() {}, elder: {} }
  for (const page of app.pages) {
    const { methods } = require(path.join(ROOT, 'core/pages', nameOf(page)))(env)
    const views = [
      [`${page}.wxml`, /\b(?:bind|catch)[a-z]+="(\w+)"/g],
      [`alipay/${page}.axml`, /\b(?:on|catch)[A-Z]\w*="(\w+)"/g],
    ]
    for (const [view, handler] of views) {
      for (const [, name] of read(view).matchAll(handler)) assert.equal(typeof methods[name], 'function', `${view}: ${name}`)
    }
  }
})

test('only the platform layers call wx or my; no page file calls the network', () => {
  const calls = (re) => (f) => re.test(read(f).replace(/^\s*(\/\/|\*|\/\*).*$/gm, ''))
  const wechat = files('.', '.js').filter(calls(/\bwx(\(\))?\.request\b/))
  assert.deepEqual(wechat, ['utils/platform.js'])
  assert.deepEqual(files('alipay', '.js').filter(calls(/\bmy(\(\))?\.request\b/)), ['alipay/utils/platform.js'])
  const core = files('core', '.js')
  assert.ok(core.includes('core/api.js'))
  assert.deepEqual(core.filter(calls(/\b(wx|my)(\(\))?\.\w+\s*\(/)), [], 'the core names no platform')
  for (const page of app.pages) {
    for (const f of [`${page}.js`, `alipay/${page}.js`, `core/pages/${nameOf(page)}.js`]) {
      assert.doesNotMatch(read(f), /\b(wx|my)\.\w+|\bfetch\(/, f)
    }
  }
})

test("every stylesheet compiles with WeChat's own WXSS compiler (wcsc)", () => {
  const wcsc = path.join(path.dirname(require.resolve('miniprogram-compiler/package.json')), 'bin', process.platform === 'linux' ? 'linux' : 'mac', 'wcsc')
  fs.chmodSync(wcsc, 0o755)
  for (const f of ['app.wxss', ...files('pages', '.wxss')]) {
    const run = spawnSync(wcsc, ['-db', '-pc', '0', `./${f}`], { cwd: ROOT })
    assert.equal(run.status, 0, `${f}: ${run.stdout.toString().slice(0, 300)}${run.stderr}`)
  }
})

const STYLESHEETS = () => ['app.wxss', ...files('pages', '.wxss'), 'alipay/app.acss', ...files('alipay/pages', '.acss')]

test('large text: 20px base, and no stylesheet sets text below 18px, on both platforms', () => {
  for (const app of ['app.wxss', 'alipay/app.acss']) assert.match(read(app), /page\s*\{[^}]*font-size:\s*20px/, app)
  for (const f of STYLESHEETS()) {
    for (const [, size, unit] of read(f).matchAll(/font-size:\s*(\d+)(\w+)/g)) {
      assert.equal(unit, 'px', `${f}: font-size in px`)
      assert.ok(Number(size) >= 18, `${f}: font-size ${size}px`)
    }
  }
})

test('elder mode: every page takes it, and it sets body text of at least 24px, on both platforms', () => {
  assert.match(read('utils/page.js'), /behaviors: \[elder\.behavior\b/)
  assert.match(read('alipay/utils/page.js'), /elder: env\.elder\.isOn\(\)/)
  for (const page of app.pages) {
    for (const view of [`${page}.wxml`, `alipay/${page}.axml`]) {
      assert.match(read(view), /^<view class="page \{\{elder \? 'elder' : ''\}\}">/, view)
    }
  }
  for (const css of ['app.wxss', 'alipay/app.acss']) {
    const rule = /\.elder\s*\{[^}]*font-size:\s*(\d+)px/.exec(read(css))
    assert.ok(rule && Number(rule[1]) >= 24, `${css}: .elder body text`)
    for (const cls of ['btn', 'choice', 'input']) {
      const tall = new RegExp(`\\.elder \\.${cls}\\b[^{]*\\{[^}]*min-height:\\s*(\\d+)px`).exec(read(css))
      assert.ok(tall && Number(tall[1]) >= 72, `${css}: .elder .${cls}`)
    }
  }
})

test('tap targets are at least 56px high, on both platforms', () => {
  for (const css of ['app.wxss', 'alipay/app.acss']) {
    for (const cls of ['btn', 'choice', 'input']) {
      const rule = new RegExp(`\\.${cls}\\s*\\{[^}]*min-height:\\s*(\\d+)px`).exec(read(css))
      assert.ok(rule && Number(rule[1]) >= 56, `${css}: .${cls}`)
    }
  }
})
