// What the core's pages are given on WeChat: the API client, the platform, the UI helpers and
// elder mode, all over the global `wx`.
const api = require('./api')
const { wechat } = require('./platform')
const { makeUi } = require('../core/ui')
const { makeElder } = require('../core/elder')

const platform = wechat(() => wx) // eslint-disable-line no-undef
const env = Object.assign({ api, platform, elder: makeElder(platform) }, makeUi(platform))

module.exports = { env }
