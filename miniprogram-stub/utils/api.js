// The pages' API client: the core's (core/api.js) over WeChat, set up from config.js. A login
// that is gone for good sends the user back to sign in. Tests make their own with createClient.
const config = require('../config')
const core = require('../core/api')
const { wechat } = require('./platform')

/** options as core's createClient, with `wx` (default: the global one) instead of `platform`. */
function createClient(options = {}) {
  const { wx: given, ...rest } = options
  const platform = wechat(() => given || wx) // eslint-disable-line no-undef
  return core.createClient(Object.assign({}, config, rest, { platform }))
}

module.exports = createClient({
  onSignedOut: () => wx.reLaunch({ url: '/pages/login/login' }), // eslint-disable-line no-undef
})
module.exports.createClient = createClient
module.exports.newIdempotencyKey = core.newIdempotencyKey
