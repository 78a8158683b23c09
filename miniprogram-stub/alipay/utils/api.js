// The pages' API client: the core's (core/api.js) over Alipay, set up from config.js. A login
// that is gone for good sends the user back to sign in. Tests make their own with createClient.
const config = require('../config')
const core = require('../core/api')
const { alipay } = require('./platform')

/** options as core's createClient, with `my` (default: the global one) instead of `platform`. */
function createClient(options = {}) {
  const { my: given, ...rest } = options
  const settings = Object.assign({}, config, rest)
  const platform = alipay(() => given || my, { faceVerifyH5: settings.faceVerifyH5 }) // eslint-disable-line no-undef
  return core.createClient(Object.assign(settings, { platform }))
}

module.exports = createClient({
  onSignedOut: () => my.reLaunch({ url: '/pages/login/login' }), // eslint-disable-line no-undef
})
module.exports.createClient = createClient
