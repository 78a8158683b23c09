// Which backend the mini-program talks to. Set ENV to 'production' before uploading.
const ENV = 'local'

const ENVS = {
  // The stack `make dev` runs on this computer. In WeChat DevTools tick
  // 详情 → 本地设置 → 不校验合法域名 so that plain http://127.0.0.1 is allowed.
  local: {
    baseUrl: 'http://127.0.0.1:8787',
    // The local WeChat fake maps the code `dev-<x>~<anything>` to openid `wx-<x>`: the code
    // from wx.login is sent as the `<anything>`, so every sign-in in DevTools is this one user.
    devUser: 'devtools',
    // The local face-verification fake passes `dev-ok` for any name and ID number.
    devVerifyToken: 'dev-ok',
    // Subscribe-message template ids by kind: the backend's WECHAT_TEMPLATES (.dev.vars.example).
    templates: {
      booking_confirmed: 'dev-tmpl-confirmed',
      booking_cancelled: 'dev-tmpl-cancelled',
      reminder: 'dev-tmpl-reminder',
      waitlist_booked: 'dev-tmpl-waitlist-booked',
      waitlist_expired: 'dev-tmpl-waitlist-expired',
    },
  },
  production: {
    baseUrl: 'https://api.yuyue.example',
    devUser: null,
    devVerifyToken: null,
    // The ids from 订阅消息 in the mini-program's console: the same values as the backend's
    // WECHAT_TEMPLATES. A kind left out is not asked for (and WeChat will not deliver it).
    templates: {},
  },
}

module.exports = Object.assign({ env: ENV }, ENVS[ENV])
