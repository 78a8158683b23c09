// The pages' own words in Chinese and English: the phone's language decides, by the rule the
// backend reads Accept-Language with (English for any `en*`, Chinese otherwise), so a page and
// the messages the backend sends with it are in one language.

const APP_NAMES = {
  zh: { wechat: '微信', alipay: '支付宝' },
  en: { wechat: 'WeChat', alipay: 'Alipay' },
}

/** 'en' or 'zh' for a platform's language string ("en", "en-US", "zh_CN", "zh-Hans"…). */
const languageOf = (raw) => (/^en/i.test(String(raw || '')) ? 'en' : 'zh')

/** `{n}` in `text` replaced by `vars.n`. */
const fill = (text, vars) => String(text).replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all))

/**
 * One page's texts (`{ zh: {…}, en: {…} }`) in `lang`, `{app}` read as the platform's name. A key
 * missing in English falls back to Chinese (tests/project.test.js keeps the two complete).
 */
function textsFor(table, lang, platformName) {
  const app = (APP_NAMES[lang] || APP_NAMES.zh)[platformName] || ''
  const chosen = table[lang] || {}
  const out = {}
  Object.keys(table.zh).forEach((key) => {
    out[key] = fill(key in chosen ? chosen[key] : table.zh[key], { app })
  })
  return out
}

module.exports = { languageOf, fill, textsFor }
