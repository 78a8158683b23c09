// The Alipay project's settings: the backend (core/backend.js, one switch for both projects), the
// template-message ids by kind (the backend's ALIPAY_TEMPLATES) and the face vendor's H5 page.
const backend = require('./core/backend')

const ALIPAY = {
  local: {
    // .dev.vars.example's ALIPAY_TEMPLATES.
    templates: {
      booking_confirmed: 'dev-ali-confirmed',
      booking_cancelled: 'dev-ali-cancelled',
      reminder: 'dev-ali-reminder',
      waitlist_booked: 'dev-ali-waitlist-booked',
      waitlist_expired: 'dev-ali-waitlist-expired',
    },
    // Locally the face fake's token stands for the check (core/backend.js).
    faceVerifyH5: null,
  },
  production: {
    // The ids from 订阅消息 in the mini-program's console (开放平台): the same values as the
    // backend's ALIPAY_TEMPLATES. A kind left out is not asked for (and Alipay will not deliver it).
    templates: {},
    // The face vendor's H5 liveness page (the vendor of the backend's FACE_VERIFY_BASE): opened in
    // a web-view, it posts {verify_token} with my.postMessage when the check passes. Its domain
    // goes in the console's 业务域名 (web-view domains).
    faceVerifyH5: 'https://face.vendor.example/h5/liveness',
  },
}

module.exports = Object.assign({}, backend, ALIPAY[backend.env])
