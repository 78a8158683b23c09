// The one way the mini-program talks to the Yuyue backend: wx.request with the envelope
// unwrapped, tokens kept in storage, a single refresh on TOKEN_EXPIRED, and idempotent booking
// submits. Pages use the default instance; tests make their own with createClient().
const config = require('../config')

const TOKENS_KEY = 'yuyue.tokens'
const USER_KEY = 'yuyue.user'
// The subscribe messages a booking brings, asked for at its submit (config.js names their ids).
const BOOKING_MESSAGES = ['booking_confirmed', 'reminder', 'booking_cancelled']
// And those a waitlist entry brings: its booking made, or the entry lapsed.
const WAITLIST_MESSAGES = ['waitlist_booked', 'waitlist_expired']

const MESSAGES = {
  NETWORK: '网络连接失败，请检查网络后重试',
  INTERNAL: '服务暂时不可用，请稍后再试',
  SIGNED_OUT: '登录已失效，请重新登录',
}

class ApiError extends Error {
  constructor({ status, code, message, details = null, requestId = null }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.requestId = requestId
  }
}

/** 8–128 characters of [A-Za-z0-9-], unique per submit. */
function newIdempotencyKey() {
  const rand = () => Math.random().toString(36).slice(2, 10)
  return `bk-${Date.now().toString(36)}-${rand()}${rand()}`
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function errorOf(res) {
  if (!res.statusCode) return new ApiError({ status: 0, code: 'NETWORK', message: MESSAGES.NETWORK })
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  return new ApiError({
    status: res.statusCode,
    code: body.code || 'INTERNAL',
    message: body.message || MESSAGES.INTERNAL,
    details: body.details || null,
    requestId: body.request_id || null,
  })
}

function isOk(res) {
  return res.statusCode >= 200 && res.statusCode < 300 && res.data && res.data.code === 'OK'
}

/**
 * options: wx (default: the global `wx`), baseUrl, devUser, devVerifyToken (see config.js),
 * onSignedOut (called when the login is gone for good).
 */
function createClient(options = {}) {
  const settings = Object.assign({}, config, options)
  const wxApi = () => options.wx || wx // eslint-disable-line no-undef
  let refreshing = null
  let pendingSubmit = null // { json, key } of the submit (booking, waitlist) not yet answered for good

  const tokens = () => wxApi().getStorageSync(TOKENS_KEY) || null

  function saveSession(data) {
    wxApi().setStorageSync(TOKENS_KEY, { access_token: data.access_token, refresh_token: data.refresh_token })
    wxApi().setStorageSync(USER_KEY, data.user)
  }

  function signOut() {
    wxApi().removeStorageSync(TOKENS_KEY)
    wxApi().removeStorageSync(USER_KEY)
    pendingSubmit = null
  }

  function lost() {
    signOut()
    if (settings.onSignedOut) settings.onSignedOut()
  }

  /**
   * The language every answer should come in: `options.language`, else the phone's
   * (`wx.getSystemInfoSync().language`, such as "en" or "zh_CN"). English for any `en*`,
   * Chinese otherwise, as the backend's Accept-Language rule.
   */
  function acceptLanguage() {
    let lang = settings.language
    if (!lang) {
      try {
        lang = wxApi().getSystemInfoSync().language
      } catch (e) {
        lang = ''
      }
    }
    return /^en/i.test(String(lang || '')) ? 'en' : 'zh-CN'
  }

  /**
   * Asks the user to allow the messages a booking brings. WeChat delivers a subscribe message
   * only to a user who accepted its template here (one message per acceptance); without it every
   * message the backend sends is refused with 43101. WeChat shows the dialog only when this is
   * called within a tap, so it is the first thing a submit does, before any await. The answer,
   * or a failure, never stops the submit: it only decides which messages may arrive.
   */
  function requestSubscriptions(kinds) {
    const templates = settings.templates || {}
    const tmplIds = kinds.map((k) => templates[k]).filter(Boolean)
    if (tmplIds.length === 0 || typeof wxApi().requestSubscribeMessage !== 'function') return Promise.resolve(null)
    return new Promise((resolve) => {
      wxApi().requestSubscribeMessage({ tmplIds, success: resolve, fail: () => resolve(null) })
    })
  }

  /**
   * A POST that creates something under an `Idempotency-Key`: the key is made once per submit
   * and reused while the same body is retried (automatically once after a network failure or a
   * 5xx, and when the user taps again after such a failure), so a retry never books twice. A
   * definite answer ends the submit.
   */
  async function submitOnce(path, body) {
    const json = `${path}\n${JSON.stringify(body)}`
    if (!pendingSubmit || pendingSubmit.json !== json) pendingSubmit = { json, key: newIdempotencyKey() }
    const submit = pendingSubmit
    const opts = { body, headers: { 'Idempotency-Key': submit.key } }
    let res = await exchange('POST', path, opts)
    if (res.statusCode === 0 || res.statusCode >= 500) res = await exchange('POST', path, opts)
    const settled = res.statusCode > 0 && res.statusCode < 500 && res.statusCode !== 429
    if (settled && pendingSubmit === submit) pendingSubmit = null
    if (isOk(res)) return res.data.data
    throw errorOf(res)
  }

  /** One HTTP exchange; never rejects (a network failure is statusCode 0). */
  function send(method, path, { query, body, headers, auth = true } = {}) {
    const header = Object.assign({ 'Accept-Language': acceptLanguage() }, headers)
    const t = auth ? tokens() : null
    if (t) header.Authorization = `Bearer ${t.access_token}`
    return new Promise((resolve) => {
      wxApi().request({
        url: settings.baseUrl + path + queryString(query),
        method,
        data: body === undefined && method === 'POST' ? {} : body,
        header,
        timeout: 15000,
        success: (res) => resolve(Object.assign(res, { sentToken: t && t.access_token })),
        fail: (err) => resolve({ statusCode: 0, data: null, errMsg: err && err.errMsg }),
      })
    })
  }

  /** Trades the refresh token for a new pair; concurrent callers share one trade (a refresh token is single-use). */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const t = tokens()
        if (!t) throw new ApiError({ status: 401, code: 'UNAUTHENTICATED', message: MESSAGES.SIGNED_OUT })
        const res = await send('POST', '/v1/auth/refresh', { body: { refresh_token: t.refresh_token }, auth: false })
        if (isOk(res)) return saveSession(res.data.data)
        if (res.statusCode === 401) lost()
        throw errorOf(res)
      })().finally(() => {
        refreshing = null
      })
    }
    return refreshing
  }

  async function exchange(method, path, opts = {}) {
    let res = await send(method, path, opts)
    if (opts.auth !== false && res.statusCode === 401 && res.data && res.data.code === 'TOKEN_EXPIRED') {
      // Another request may have refreshed meanwhile: then retrying with the new token is enough.
      const current = tokens()
      if (!current || current.access_token === res.sentToken) await refresh()
      res = await send(method, path, opts)
    }
    if (opts.auth !== false && res.statusCode === 401) lost()
    return res
  }

  async function call(method, path, opts) {
    const res = await exchange(method, path, opts)
    if (isOk(res)) return res.data.data
    throw errorOf(res)
  }

  const get = (path, query) => call('GET', path, { query })
  const post = (path, body, headers) => call('POST', path, { body, headers })
  const del = (path) => call('DELETE', path)
  const seg = encodeURIComponent

  function wxLogin() {
    return new Promise((resolve, reject) => {
      wxApi().login({
        success: (res) => resolve(res.code),
        fail: () => reject(new ApiError({ status: 0, code: 'WECHAT_LOGIN_FAILED', message: '微信登录失败，请稍后重试' })),
      })
    })
  }

  return {
    ApiError,
    isSignedIn: () => Boolean(tokens()),
    currentUser: () => wxApi().getStorageSync(USER_KEY) || null,

    async login() {
      const code = await wxLogin()
      const body = { code: settings.devUser ? `dev-${settings.devUser}~${code}` : code }
      const data = await call('POST', '/v1/auth/wechat', { body, auth: false })
      saveSession(data)
      return data.user
    },
    refresh,
    async logout() {
      try {
        await post('/v1/auth/logout')
      } finally {
        signOut()
      }
    },
    async me() {
      const user = await get('/v1/me')
      wxApi().setStorageSync(USER_KEY, user)
      return user
    },

    /** The face-verification result for this person: the dev fake's token locally, WeChat's check otherwise. */
    faceVerify({ name, idNumber }) {
      if (settings.devVerifyToken) return Promise.resolve(settings.devVerifyToken)
      return new Promise((resolve, reject) => {
        wxApi().startFacialRecognitionVerify({
          name,
          idCardNumber: idNumber,
          success: (res) => resolve(res.verifyResult),
          fail: () => reject(new ApiError({ status: 0, code: 'FACE_VERIFY_FAILED', message: '人脸核验未完成，请重试' })),
        })
      })
    },
    /**
     * Real-name binding with one document: `idNumber` (resident ID card), `passport`
     * ({ number, nationality }) or `permanentResidenceId`; `nameZh` beside a foreigner's
     * Latin name.
     */
    async bindIdentity({ name, nameZh, idNumber, passport, permanentResidenceId, verifyToken }) {
      const body = { name, verify_token: verifyToken }
      if (nameZh) body.name_zh = nameZh
      if (idNumber) body.id_number = idNumber
      if (passport) body.passport = passport
      if (permanentResidenceId) body.permanent_residence_id = permanentResidenceId
      const user = await post('/v1/me/identity', body)
      wxApi().setStorageSync(USER_KEY, user)
      return user
    },
    /**
     * Binds the number WeChat confirms for a `getPhoneNumber` button's code; resolves to it whole
     * (`phone_number`, this answer alone carries it) for the form it fills.
     */
    async bindPhone(code) {
      const bound = await post('/v1/me/phone', { code })
      const { phone_number: phoneNumber, ...user } = bound
      wxApi().setStorageSync(USER_KEY, user)
      return phoneNumber
    },

    services: () => get('/v1/services').then((d) => d.services),
    guide: (service) => get(`/v1/services/${seg(service)}/guide`),
    terms: () => get('/v1/terms'),
    offices: ({ city, service } = {}) => get('/v1/offices', { city, service }).then((d) => d.offices),
    office: (id) => get(`/v1/offices/${seg(id)}`),
    slots: (officeId, { service, from, to } = {}) => get(`/v1/offices/${seg(officeId)}/slots`, { service, from, to }),

    applicants: () => get('/v1/applicants').then((d) => d.applicants),
    addApplicant: (body) => post('/v1/applicants', body),
    removeApplicant: (applicantId) => del(`/v1/applicants/${seg(applicantId)}`),
    acceptInvitation: (code) => post(`/v1/applicants/invitations/${seg(code.trim())}/accept`),
    helpers: () => get('/v1/me/helpers').then((d) => d.helpers),
    revokeHelper: (userId) => del(`/v1/me/helpers/${seg(userId)}`),
    audit: (limit) => get('/v1/me/audit', { limit }).then((d) => d.entries),

    /**
     * Submits a booking. The Idempotency-Key is made once per submit and reused while the same
     * body is retried (here once after a network failure or 5xx, later by the user tapping again):
     * a submit whose answer was lost books once. A definite answer ends the submit.
     */
    async createBooking(body) {
      // At most three templates a request (WeChat's limit): what a booking brings.
      await requestSubscriptions(BOOKING_MESSAGES)
      return submitOnce('/v1/bookings', body)
    },
    /** Joins a full period's waitlist (候补): served in order when a place frees, and told. */
    async joinWaitlist(body) {
      await requestSubscriptions(WAITLIST_MESSAGES)
      return submitOnce('/v1/waitlist', body)
    },
    waitlist: (applicantId) => get('/v1/waitlist', { applicant_id: applicantId }).then((d) => d.entries),
    leaveWaitlist: (id) => del(`/v1/waitlist/${seg(id)}`),
    /** Where the user stands in a (hall, date) waiting room: `off` when the day has none. */
    admission: (officeId, date) => get('/v1/bookings/admission', { office_id: officeId, date }),
    joinAdmission: (officeId, date) => post('/v1/bookings/admission', { office_id: officeId, date }),
    bookings: (applicantId) => get('/v1/bookings', { applicant_id: applicantId }).then((d) => d.bookings),
    booking: (no) => get(`/v1/bookings/${seg(no)}`),
    cancelBooking: (no, reason) => post(`/v1/bookings/${seg(no)}/cancel`, reason ? { reason } : {}),

    applications: (applicantId) => get('/v1/applications', { applicant_id: applicantId }).then((d) => d.applications),
    application: (no) => get(`/v1/applications/${seg(no)}`),
    documents: (applicantId) => get('/v1/documents', { applicant_id: applicantId }).then((d) => d.documents),
  }
}

// The pages' instance: a login that is gone for good sends the user back to sign in.
module.exports = createClient({
  onSignedOut: () => wx.reLaunch({ url: '/pages/login/login' }), // eslint-disable-line no-undef
})
module.exports.createClient = createClient
module.exports.newIdempotencyKey = newIdempotencyKey
