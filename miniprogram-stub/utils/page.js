// A page on WeChat: the core's page logic (core/pages/<name>.js) built with Component(), with
// elder mode and the page's texts in the phone's language set when it attaches. Alipay's
// counterpart is alipay/utils/page.js.
const elder = require('./elder')
const { env } = require('./env')
const { textsFor } = require('../core/i18n')

module.exports = function page(logic) {
  const { text, data, methods } = logic(env)
  // eslint-disable-next-line no-undef
  const texts = Behavior({
    data: { t: {} },
    lifetimes: {
      attached() {
        this.setData({ t: textsFor(text, env.lang(), env.platform.name) })
      },
    },
  })
  // eslint-disable-next-line no-undef
  return Component({ behaviors: [elder.behavior, texts], data, methods })
}
