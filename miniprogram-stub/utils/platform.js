// WeChat's side of the platform contract (README.md, "The platform layer"): every wx.* call the
// core and the pages need, in the neutral shapes they expect. Alipay's is alipay/utils/platform.js.

/**
 * The platform over `getWx()`: the global `wx` in the app, a shim in the journey test. Read at
 * each call, since the pages' instance is made before any test installs its `wx`.
 */
function wechat(getWx) {
  const wx = getWx

  return {
    name: 'wechat',
    signIn: { path: '/v1/auth/wechat', field: 'code' },
    // WeChat's getPhoneNumber button hands a code the backend exchanges (POST /v1/me/phone).
    phoneButton: true,

    /** One HTTP exchange; never rejects (a network failure is statusCode 0). */
    request({ url, method, data, headers, timeout }) {
      return new Promise((resolve) => {
        wx().request({
          url,
          method,
          data,
          header: headers,
          timeout,
          success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
          fail: (err) => resolve({ statusCode: 0, data: null, errMsg: err && err.errMsg }),
        })
      })
    },
    storage: {
      get: (key) => wx().getStorageSync(key),
      set: (key, value) => wx().setStorageSync(key, value),
      remove: (key) => wx().removeStorageSync(key),
    },
    language: () => wx().getSystemInfoSync().language,
    loginCode() {
      return new Promise((resolve, reject) => wx().login({ success: (res) => resolve(res.code), fail: reject }))
    },
    requestSubscribe(tmplIds) {
      if (typeof wx().requestSubscribeMessage !== 'function') return Promise.resolve(null)
      return new Promise((resolve) => wx().requestSubscribeMessage({ tmplIds, success: resolve, fail: () => resolve(null) }))
    },
    faceVerify({ name, idNumber }) {
      return new Promise((resolve, reject) => {
        wx().startFacialRecognitionVerify({
          name,
          idCardNumber: idNumber,
          success: (res) => resolve(res.verifyResult),
          fail: () => reject(new Error('face verification not completed')),
        })
      })
    },
    /** The getPhoneNumber button's code, `{ code }`, or null when the user declined. */
    phoneProof: (e) => Promise.resolve(e && e.detail && e.detail.code ? { code: e.detail.code } : null),

    navigateTo: (url) => wx().navigateTo({ url }),
    redirectTo: (url) => wx().redirectTo({ url }),
    reLaunch: (url) => wx().reLaunch({ url }),
    navigateBack: () => wx().navigateBack(),
    makePhoneCall: (number) => wx().makePhoneCall({ phoneNumber: number }),
    openLocation: ({ latitude, longitude, name, address }) => wx().openLocation({ latitude, longitude, name, address, scale: 16 }),
    stopPullDownRefresh: () => wx().stopPullDownRefresh(),
    /** Asks before something that cannot be undone; resolves to true when confirmed. */
    confirm({ title, content, confirmText, cancelText }) {
      return new Promise((resolve) => {
        wx().showModal({
          title,
          content,
          confirmText,
          confirmColor: '#b3261e',
          cancelText,
          success: (res) => resolve(Boolean(res.confirm)),
          fail: () => resolve(false),
        })
      })
    },
  }
}

module.exports = { wechat }
