// After the hall: progress list, one application's timeline, issued documents.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, settle, tap, classes, text, all, signedIn } = require('./harness')

function application(no, status, timeline, extra = {}) {
  return {
    application_no: no,
    booking_no: 'K7Q2M9X4T1AB',
    applicant: { applicant_id: 'a_kid', name: '韩**' },
    service: 'passport',
    office_id: 'sz-futian',
    status,
    timeline: timeline.map(([s, at, note = null]) => ({ status: s, at: `2026-07-14T${at}:00+08:00`, note })),
    estimated_ready: status === 'rejected' ? null : '2026-07-23',
    rejected_reason: null,
    updated_at: '2026-07-14T14:00:00+08:00',
    ...extra,
  }
}

test('progress: every application with its status; a tap opens it', async () => {
  const w = install({
    storage: signedIn(),
    routes: {
      'GET /v1/applications': () => ({
        applications: [application('A20260714AAAAAAAA1', 'producing', [['accepted', '09:20']]), application('A20260714BBBBBBBB2', 'rejected', [['accepted', '09:30']], { service: 'hk_macau_permit' })],
      }),
    },
  })
  const page = await openPage('progress')
  assert.deepEqual(all(page, '.status').map(text), ['制证中', '未通过'])
  assert.match(text(all(page, '.application')[0]), /普通护照.*韩\*\*.*预计 2026-07-23 办好/)
  assert.doesNotMatch(text(all(page, '.application')[1]), /预计/)
  await tap(all(page, '.application')[1])
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/application/application?no=A20260714BBBBBBBB2']])
})

test('the timeline: steps done with their time and note, the current one marked, the rest to come', async () => {
  let status = 'producing'
  const timeline = [['accepted', '09:20'], ['reviewing', '11:00'], ['producing', '14:00', '制证中，请耐心等待']]
  const w = install({ storage: signedIn(), routes: { 'GET /v1/applications/:no': () => application('A20260714AAAAAAAA1', status, timeline) } })
  const page = await openPage('application', { no: 'A20260714AAAAAAAA1' })
  assert.equal(w.requests[0].path, '/v1/applications/A20260714AAAAAAAA1')
  assert.equal(text(page.querySelector('.status')), '制证中')
  const steps = all(page, '.step')
  assert.deepEqual(steps.map((s) => classes(s).find((c) => ['done', 'current', 'todo'].includes(c))), ['done', 'done', 'current', 'todo', 'todo'])
  assert.match(text(steps[1]), /审核中.*2026-07-14 11:00/)
  assert.match(text(steps[2]), /制证中（当前）.*制证中，请耐心等待/)
  assert.match(text(steps[3]), /^.可领取$/)

  // Pulled to refresh once the certificate is ready.
  status = 'ready'
  timeline.push(['ready', '16:00'])
  await page.instance.onPullDownRefresh()
  await settle()
  assert.deepEqual(all(page, '.step').map((s) => classes(s).find((c) => ['done', 'current', 'todo'].includes(c))), ['done', 'done', 'done', 'current', 'todo'])
  assert.equal(text(page.querySelector('.status')), '可领取')
})

test('a posted certificate ends in 已邮寄; a rejection shows its reason', async () => {
  let answer = application('A1', 'mailed', [['accepted', '09:20'], ['reviewing', '10:00'], ['producing', '11:00'], ['mailed', '15:00']])
  install({ storage: signedIn(), routes: { 'GET /v1/applications/:no': () => answer } })
  let page = await openPage('application', { no: 'A1' })
  assert.deepEqual(all(page, '.step-label').map(text), ['已受理', '审核中', '制证中', '已邮寄（当前）', '已领取'])

  answer = application('A2', 'rejected', [['accepted', '09:20'], ['rejected', '10:00', '材料不全']], { rejected_reason: '材料不全：缺少户口簿' })
  page = await openPage('application', { no: 'A2' })
  assert.match(text(page.querySelector('.rejected')), /材料不全：缺少户口簿/)
  assert.deepEqual(all(page, '.step-label').map(text), ['已受理', '未通过（当前）'])
})

test('documents: validity, long-term ID cards, and a warning before one expires', async () => {
  const doc = (id, type, extra) => ({ document_id: id, applicant: { applicant_id: 'a_self', name: '韩*' }, type, number: 'E1*****78', issued_on: '2026-07-14', long_term: false, expired: false, expiring_soon: false, ...extra })
  install({
    storage: signedIn(),
    routes: {
      'GET /v1/documents': () => ({
        documents: [
          doc('d1', 'taiwan_permit', { valid_until: '2026-10-12', expiring_soon: true }),
          doc('d2', 'passport', { valid_until: '2036-07-14' }),
          doc('d3', 'id_card', { valid_until: null, long_term: true, number: '1101**********0012' }),
        ],
      }),
    },
  })
  const page = await openPage('documents')
  const cards = all(page, '.document')
  assert.equal(cards.length, 3)
  assert.deepEqual(all(page, '.validity').map(text), ['有效期至 2026-10-12', '有效期至 2036-07-14', '长期有效'])
  assert.deepEqual(all(page, '.warning').map(text), ['即将到期，请及时换发'])
  assert.match(text(cards[0]), /往来台湾通行证.*韩\*.*E1\*\*\*\*\*78/)
})

test('an empty list says so', async () => {
  install({ storage: signedIn(), routes: { 'GET /v1/documents': () => ({ documents: [] }) } })
  const page = await openPage('documents')
  assert.equal(text(page.querySelector('.empty')), '暂无已办好的证件')
})
