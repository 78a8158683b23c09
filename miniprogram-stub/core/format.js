// Chinese labels for the API's codes, and small formatting helpers shared by the pages.

const SERVICE_NAMES = {
  passport: '普通护照',
  hk_macau_permit: '往来港澳通行证',
  taiwan_permit: '往来台湾通行证',
  visa_extension: '签证延期',
  visa_renewal: '签证换发',
  visa_reissue: '签证补发',
  residence_permit: '居留许可',
  id_card: '居民身份证',
}

const BOOKING_STATUS = { booked: '已预约', cancelled: '已取消', checked_in: '已到场', no_show: '未到场' }

const APPLICATION_STATUS = {
  accepted: '已受理',
  reviewing: '审核中',
  producing: '制证中',
  ready: '可领取',
  mailed: '已邮寄',
  collected: '已领取',
  rejected: '未通过',
}

// What the person added is to the user (the API's `relation`).
const RELATIONS = [
  { id: 'parent', label: '父母' },
  { id: 'child', label: '子女' },
  { id: 'spouse', label: '配偶' },
  { id: 'grandparent', label: '祖父母/外祖父母' },
  { id: 'grandchild', label: '孙子女/外孙子女' },
  { id: 'sibling', label: '兄弟姐妹' },
  { id: 'guardian', label: '被监护人' },
  { id: 'relative', label: '其他亲属' },
]

const APPLICANT_STATUS = {
  active: '可代办',
  pending: '等待对方确认',
  expired: '邀请已过期',
  consent_required: '需对方重新授权',
}

const CLOSED_REASONS = {
  holiday: '节假日休息',
  not_released: '尚未开放',
  past: '已过时',
  too_soon: '不可预约',
  too_far: '超出预约期',
}

const AUDIT_ACTIONS = {
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
}

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日']

const serviceName = (id) => SERVICE_NAMES[id] || id
const relationLabel = (id) => (RELATIONS.find((r) => r.id === id) || { label: id }).label

function auditAction(action) {
  if (AUDIT_ACTIONS[action]) return AUDIT_ACTIONS[action]
  const status = /^application\.(\w+)$/.exec(action)
  if (status && APPLICATION_STATUS[status[1]]) return `办理进度：${APPLICATION_STATUS[status[1]]}`
  return action
}

function actorLabel(actor) {
  if (actor.kind === 'self') return '本人'
  if (actor.kind === 'helper') return `帮办人 ${actor.name || ''}`.trim()
  if (actor.kind === 'ops') return '窗口工作人员'
  return '系统'
}

/** `2026-07-12` → `7月12日 周日` (weekday 1–7, Monday first). */
function dayLabel(date, weekday) {
  const [, m, d] = date.split('-').map(Number)
  return `${m}月${d}日 ${WEEKDAYS[weekday] || ''}`.trim()
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

module.exports = {
  BOOKING_STATUS,
  APPLICATION_STATUS,
  RELATIONS,
  APPLICANT_STATUS,
  CLOSED_REASONS,
  serviceName,
  relationLabel,
  auditAction,
  actorLabel,
  dayLabel,
  timeLabel,
  validIdNumber,
  ageFromIdNumber,
}
