// The Alipay project's views, written from the WeChat project's: each page's .axml from its
// .wxml, .acss from .wxss, .json from .json, and app.json and app.acss, so the two projects show
// the same pages from one source. The logic needs no writing: both run core/pages.
//
//   node miniprogram-stub/tools/alipay-views.js          writes alipay/ from the WeChat files
//   node miniprogram-stub/tools/alipay-views.js --check  fails if alipay/ differs (tests run this)
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
// Alipay's own pages, written by hand: the face check's web-view (alipay/utils/face.js).
const PLATFORM_PAGES = ['pages/face/face']
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8')
const json = (value) => `${JSON.stringify(value, null, 2)}\n`

/** WXML → AXML: Alipay's directives and event attributes; WeChat-only elements dropped. */
function axml(wxml, page) {
  const out = wxml
    // WeChat's phone button hands a code; Alipay's asks for the phone scope, then the page's
    // handler calls my.getPhoneNumber (alipay/utils/platform.js).
    .replace(/open-type="getPhoneNumber" bindgetphonenumber=/g, 'open-type="getAuthorize" scope="phoneNumber" onGetAuthorize=')
    .replace(/\bwx:(if|elif|else|for-item|for-index|for|key)\b/g, 'a:$1')
    .replace(/\bbind(tap|input|change|blur|confirm)=/g, (all, ev) => `on${ev[0].toUpperCase()}${ev.slice(1)}=`)
    .replace(/\bcatchtap=/g, 'catchTap=')
  const left = /\bwx:\w+|\bbind\w+=|\bcatch[a-z]+=/.exec(out)
  if (left) throw new Error(`${page}.wxml: no Alipay form for ${left[0]}`)
  return out
}

/** A page's .json: the title as defaultTitle, pull-to-refresh as pullRefresh. */
function pageJson(wechat) {
  const out = { defaultTitle: wechat.navigationBarTitleText }
  if (wechat.enablePullDownRefresh) out.pullRefresh = true
  return json(out)
}

/** Every file of alipay/ that comes from a WeChat file: relative path → contents. */
function views() {
  const app = JSON.parse(read('app.json'))
  const w = app.window
  const files = {
    'alipay/app.json': json({
      pages: [...app.pages, ...PLATFORM_PAGES],
      window: { defaultTitle: w.navigationBarTitleText, titleBarColor: w.navigationBarBackgroundColor, backgroundColor: w.backgroundColor },
    }),
    'alipay/app.acss': read('app.wxss'),
  }
  for (const page of app.pages) {
    files[`alipay/${page}.axml`] = axml(read(`${page}.wxml`), page)
    files[`alipay/${page}.acss`] = read(`${page}.wxss`)
    files[`alipay/${page}.json`] = pageJson(JSON.parse(read(`${page}.json`)))
  }
  return files
}

/** The files of alipay/ that differ from what the WeChat files give. */
function stale() {
  return Object.entries(views())
    .filter(([rel, text]) => !fs.existsSync(path.join(ROOT, rel)) || read(rel) !== text)
    .map(([rel]) => rel)
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const differ = stale()
    if (differ.length) {
      console.error(`alipay/ is out of date; run node miniprogram-stub/tools/alipay-views.js:\n  ${differ.join('\n  ')}`)
      process.exit(1)
    }
  } else {
    for (const [rel, text] of Object.entries(views())) {
      fs.mkdirSync(path.dirname(path.join(ROOT, rel)), { recursive: true })
      fs.writeFileSync(path.join(ROOT, rel), text)
    }
  }
}

module.exports = { views, stale, axml, PLATFORM_PAGES }
