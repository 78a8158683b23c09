// A page on WeChat: the core's page logic (core/pages/<name>.js) built with Component(), with
// elder mode as a behaviour every page takes. Alipay's counterpart is alipay/utils/page.js.
const elder = require('./elder')
const { env } = require('./env')

module.exports = function page(logic) {
  const { data, methods } = logic(env)
  // eslint-disable-next-line no-undef
  return Component({ behaviors: [elder.behavior], data, methods })
}
