// What the core's pages are given (core/pages/<name>.js take it whole): the API client, the
// platform, the UI helpers, elder mode, the phone's language and the labels in it. Each project
// makes one over its platform (utils/env.js).
const { makeUi } = require('./ui')
const { makeElder } = require('./elder')
const { languageOf } = require('./i18n')
const { makeFormat } = require('./format')

function makeEnv(api, platform) {
  /** The phone's language, read when a page opens: 'en' or 'zh'. */
  function lang() {
    try {
      return languageOf(platform.language())
    } catch (e) {
      return 'zh'
    }
  }
  return Object.assign({ api, platform, elder: makeElder(platform), lang, fmt: () => makeFormat(lang()) }, makeUi(platform, lang))
}

module.exports = { makeEnv }
