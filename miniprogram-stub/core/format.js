// Labels for the API's codes, and small formatting helpers shared by the pages.
const { fill } = require('./i18n')


// Labels for the API's codes in Chinese and English, by the phone's language (makeFormat(lang)).
const LABELS = {
  zh: {
    services: {
      passport: '普通护照',
      hk_macau_permit: '往来港澳通行证',
      taiwan_permit: '往来台湾通行证',
      visa_extension: '签证延期',
      visa_renewal: '签证换发',
      visa_reissue: '签证补发',
      residence_permit: '居留许可',
      id_card: '居民身份证',
    },
    booking: { booked: '已预约', cancelled: '已取消', checked_in: '已到场', no_show: '未到场' },
    application: {
      accepted: '已受理',
      reviewing: '审核中',
      producing: '制证中',
      ready: '可领取',
      mailed: '已邮寄',
      collected: '已领取',
      rejected: '未通过',
    },
    // What the person added is to the user (the API's `relation`).
    relations: {
      parent: '父母',
      child: '子女',
      spouse: '配偶',
      grandparent: '祖父母/外祖父母',
      grandchild: '孙子女/外孙子女',
      sibling: '兄弟姐妹',
      guardian: '被监护人',
      relative: '其他亲属',
    },
    applicant: { active: '可代办', pending: '等待对方确认', expired: '邀请已过期', consent_required: '需对方重新授权' },
    closed: { holiday: '节假日休息', not_released: '尚未开放', past: '已过时', too_soon: '不可预约', too_far: '超出预约期' },
    audit: {
      'booking.create': '提交预约',
      'booking.cancel': '取消预约',
      'booking.checkin': '到场签到',
      'bookings.view': '查看预约',
      'applications.view': '查看办理进度',
      'documents.view': '查看证件',
      'helper.invited': '发起帮办邀请',
      'helper.accepted': '同意帮办邀请',
      'helper.linked': '添加为家人',
      'helper.removed': '解除帮办',
      'helper.revoked': '撤销帮办授权',
    },
    progressAction: '办理进度：{status}',
    actors: { self: '本人', helper: '帮办人 {name}', ops: '窗口工作人员', system: '系统' },
    weekdays: ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'],
    day: '{m}月{d}日 {weekday}',
  },
  en: {
    services: {
      passport: 'Passport',
      hk_macau_permit: 'Hong Kong & Macau travel permit',
      taiwan_permit: 'Taiwan travel permit',
      visa_extension: 'Visa extension',
      visa_renewal: 'Visa renewal',
      visa_reissue: 'Visa reissue',
      residence_permit: 'Residence permit',
      id_card: 'Resident ID card',
    },
    booking: { booked: 'Booked', cancelled: 'Cancelled', checked_in: 'Checked in', no_show: 'Missed' },
    application: {
      accepted: 'Accepted',
      reviewing: 'Under review',
      producing: 'Being made',
      ready: 'Ready to collect',
      mailed: 'Posted',
      collected: 'Collected',
      rejected: 'Not approved',
    },
    relations: {
      parent: 'Parent',
      child: 'Child',
      spouse: 'Spouse',
      grandparent: 'Grandparent',
      grandchild: 'Grandchild',
      sibling: 'Brother or sister',
      guardian: 'Ward',
      relative: 'Other relative',
    },
    applicant: { active: 'Active', pending: 'Waiting for them', expired: 'Invitation expired', consent_required: 'Needs their consent again' },
    closed: { holiday: 'Public holiday', not_released: 'Not open yet', past: 'Past', too_soon: 'Cannot be booked', too_far: 'Too far ahead' },
    audit: {
      'booking.create': 'Booked',
      'booking.cancel': 'Cancelled a booking',
      'booking.checkin': 'Checked in',
      'bookings.view': 'Viewed bookings',
      'applications.view': 'Viewed progress',
      'documents.view': 'Viewed documents',
      'helper.invited': 'Invited a helper',
      'helper.accepted': 'Accepted a helper',
      'helper.linked': 'Added as family',
      'helper.removed': 'Unlinked a helper',
      'helper.revoked': 'Revoked a helper',
    },
    progressAction: 'Progress: {status}',
    actors: { self: 'You', helper: 'Helper {name}', ops: 'Hall staff', system: 'System' },
    weekdays: ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    day: '{weekday} {d} {month}',
  },
}

const MONTHS = ['', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** The labels and label helpers in `lang` ('zh' or 'en'). */
function makeFormat(lang) {
  const L = LABELS[lang] || LABELS.zh
  const label = (table, id) => (table[id] !== undefined ? table[id] : id)
  return {
    serviceName: (id) => label(L.services, id),
    bookingStatus: (status) => label(L.booking, status),
    applicationStatus: (status) => label(L.application, status),
    applicantStatus: (status) => label(L.applicant, status),
    closedReason: (reason) => L.closed[reason],
    relations: Object.keys(L.relations).map((id) => ({ id, label: L.relations[id] })),
    relationLabel: (id) => label(L.relations, id),
    auditAction(action) {
      if (L.audit[action]) return L.audit[action]
      const status = /^application\.(\w+)$/.exec(action)
      if (status && L.application[status[1]]) return fill(L.progressAction, { status: L.application[status[1]] })
      return action
    },
    actorLabel(actor) {
      if (actor.kind === 'helper') return fill(L.actors.helper, { name: actor.name || '' }).trim()
      return L.actors[actor.kind] || L.actors.system
    },
    /** `2026-07-12` → `7月12日 周日` / `Sun 12 Jul` (weekday 1–7, Monday first). */
    dayLabel(date, weekday) {
      const [, m, d] = date.split('-').map(Number)
      return fill(L.day, { m, d, month: MONTHS[m], weekday: L.weekdays[weekday] || '' }).trim()
    },
  }
}

/** An RFC 3339 time in +08:00 → `2026-07-12 09:20`. */
const timeLabel = (at) => (at ? `${at.slice(0, 10)} ${at.slice(11, 16)}` : '')

/** A 居民身份证号 with a valid GB 11643 check character. */
function validIdNumber(id) {
  if (!/^\d{17}[\dXx]$/.test(id)) return false
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0)
  return '10X98765432'[sum % 11] === id[17].toUpperCase()
}

/** Whole years of age today (Asia/Shanghai) from the birth date inside an ID number. */
function ageFromIdNumber(id, now = Date.now()) {
  const today = new Date(now + 8 * 3600 * 1000)
  const y = Number(id.slice(6, 10))
  const m = Number(id.slice(10, 12))
  const d = Number(id.slice(12, 14))
  let age = today.getUTCFullYear() - y
  if (today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d)) age--
  return age
}

module.exports = { makeFormat, timeLabel, validIdNumber, ageFromIdNumber }
