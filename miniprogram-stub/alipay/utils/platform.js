// Alipay's side of the platform contract (README.md, "The platform layer"): every my.* call the
// core and the pages need, in the neutral shapes they expect. WeChat's is ../../utils/platform.js.
const face = require('./face')

/** my.request's HTTP-error failure (error 19) carries the answer: read it as one. */
function answerOf(res) {
  let data = res.data
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch (e) {
      // not JSON: the core reads a non-envelope body as INTERNAL
    }
  }
  return { statusCode: res.status, data }
}

/**
 * The platform over `getMy()`: the global `my` in the app, a shim in the journey test. Read at
 * each call, since the pages' instance is made before any test installs its `my`. options:
 * `faceVerifyH5`, the face vendor's H5 liveness page (config.js).
 */
function alipay(getMy, options = {}) {
  const my = getMy
  return {
    name: 'alipay',
    signIn: { path: '/v1/auth/alipay', field: 'auth_code' },
    // The getAuthorize (phoneNumber) button, then my.getPhoneNumber: the number sealed with the
    // app's content key, which the backend opens (ALIPAY_AES_KEY).
    phoneButton: true,

    /**
     * One HTTP exchange; never rejects (a network failure is statusCode 0). my.request sends a
     * form body unless told JSON, and fails a 4xx/5xx with error 19 and the answer beside it.
     */
    request({ url, method, data, headers, timeout }) {
      return new Promise((resolve) => {
        my().request({
          url,
          method,
          data,
          headers: Object.assign({ 'content-type': 'application/json' }, headers),
          timeout,
          dataType: 'json',
          success: (res) => resolve(answerOf(res)),
          fail: (err) => resolve(err && err.status ? answerOf(err) : { statusCode: 0, data: null, errMsg: err && err.errorMessage }),
        })
      })
    },
    storage: {
      get: (key) => {
        const res = my().getStorageSync({ key })
        return res && res.data !== undefined && res.data !== null ? res.data : ''
      },
      set: (key, value) => my().setStorageSync({ key, data: value }),
      remove: (key) => my().removeStorageSync({ key }),
    },
    language: () => my().getSystemInfoSync().language,
    /** A silent auth code (auth_base): enough for the user id the backend keys accounts by. */
    loginCode() {
      return new Promise((resolve, reject) =>
        my().getAuthCode({ scopes: 'auth_base', success: (res) => resolve(res.authCode), fail: reject }),
      )
    },
    requestSubscribe(entityIds) {
      if (typeof my().requestSubscribeMessage !== 'function') return Promise.resolve(null)
      return new Promise((resolve) => my().requestSubscribeMessage({ entityIds, success: resolve, fail: () => resolve(null) }))
    },
    /**
     * The face vendor's H5 liveness page in a web-view (utils/face.js): its URL is `faceVerifyH5`
     * of config.js, with the name and document number in the fragment, which stays on the
     * phone. Without one configured there is no face check on Alipay.
     */
    faceVerify({ name, idNumber }) {
      if (!options.faceVerifyH5) {
        const err = new Error('face verification is not configured for Alipay')
        err.code = 'FACE_VERIFY_UNAVAILABLE'
        return Promise.reject(err)
      }
      const fragment = `name=${encodeURIComponent(name)}&document=${encodeURIComponent(idNumber)}`
      return face.start((url) => my().navigateTo({ url }), `${options.faceVerifyH5}#${fragment}`)
    },
    /** After the button's authorization: `{ response }`, the sealed number, or null when refused. */
    phoneProof() {
      return new Promise((resolve) =>
        my().getPhoneNumber({ success: (res) => resolve(res && res.response ? { response: res.response } : null), fail: () => resolve(null) }),
      )
    },

    navigateTo: (url) => my().navigateTo({ url }),
    redirectTo: (url) => my().redirectTo({ url }),
    reLaunch: (url) => my().reLaunch({ url }),
    navigateBack: () => my().navigateBack(),
    makePhoneCall: (number) => my().makePhoneCall({ number }),
    // Alipay takes the coordinates as strings.
    openLocation: ({ latitude, longitude, name, address }) =>
      my().openLocation({ latitude: String(latitude), longitude: String(longitude), name, address, scale: 16 }),
    stopPullDownRefresh: () => my().stopPullDownRefresh(),
    /** Asks before something that cannot be undone; resolves to true when confirmed. */
    confirm({ title, content, confirmText, cancelText }) {
      return new Promise((resolve) => {
        my().confirm({
          title,
          content,
          confirmButtonText: confirmText,
          cancelButtonText: cancelText,
          success: (res) => resolve(Boolean(res.confirm)),
          fail: () => resolve(false),
        })
      })
    },
  }
}

module.exports = { alipay }
