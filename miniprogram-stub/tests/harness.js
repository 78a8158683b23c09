// Renders pages with WeChat's miniprogram-simulate (j-component + the official wcc compiler)
// under jsdom, with a `wx` whose network is an in-memory fake of the backend: each test says
// what the API answers and reads back what the page sent, where it navigated, what it shows.
require('global-jsdom/register')
// Node has Event classes of its own; j-component must create and dispatch jsdom's.
globalThis.Event = window.Event
globalThis.CustomEvent = window.CustomEvent

const path = require('node:path')
const simulate = require('miniprogram-simulate')

const ROOT = path.join(__dirname, '..')
const simulatedWx = global.wx

const ok = (data, status = 200) => ({ statusCode: status, data: { code: 'OK', data, request_id: 'req-test-0001' } })
const offline = () => ({ statusCode: 0 })
const fail = (status, code, message, details) => ({
  statusCode: status,
  data: { code, message, request_id: 'req-test-0002', ...(details ? { details } : {}) },
})

/** `GET /v1/bookings/:no` matches `GET /v1/bookings/B1`, with params.no = 'B1'. */
function matchRoute(routes, method, pathname) {
  for (const key of Object.keys(routes)) {
    const [m, pattern] = key.split(' ')
    if (m !== method) continue
    const names = []
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => names.push(n) && '([^/]+)')}$`)
    const hit = re.exec(pathname)
    if (hit) return { handler: routes[key], params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(hit[i + 1])])) }
  }
  return null
}

let pending = 0

/**
 * Installs a fresh `wx`. routes: { 'GET /v1/services': (req) => data | ok(...) | fail(...) };
 * an unknown route answers 404. storage: initial storage entries (e.g. signed-in tokens).
 * language: the phone's (wx.getSystemInfoSync().language).
 */
function install({ routes = {}, storage = {}, modal = true, loginCode = 'wx-code-1', language = 'zh_CN' } = {}) {
  const store = new Map(Object.entries(storage))
  const log = { requests: [], navigations: [], modals: [], subscriptions: [] }
  const wx = Object.assign({}, simulatedWx, {
    request(opts) {
      const url = new URL(opts.url)
      const req = {
        method: opts.method || 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: opts.data,
        header: opts.header || {},
        origin: url.origin,
      }
      log.requests.push(req)
      pending++
      setTimeout(() => {
        pending--
        const route = matchRoute(routes, req.method, req.path)
        let res = route ? route.handler({ ...req, params: route.params }) : fail(404, 'NOT_FOUND', '未找到')
        if (!res || res.statusCode === undefined) res = ok(res)
        if (res.statusCode === 0) opts.fail({ errMsg: 'request:fail timeout' })
        else opts.success({ statusCode: res.statusCode, data: res.data, header: {} })
      }, 0)
      return { abort() {} }
    },
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ''),
    setStorageSync: (k, v) => store.set(k, JSON.parse(JSON.stringify(v))),
    removeStorageSync: (k) => store.delete(k),
    login: ({ success }) => setTimeout(() => success({ code: loginCode, errMsg: 'login:ok' }), 0),
    navigateTo: ({ url }) => log.navigations.push(['navigateTo', url]),
    redirectTo: ({ url }) => log.navigations.push(['redirectTo', url]),
    reLaunch: ({ url }) => log.navigations.push(['reLaunch', url]),
    navigateBack: () => log.navigations.push(['navigateBack']),
    showModal: (opts) => {
      log.modals.push(opts)
      setTimeout(() => opts.success({ confirm: modal, cancel: !modal }), 0)
    },
    // The user accepts every template; `requestsBefore` says how many requests went out first.
    requestSubscribeMessage: (opts) => {
      log.subscriptions.push({ tmplIds: opts.tmplIds, requestsBefore: log.requests.length })
      const answer = Object.fromEntries(opts.tmplIds.map((id) => [id, 'accept']))
      setTimeout(() => opts.success({ errMsg: 'requestSubscribeMessage:ok', ...answer }), 0)
    },
    stopPullDownRefresh() {},
    makePhoneCall() {},
    openLocation: (opts) => log.navigations.push(['openLocation', opts]),
    // The phone's language: pages and the API's Accept-Language follow it.
    getSystemInfoSync: () => Object.assign({}, simulatedWx.getSystemInfoSync(), { language }),
  })
  global.wx = wx
  return { wx, store, ...log }
}

/** Waits until no request is in flight and the promise chains after the last answer have run. */
async function settle() {
  let idle = 0
  for (let i = 0; i < 200 && idle < 3; i++) {
    await new Promise((r) => setTimeout(r, 1))
    idle = pending === 0 ? idle + 1 : 0
  }
}

/** Loads, renders and attaches page `name`, calls its onLoad(query) and waits for its requests. */
async function openPage(name, query = {}) {
  const id = simulate.load(path.join(ROOT, 'pages', name, name), { compiler: 'official', rootPath: ROOT })
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  if (page.instance.onLoad) await page.instance.onLoad(query)
  await settle()
  return page
}

async function tap(el) {
  el.dispatchEvent('tap')
  await settle()
}

async function type(page, selector, value) {
  page.querySelector(selector).dispatchEvent('input', { detail: { value } })
  await settle()
}

/** Class names as written in the WXML (simulate prefixes them with the tag name). */
const classes = (el) => [...el.dom.classList].map((c) => c.replace(/^main--/, ''))
const text = (el) => el.dom.textContent.replace(/\s+/g, ' ').trim()
const all = (page, selector) => page.querySelectorAll(selector)

/** Storage of a user who signed in and bound their identity. */
const signedIn = (user = {}) => ({
  'yuyue.tokens': { access_token: 'at-1', refresh_token: 'yrt_1' },
  'yuyue.user': { user_id: 'u_1', identity_bound: true, identity: { applicant_id: 'a_self', name: '张*' }, ...user },
})

/** A valid 18-digit ID number (GB 11643 check character) born on `yyyymmdd`. */
function idNumber(yyyymmdd, seq = 1, region = '110101') {
  return withCheck(`${region}${yyyymmdd}${String(seq).padStart(3, '0')}`)
}

/** 17 digits with their GB 11643 check character. */
function withCheck(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return first17 + '10X98765432'[sum % 11]
}

/** YYYYMMDD of `years` years before today (Asia/Shanghai). */
function bornAgo(years) {
  const today = new Date(Date.now() + 8 * 3600 * 1000)
  return `${today.getUTCFullYear() - years}0101`
}

module.exports = { ROOT, install, settle, openPage, tap, type, classes, text, all, ok, fail, offline, signedIn, idNumber, withCheck, bornAgo }
