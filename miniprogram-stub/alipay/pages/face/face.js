// The face check on Alipay (utils/face.js): the vendor's H5 liveness page in a web-view, whose
// token comes back through my.postMessage. A platform page: WeChat checks faces natively.
const face = require('../../utils/face')
const { env } = require('../../utils/env')

// eslint-disable-next-line no-undef
Page({
  data: { url: '' },
  onLoad() {
    this.setData({ url: face.url() })
  },
  /** The H5 page's my.postMessage({ verify_token }) once the check passed. */
  onMessage(e) {
    const token = e && e.detail && e.detail.verify_token
    if (typeof token !== 'string' || !token) return
    face.finish(token)
    env.platform.navigateBack()
  },
  /** Closed without a token (backed out, or the check failed): not completed. */
  onUnload() {
    face.finish(null)
  },
})
