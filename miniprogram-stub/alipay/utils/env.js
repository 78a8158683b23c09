// What the core's pages are given on Alipay: the API client, the platform, the UI helpers and
// elder mode, all over the global `my`.
const api = require('./api')
const { alipay } = require('./platform')
const { makeUi } = require('../core/ui')
const { makeElder } = require('../core/elder')

const platform = alipay(() => my) // eslint-disable-line no-undef
const env = Object.assign({ api, platform, elder: makeElder(platform) }, makeUi(platform))

module.exports = { env }
