// The core's page environment (core/env.js) over the global `wx`.
const api = require('./api')
const { wechat } = require('./platform')
const { makeEnv } = require('../core/env')

module.exports = { env: makeEnv(api, wechat(() => wx)) } // eslint-disable-line no-undef
