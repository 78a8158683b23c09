// The core's page environment (core/env.js) over the global `my`.
const api = require('./api')
const { alipay } = require('./platform')
const { makeEnv } = require('../core/env')

module.exports = { env: makeEnv(api, alipay(() => my)) } // eslint-disable-line no-undef
