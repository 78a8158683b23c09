// The one way the mini-program talks to the Yuyue backend, on WeChat and on Alipay alike: the
// envelope unwrapped, tokens kept in storage, a single refresh on TOKEN_EXPIRED, and idempotent
// booking submits. Everything a platform does differently comes through `platform` (its shape:
// README.md, "The platform layer"; utils/platform.js is WeChat's, alipay/utils/platform.js
// Alipay's), so this module never names `wx` or `my`. Each project makes its pages' instance in
// its utils/api.js.
const { languageOf, textsFor } = require('./i18n')

const TOKENS_KEY = 'yuyue.tokens'
const USER_KEY = 'yuyue.user'
// The subscribe messages a booking brings, asked for at its submit (config.js names their ids).
const BOOKING_MESSAGES = ['booking_confirmed', 'reminder', 'booking_cancelled']
// And those a waitlist entry brings: its booking made, or the entry lapsed.
const WAITLIST_MESSAGES = ['waitlist_booked', 'waitlist_expired']

// The client's own messages, for failures no envelope explains, in the phone's language.
const MESSAGES = {
  zh: {
    NETWORK: '网络连接失败，请检查网络后重试',
    INTERNAL: '服务暂时不可用，请稍后再试',
    SIGNED_OUT: '登录已失效，请重新登录',
    PLATFORM_LOGIN_FAILED: '{app}登录失败，请稍后重试',
    FACE_VERIFY_FAILED: '人脸核验未完成，请重试',
    FACE_VERIFY_UNAVAILABLE: '人脸核验暂不可用，请稍后再试，或用邀请码添加家人',
  },
  en: {
    NETWORK: 'No connection. Check the network and try again.',
    INTERNAL: 'The service is unavailable. Please try again later.',
    SIGNED_OUT: 'You have been signed out. Please sign in again.',
    PLATFORM_LOGIN_FAILED: 'Signing in with {app} failed. Please try again later.',
    FACE_VERIFY_FAILED: 'The face check was not completed. Please try again.',
    FACE_VERIFY_UNAVAILABLE: 'The face check is not available now. Please try again later, or add a family member by invitation.',
  },
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

/** The ApiError for an answer that is not OK; `messages` are the client's own, in the phone's language. */
function errorOf(res, messages) {
  if (!res.statusCode) return new ApiError({ status: 0, code: 'NETWORK', message: messages.NETWORK })
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  return new ApiError({
    status: res.statusCode,
    code: body.code || 'INTERNAL',
    message: body.message || messages.INTERNAL,
    details: body.details || null,
    requestId: body.request_id || null,
  })
}

function isOk(res) {
  return res.statusCode >= 200 && res.statusCode < 300 && res.data && res.data.code === 'OK'
}

/**
 * options: platform (required), baseUrl, devUser, devVerifyToken, templates (see config.js),
 * language, onSignedOut (called when the login is gone for good).
 */
function createClient(options) {
  const settings = Object.assign({}, options)
  const platform = settings.platform
  let refreshing = null
  let pendingSubmit = null // { json, key } of the submit (booking, waitlist) not yet answered for good

  const tokens = () => platform.storage.get(TOKENS_KEY) || null

  function saveSession(data) {
    platform.storage.set(TOKENS_KEY, { access_token: data.access_token, refresh_token: data.refresh_token })
    platform.storage.set(USER_KEY, data.user)
  }

  function signOut() {
    platform.storage.remove(TOKENS_KEY)
    platform.storage.remove(USER_KEY)
    pendingSubmit = null
  }

  function lost() {
    signOut()
    if (settings.onSignedOut) settings.onSignedOut()
  }

  /**
   * The language every answer should come in: `options.language`, else the phone's (such as
   * "en" or "zh_CN"). English for any `en*`, Chinese otherwise, as the backend's Accept-Language
   * rule.
   */
  function acceptLanguage() {
    let lang = settings.language
    if (!lang) {
      try {
        lang = platform.language()
      } catch (e) {
        lang = ''
      }
    }
    return languageOf(lang) === 'en' ? 'en' : 'zh-CN'
  }

  /** The client's own messages in the phone's language, the platform's name filled in. */
  function messages() {
    return textsFor(MESSAGES, acceptLanguage() === 'en' ? 'en' : 'zh', platform.name)
  }

  /**
   * Asks the user to allow the messages a booking brings. WeChat and Alipay deliver a subscribe
   * message only to a user who accepted its template in this dialog (one message per
   * acceptance); without it every message the backend sends is refused (WeChat's 43101,
   * Alipay's USER_NOT_SUBSCRIBED). Both show the dialog only when it is asked for within a tap,
   * so it is the first thing a submit does, before any await. The answer, or a failure, never
   * stops the submit: it only decides which messages may arrive.
   */
  function requestSubscriptions(kinds) {
    const templates = settings.templates || {}
    const ids = kinds.map((k) => templates[k]).filter(Boolean)
    if (ids.length === 0) return Promise.resolve(null)
    return platform.requestSubscribe(ids).catch(() => null)
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
    throw errorOf(res, messages())
  }

  /** One HTTP exchange; never rejects (a network failure is statusCode 0). */
  function send(method, path, { query, body, headers, auth = true } = {}) {
    const header = Object.assign({ 'Accept-Language': acceptLanguage() }, headers)
    const t = auth ? tokens() : null
    if (t) header.Authorization = `Bearer ${t.access_token}`
    return platform
      .request({
        url: settings.baseUrl + path + queryString(query),
        method,
        data: body === undefined && method === 'POST' ? {} : body,
        headers: header,
        timeout: 15000,
      })
      .then((res) => Object.assign(res, { sentToken: t && t.access_token }))
  }

  /** Trades the refresh token for a new pair; concurrent callers share one trade (a refresh token is single-use). */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const t = tokens()
        if (!t) throw new ApiError({ status: 401, code: 'UNAUTHENTICATED', message: messages().SIGNED_OUT })
        const res = await send('POST', '/v1/auth/refresh', { body: { refresh_token: t.refresh_token }, auth: false })
        if (isOk(res)) return saveSession(res.data.data)
        if (res.statusCode === 401) lost()
        throw errorOf(res, messages())
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
    throw errorOf(res, messages())
  }

  const get = (path, query) => call('GET', path, { query })
  const post = (path, body, headers) => call('POST', path, { body, headers })
  const del = (path) => call('DELETE', path)
  const seg = encodeURIComponent


  return {
    ApiError,
    isSignedIn: () => Boolean(tokens()),
    currentUser: () => platform.storage.get(USER_KEY) || null,
    /** Which platform the pages run on: 'wechat' or 'alipay'. */
    platform: platform.name,

    /** Signs in with the platform's one-time code (wx.login's code, my.getAuthCode's authCode). */
    async login() {
      const { path, field } = platform.signIn
      const code = await platform.loginCode().catch(() => {
        throw new ApiError({ status: 0, code: 'PLATFORM_LOGIN_FAILED', message: messages().PLATFORM_LOGIN_FAILED })
      })
      const body = { [field]: settings.devUser ? `dev-${settings.devUser}~${code}` : code }
      const data = await call('POST', path, { body, auth: false })
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
      platform.storage.set(USER_KEY, user)
      return user
    },

    /** The face-verification result for this person: the dev fake's token locally, the platform's check otherwise. */
    faceVerify({ name, idNumber }) {
      if (settings.devVerifyToken) return Promise.resolve(settings.devVerifyToken)
      return platform.faceVerify({ name, idNumber }).catch((err) => {
        const code = err && err.code === 'FACE_VERIFY_UNAVAILABLE' ? err.code : 'FACE_VERIFY_FAILED'
        throw new ApiError({ status: 0, code, message: messages()[code] })
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
      platform.storage.set(USER_KEY, user)
      return user
    },
    /**
     * Binds the number the platform vouches for (`proof`: `{ code }` from WeChat's getPhoneNumber
     * button, `{ response }` from Alipay's my.getPhoneNumber); resolves to it whole
     * (`phone_number`, this answer alone carries it) for the form it fills.
     */
    async bindPhone(proof) {
      const bound = await post('/v1/me/phone', proof)
      const { phone_number: phoneNumber, ...user } = bound
      platform.storage.set(USER_KEY, user)
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
      // At most three templates a request (the limit on both platforms): what a booking brings.
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

module.exports = { createClient, newIdempotencyKey, ApiError }
