// Which backend the Alipay mini-program talks to. Set ENV to 'production' before uploading.
const ENV = 'local'

const ENVS = {
  // The stack `make dev` runs on this computer. In Alipay's developer tool tick 详情 → 域名信息 →
  // 忽略 httpRequest 域名合法性检查 so that plain http://127.0.0.1 is allowed.
  local: {
    baseUrl: 'http://127.0.0.1:8787',
    // The local Alipay fake maps the auth code `dev-<x>~<anything>` to user id `ali-<x>`: the code
    // from my.getAuthCode is sent as the `<anything>`, so every sign-in in the tool is this one user.
    devUser: 'devtools',
    // The local face-verification fake passes `dev-ok` for any name and ID number.
    devVerifyToken: 'dev-ok',
    faceVerifyH5: null,
    // Subscribe-message template ids by kind: the backend's ALIPAY_TEMPLATES (.dev.vars.example).
    templates: {
      booking_confirmed: 'dev-ali-confirmed',
      booking_cancelled: 'dev-ali-cancelled',
      reminder: 'dev-ali-reminder',
      waitlist_booked: 'dev-ali-waitlist-booked',
      waitlist_expired: 'dev-ali-waitlist-expired',
    },
  },
  production: {
    baseUrl: 'https://api.yuyue.example',
    devUser: null,
    devVerifyToken: null,
    // The face vendor's H5 liveness page (the vendor of the backend's FACE_VERIFY_BASE): opened in
    // a web-view, it posts {verify_token} with my.postMessage when the check passes. Its domain
    // goes in the console's 业务域名 (web-view domains).
    faceVerifyH5: 'https://face.vendor.example/h5/liveness',
    // The ids from 订阅消息 in the mini-program's console (开放平台): the same values as the
    // backend's ALIPAY_TEMPLATES. A kind left out is not asked for (and Alipay will not deliver it).
    templates: {},
  },
}

module.exports = Object.assign({ env: ENV }, ENVS[ENV])
