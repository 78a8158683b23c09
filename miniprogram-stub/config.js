// The WeChat project's settings: the backend (core/backend.js, one switch for both projects) and
// the subscribe-message template ids by kind, the backend's WECHAT_TEMPLATES.
const backend = require('./core/backend')

const TEMPLATES = {
  // .dev.vars.example's WECHAT_TEMPLATES.
  local: {
    booking_confirmed: 'dev-tmpl-confirmed',
    booking_cancelled: 'dev-tmpl-cancelled',
    reminder: 'dev-tmpl-reminder',
    waitlist_booked: 'dev-tmpl-waitlist-booked',
    waitlist_expired: 'dev-tmpl-waitlist-expired',
  },
  // The ids from 订阅消息 in the mini-program's console: the same values as the backend's
  // WECHAT_TEMPLATES. A kind left out is not asked for (and WeChat will not deliver it).
  production: {},
}

module.exports = Object.assign({}, backend, { templates: TEMPLATES[backend.env] })
