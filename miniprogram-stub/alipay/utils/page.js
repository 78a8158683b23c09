// A page on Alipay: the core's page logic (core/pages/<name>.js) built with Page(). Alipay has no
// behaviours, so elder mode is read here when the page loads and each time it shows again, and
// the page's texts are set in the phone's language when it loads.
const { env } = require('./env')
const { textsFor } = require('../core/i18n')

/**
 * Alipay's tap events carry the element's data-* in `target` (and, on newer base libraries, in
 * `currentTarget` too); the core reads `currentTarget`, as on WeChat.
 */
function sameEvent(e) {
  if (e && typeof e === 'object' && e.target && !e.currentTarget) e.currentTarget = e.target
  return e
}

module.exports = function page(logic) {
  const { text, data, methods } = logic(env)
  const options = { data: Object.assign({ elder: false, t: {} }, data) }
  Object.keys(methods).forEach((name) => {
    options[name] = function method(e, ...rest) {
      return methods[name].call(this, sameEvent(e), ...rest)
    }
  })
  const showElder = function showElder() {
    this.setData({ elder: env.elder.isOn() })
  }
  options.onLoad = function onLoad(query) {
    this.setData({ t: textsFor(text, env.lang(), env.platform.name) })
    showElder.call(this)
    return methods.onLoad ? methods.onLoad.call(this, query || {}) : undefined
  }
  options.onShow = function onShow() {
    showElder.call(this)
    return methods.onShow ? methods.onShow.call(this) : undefined
  }
  return Page(options) // eslint-disable-line no-undef
}
