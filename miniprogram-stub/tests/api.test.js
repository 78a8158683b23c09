// utils/api.js against a fake wx.request: the envelope, Chinese errors, token refresh with one
// retry, and the Idempotency-Key of a booking submit.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, ok, fail, offline, signedIn } = require('./harness')
const api = require('../utils/api')
const config = require('../config')

const BASE = 'https://api.test'
const client = (w, extra = {}) => api.createClient({ wx: w.wx, baseUrl: BASE, devUser: null, ...extra })
const calls = (w, path) => w.requests.filter((r) => r.path === path)

const BOOKING = {
  applicant_id: 'a_self',
  service: 'passport',
  office_id: 'bj-dongcheng',
  date: '2026-07-14',
  period_id: 'am-1',
  phone: '13812345678',
  pickup: { method: 'collect' },
  agree_terms: true,
}

test('the pages use the local stack of config.js, and the envelope is unwrapped', async () => {
  assert.equal(config.env, 'local')
  assert.equal(config.baseUrl, 'http://127.0.0.1:8787')
  const w = install({ storage: signedIn(), routes: { 'GET /v1/offices': (req) => ({ offices: [{ office_id: req.query.city }] }) } })
  const offices = await api.offices({ city: 'sz', service: 'passport' })
  assert.deepEqual(offices, [{ office_id: 'sz' }])
  const [req] = w.requests
  assert.equal(req.origin, 'http://127.0.0.1:8787')
  assert.deepEqual(req.query, { city: 'sz', service: 'passport' })
  assert.equal(req.header.Authorization, 'Bearer at-1')
})

test('an error envelope becomes an ApiError carrying its Chinese message', async () => {
  const w = install({
    storage: signedIn(),
    routes: { 'POST /v1/bookings': () => fail(409, 'SLOT_FULL', '该时段已约满，请选择其他时段', { period_id: 'am-1' }) },
  })
  const err = await client(w).createBooking(BOOKING).catch((e) => e)
  assert.ok(err instanceof api.ApiError)
  assert.deepEqual([err.status, err.code, err.message, err.details], [409, 'SLOT_FULL', '该时段已约满，请选择其他时段', { period_id: 'am-1' }])
  assert.equal(err.requestId, 'req-test-0002')
})

test('a network failure or an answer that is not the envelope has a Chinese message too', async () => {
  let answer = offline()
  const w = install({ routes: { 'GET /v1/services': () => answer } })
  const c = client(w)
  let err = await c.services().catch((e) => e)
  assert.deepEqual([err.code, err.message], ['NETWORK', '网络连接失败，请检查网络后重试'])
  answer = { statusCode: 502, data: '<html>Bad Gateway</html>' }
  err = await c.services().catch((e) => e)
  assert.deepEqual([err.status, err.code, err.message], [502, 'INTERNAL', '服务暂时不可用，请稍后再试'])
})

test('sign-in sends the wx.login code, without a token, and keeps the session in storage', async () => {
  const w = install({
    loginCode: '0a1b2c',
    routes: { 'POST /v1/auth/wechat': () => ({ access_token: 'at-9', refresh_token: 'yrt_9', expires_in: 900, user: { user_id: 'u_9', identity_bound: false } }) },
  })
  const user = await client(w).login()
  assert.equal(user.user_id, 'u_9')
  const [req] = w.requests
  assert.deepEqual(req.body, { code: '0a1b2c' })
  assert.equal(req.header.Authorization, undefined)
  assert.deepEqual(w.store.get('yuyue.tokens'), { access_token: 'at-9', refresh_token: 'yrt_9' })
  assert.equal(w.store.get('yuyue.user').user_id, 'u_9')

  // Locally the code goes to the WeChat fake as the unique part of `dev-<user>~…`.
  await client(w, { devUser: 'devtools' }).login()
  assert.deepEqual(w.requests[1].body, { code: 'dev-devtools~0a1b2c' })
})

/** A backend whose access tokens `at-1` expired: refresh hands out `at-2`. */
function expiring(extra = {}) {
  return install({
    storage: signedIn(),
    routes: {
      'POST /v1/auth/refresh': (req) =>
        req.body.refresh_token === 'yrt_1'
          ? { access_token: 'at-2', refresh_token: 'yrt_2', expires_in: 900, user: { user_id: 'u_1' } }
          : fail(401, 'UNAUTHENTICATED', '登录已失效，请重新登录', { reason: 'refresh_token_reused' }),
      'GET /v1/me': (req) => (req.header.Authorization === 'Bearer at-2' ? { user_id: 'u_1' } : fail(401, 'TOKEN_EXPIRED', '登录已过期')),
      ...extra,
    },
  })
}

test('TOKEN_EXPIRED: the refresh token is traded once, and the request is retried with the new token', async () => {
  const w = expiring()
  assert.deepEqual(await client(w).me(), { user_id: 'u_1' })
  assert.deepEqual(w.requests.map((r) => [r.path, r.header.Authorization]), [
    ['/v1/me', 'Bearer at-1'],
    ['/v1/auth/refresh', undefined],
    ['/v1/me', 'Bearer at-2'],
  ])
  assert.deepEqual(calls(w, '/v1/auth/refresh')[0].body, { refresh_token: 'yrt_1' })
  assert.deepEqual(w.store.get('yuyue.tokens'), { access_token: 'at-2', refresh_token: 'yrt_2' })
})

test('requests expiring together share one refresh (a refresh token is single-use)', async () => {
  const w = expiring()
  const c = client(w)
  const results = await Promise.all([c.me(), c.me(), c.me()])
  assert.deepEqual(results, [{ user_id: 'u_1' }, { user_id: 'u_1' }, { user_id: 'u_1' }])
  assert.equal(calls(w, '/v1/auth/refresh').length, 1)
  assert.equal(calls(w, '/v1/me').length, 6)
})

test('retried once only: still expired after the refresh is an error, not a loop', async () => {
  const w = expiring({ 'GET /v1/me': () => fail(401, 'TOKEN_EXPIRED', '登录已过期') })
  const err = await client(w).me().catch((e) => e)
  assert.equal(err.code, 'TOKEN_EXPIRED')
  assert.equal(calls(w, '/v1/me').length, 2)
  assert.equal(calls(w, '/v1/auth/refresh').length, 1)
})

test('a refused refresh signs out: storage cleared, the pages go back to sign-in', async () => {
  const w = expiring()
  w.store.set('yuyue.tokens', { access_token: 'at-1', refresh_token: 'yrt_old' })
  const err = await api.me().catch((e) => e)
  assert.deepEqual([err.status, err.code, err.message], [401, 'UNAUTHENTICATED', '登录已失效，请重新登录'])
  assert.equal(w.store.has('yuyue.tokens'), false)
  assert.equal(w.store.has('yuyue.user'), false)
  assert.deepEqual(w.navigations, [['reLaunch', '/pages/login/login']])
})

/** A backend recording the Idempotency-Key of each booking attempt; `plan` scripts the answers. */
function bookingBackend(plan) {
  const keys = []
  const w = install({
    storage: signedIn(),
    routes: {
      'POST /v1/bookings': (req) => {
        keys.push(req.header['Idempotency-Key'])
        const next = plan.shift() || 'ok'
        if (next === 'offline') return offline()
        if (next === 'busy') return fail(503, 'UPSTREAM_UNAVAILABLE', '服务繁忙，请稍后再试')
        if (next === 'full') return fail(409, 'SLOT_FULL', '该时段已约满，请选择其他时段')
        if (next === 'expired') return fail(401, 'TOKEN_EXPIRED', '登录已过期')
        return ok({ booking_no: `B${keys.length}`, status: 'booked', qr_payload: 'YY1.x' }, 201)
      },
      'POST /v1/auth/refresh': () => ({ access_token: 'at-2', refresh_token: 'yrt_2', expires_in: 900, user: {} }),
    },
  })
  return { w, keys, c: client(w) }
}

test('a submit whose answer was lost is retried with the same Idempotency-Key', async () => {
  const { keys, c } = bookingBackend(['offline', 'ok'])
  const b = await c.createBooking(BOOKING)
  assert.equal(b.status, 'booked')
  assert.equal(keys.length, 2)
  assert.match(keys[0], /^[A-Za-z0-9._:-]{8,128}$/)
  assert.equal(keys[1], keys[0])
})

test('the user retrying the same submit reuses its key; another form or a new submit gets a new one', async () => {
  const { keys, c } = bookingBackend(['offline', 'busy', 'ok', 'ok', 'ok'])
  const err = await c.createBooking(BOOKING).catch((e) => e)
  assert.equal(err.code, 'UPSTREAM_UNAVAILABLE')
  await c.createBooking(BOOKING) // the user taps 确认预约 again
  assert.deepEqual(keys.slice(0, 3), [keys[0], keys[0], keys[0]])
  await c.createBooking(BOOKING) // answered: a new submit
  await c.createBooking({ ...BOOKING, period_id: 'am-2' })
  assert.equal(new Set(keys).size, 3, keys.join(' '))
})

test('a definite refusal ends the submit: trying again is a new submit', async () => {
  const { keys, c } = bookingBackend(['full', 'ok'])
  assert.equal((await c.createBooking(BOOKING).catch((e) => e)).code, 'SLOT_FULL')
  await c.createBooking(BOOKING)
  assert.equal(keys.length, 2)
  assert.notEqual(keys[1], keys[0])
})

test('a submit retried after a token refresh keeps its key', async () => {
  const { w, keys, c } = bookingBackend(['expired', 'ok'])
  await c.createBooking(BOOKING)
  assert.equal(calls(w, '/v1/auth/refresh').length, 1)
  assert.equal(keys[1], keys[0])
  assert.equal(calls(w, '/v1/bookings')[1].header.Authorization, 'Bearer at-2')
})

test('DELETE and POST paths are built and escaped per id', async () => {
  const w = install({
    storage: signedIn(),
    routes: {
      'DELETE /v1/me/helpers/:id': (req) => ({ revoked: req.params.id }),
      'POST /v1/applicants/invitations/:code/accept': (req) => ({ code: req.params.code, body: req.body }),
      'POST /v1/bookings/:no/cancel': (req) => ({ status: 'cancelled', body: req.body }),
    },
  })
  const c = client(w)
  assert.deepEqual(await c.revokeHelper('u_2'), { revoked: 'u_2' })
  assert.deepEqual(await c.acceptInvitation(' ABCD-EFGH-12345 '), { code: 'ABCD-EFGH-12345', body: {} })
  assert.deepEqual(await c.cancelBooking('B1', '行程有变'), { status: 'cancelled', body: { reason: '行程有变' } })
  assert.equal(w.requests[0].body, undefined, 'a DELETE has no body')
})

test("every request asks for the phone's language: English for en*, Chinese otherwise", async () => {
  const w = install({ routes: { 'GET /v1/services': () => ok({ services: [] }) } })
  const c = client(w)
  await c.services()
  assert.equal(w.requests.at(-1).header['Accept-Language'], 'zh-CN', 'no system info: Chinese')
  for (const [language, expected] of [['en', 'en'], ['en_US', 'en'], ['zh_CN', 'zh-CN'], ['zh_HK', 'zh-CN'], ['fr', 'zh-CN']]) {
    w.wx.getSystemInfoSync = () => ({ language })
    await c.services()
    assert.equal(w.requests.at(-1).header['Accept-Language'], expected, language)
  }
  // A language chosen in the settings wins over the phone's.
  await client(w, { language: 'en' }).services()
  assert.equal(w.requests.at(-1).header['Accept-Language'], 'en')
})
