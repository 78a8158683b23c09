// The booking form (applicant picker, pickup, agreement), the result with its QR code, and the
// list of bookings with cancel.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, settle, tap, type, classes, text, all, ok, fail, signedIn } = require('./harness')
const { decodeDataUri } = require('./qr-decode')

const SLOT = { office: 'sz-futian', service: 'passport', date: '2026-07-14', period: 'am-2', start: '10:00', end: '11:00' }

const APPLICANTS = [
  { applicant_id: 'a_self', name: '韩*', id_number: '1101**********0012', relation: 'self', is_self: true, status: 'active', consent: 'own', minor: false, age: 36 },
  { applicant_id: 'a_kid', name: '韩**', id_number: '1101**********0023', relation: 'child', is_self: false, status: 'active', consent: 'guardian', minor: true, age: 8 },
  { applicant_id: 'a_mum', name: '李**', id_number: '1101**********0034', relation: 'parent', is_self: false, status: 'pending', consent: 'invitation', minor: false, age: 70 },
]

const posts = (w) => w.requests.filter((r) => r.method === 'POST')

function formBackend({ receiptFor = [], mail = true, submit, routes = {} } = {}) {
  return install({
    storage: signedIn(),
    routes: {
      ...routes,
      'GET /v1/applicants': () => ({ applicants: APPLICANTS }),
      'GET /v1/offices/:id': (req) => ({ office_id: req.params.id, name: '福田出入境大厅', photo_receipt_required_for: receiptFor, services: [] }),
      'GET /v1/services': () => ({
        services: [
          { service_id: 'passport', name: '普通护照', pickup_methods: mail ? ['collect', 'mail'] : ['collect'] },
          { service_id: 'id_card', name: '居民身份证', pickup_methods: ['collect'] },
        ],
      }),
      'POST /v1/bookings': submit || ((req) => ok({ booking_no: 'K7Q2M9X4T1AB', status: 'booked', ...req.body }, 201)),
      'GET /v1/terms': () => ({
        rules_version: 1,
        title: '预约须知',
        items: [
          { id: 'window', text: '可预约7天内的时段。' },
          { id: 'one_active', text: '同一办理人同一业务只能有一个有效预约。' },
        ],
      }),
      'POST /v1/me/phone': (req) =>
        req.body.code === 'wx-phone-code'
          ? { user_id: 'u_1', phone: '139****4321', phone_number: '13987654321', identity_bound: true }
          : fail(400, 'INVALID_ARGUMENT', '手机号获取失败，请手动填写'),
    },
  })
}

test('a day with a waiting room: join, see the place and the turn, submit once admitted; out of turn shows the queue', async () => {
  let admission = { status: 'not_joined', office_id: 'sz-futian', date: '2026-07-14' }
  const w = formBackend({
    submit: () => fail(429, 'RATE_LIMITED', '当前排队人数较多，请按排队顺序稍后提交', { reason: 'admission' }),
    routes: {
      'GET /v1/bookings/admission': () => admission,
      'POST /v1/bookings/admission': (req) => {
        assert.deepEqual(req.body, { office_id: 'sz-futian', date: '2026-07-14' })
        admission = { ...admission, status: 'waiting', position: 12, turn_at: '2026-07-12T08:06:00+08:00' }
        return admission
      },
    },
  })
  const page = await openPage('book', SLOT)
  assert.match(text(page.querySelector('.queue')), /需排队预约/)
  assert.equal(page.instance.data.canSubmit, false)
  assert.match(text(page.querySelector('.submit')), /排到后可提交/)
  // Tapping submit before one's turn sends nothing.
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.deepEqual(posts(w), [])

  await tap(page.querySelector('.join-queue'))
  assert.match(text(page.querySelector('.queue')), /第 12 位.*08:06/)
  admission = { ...admission, status: 'admitted', until: '2026-07-12T08:16:00+08:00' }
  await tap(page.querySelector('.refresh-queue'))
  assert.match(text(page.querySelector('.queue')), /轮到您了.*08:16/)
  assert.equal(page.instance.data.canSubmit, true)

  // The turn lapsed meanwhile: the submit is refused and the page shows the queue again.
  admission = { ...admission, status: 'expired' }
  await tap(page.querySelector('.submit'))
  assert.equal(posts(w).filter((r) => r.path === '/v1/bookings').length, 1)
  assert.match(text(page.querySelector('.error')), /排队/)
  assert.match(text(page.querySelector('.queue')), /重新加入排队/)
  assert.ok(page.querySelector('.join-queue'))
})

test('a full period offers the waitlist: joined with the form as filled, its messages asked for, the place in line shown', async () => {
  const w = formBackend({
    submit: () => fail(409, 'SLOT_FULL', '该时段已约满，请选择其他时段'),
    routes: {
      'POST /v1/waitlist': (req) => ok({ waitlist_id: 'w_1', status: 'waiting', position: 4, ...req.body }, 201),
    },
  })
  const page = await openPage('book', SLOT)
  assert.equal(page.querySelector('.waitlist-offer'), undefined)
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '该时段已约满，请选择其他时段')
  assert.match(text(page.querySelector('.waitlist-offer')), /加入候补/)
  await tap(page.querySelector('.join-waitlist'))
  const join = posts(w).find((r) => r.path === '/v1/waitlist')
  assert.deepEqual(join.body, {
    applicant_id: 'a_self',
    service: 'passport',
    office_id: 'sz-futian',
    date: '2026-07-14',
    period_ids: ['am-2'],
    phone: '13812345678',
    pickup: { method: 'collect' },
  })
  assert.match(join.header['Idempotency-Key'], /^[A-Za-z0-9._:-]{8,128}$/)
  assert.notEqual(join.header['Idempotency-Key'], posts(w)[0].header['Idempotency-Key'], 'another submit, another key')
  assert.deepEqual(w.subscriptions.at(-1).tmplIds, ['dev-tmpl-waitlist-booked', 'dev-tmpl-waitlist-expired'])
  assert.ok(w.subscriptions.at(-1).requestsBefore <= w.requests.indexOf(join))
  assert.match(text(page.querySelector('.waitlist-entry')), /排第 4 位/)
  assert.equal(page.querySelector('.waitlist-offer'), undefined)
})

test('the terms behind the agreement box are shown, from the API, before agreeing', async () => {
  const w = formBackend()
  const page = await openPage('book', SLOT)
  assert.equal(page.querySelector('.terms'), undefined)
  await tap(page.querySelector('.show-terms'))
  assert.equal(text(page.querySelector('.terms .big')), '预约须知')
  assert.deepEqual(all(page, '.term').map(text), ['1. 可预约7天内的时段。', '2. 同一办理人同一业务只能有一个有效预约。'])
  assert.deepEqual(w.requests.filter((r) => r.path === '/v1/terms').length, 1)
  await tap(page.querySelector('.show-terms'))
  assert.equal(page.querySelector('.terms'), undefined, 'a second tap folds them')
})

test("the phone comes from WeChat's getPhoneNumber where the user allows it, else it is typed", async () => {
  const w = formBackend()
  const page = await openPage('book', SLOT)
  const button = page.querySelector('.phone-button')
  // Declined in WeChat's dialog: no code, nothing sent, the field stays empty for typing.
  button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  await settle()
  assert.deepEqual(posts(w), [])
  assert.equal(page.instance.data.phone, '')
  // Allowed: the code is exchanged by the backend and the confirmed number fills the form.
  button.dispatchEvent('getphonenumber', { detail: { code: 'wx-phone-code', errMsg: 'getPhoneNumber:ok' } })
  await settle()
  assert.deepEqual(posts(w).map((r) => [r.path, r.body]), [['/v1/me/phone', { code: 'wx-phone-code' }]])
  assert.equal(page.instance.data.phone, '13987654321')
  assert.equal(w.store.get('yuyue.user').phone, '139****4321', 'the stored user keeps the masked number only')
  assert.equal(w.store.get('yuyue.user').phone_number, undefined)
  // A code WeChat refuses shows why, and typing still works.
  button.dispatchEvent('getphonenumber', { detail: { code: 'stale' } })
  await settle()
  assert.equal(text(page.querySelector('.error')), '手机号获取失败，请手动填写')
  await type(page, '#phone', '13812345678')
  assert.equal(page.instance.data.phone, '13812345678')
  assert.doesNotMatch(text(page), /短信/, 'no SMS is promised: none is sent')
})


test('only people the user may book for are offered, themselves first', async () => {
  formBackend()
  const page = await openPage('book', SLOT)
  const people = all(page, '.applicant')
  assert.deepEqual(people.map(text), ['本人 韩*', '子女 韩**'], 'the pending invitation is not bookable')
  assert.ok(classes(people[0]).includes('on'))
  assert.match(text(page.querySelector('.summary')), /普通护照.*福田出入境大厅.*7月14日 周二 10:00 - 11:00/)
})

test('the form is checked before anything is sent: phone, address for mail, agreement', async () => {
  const w = formBackend()
  const page = await openPage('book', SLOT)
  const error = () => text(page.querySelector('.error'))
  await tap(page.querySelector('.submit'))
  assert.equal(error(), '请填写11位手机号码')
  await type(page, '#phone', '13812345678')
  await tap(all(page, '.pickup')[1])
  await tap(page.querySelector('.submit'))
  assert.equal(error(), '请填写邮寄地址')
  await type(page, '#address', '深圳市福田区福中三路1号')
  await tap(page.querySelector('.submit'))
  assert.equal(error(), '请先阅读并同意《预约须知》')
  assert.deepEqual(posts(w), [])
})

test('booking for the child, by mail: the body the API takes, with an Idempotency-Key, then the result', async () => {
  const w = formBackend()
  const page = await openPage('book', SLOT)
  await tap(all(page, '.applicant')[1])
  await type(page, '#phone', '13812345678')
  await tap(all(page, '.pickup')[1])
  await type(page, '#address', '深圳市福田区福中三路1号')
  await tap(page.querySelector('.agree'))
  assert.ok(classes(page.querySelector('.agree')).includes('on'))
  await tap(page.querySelector('.submit'))

  const [req] = posts(w)
  assert.equal(req.path, '/v1/bookings')
  assert.deepEqual(req.body, {
    applicant_id: 'a_kid',
    service: 'passport',
    office_id: 'sz-futian',
    date: '2026-07-14',
    period_id: 'am-2',
    phone: '13812345678',
    pickup: { method: 'mail', address: '深圳市福田区福中三路1号' },
    agree_terms: true,
  })
  assert.match(req.header['Idempotency-Key'], /^[A-Za-z0-9._:-]{8,128}$/)
  assert.deepEqual(w.navigations, [['redirectTo', '/pages/result/result?no=K7Q2M9X4T1AB']])
  // The booking's messages were asked for in the tap, before the submit went out: WeChat
  // delivers none that the user did not allow.
  assert.deepEqual(
    w.subscriptions.map((s) => s.tmplIds),
    [['dev-tmpl-confirmed', 'dev-tmpl-reminder', 'dev-tmpl-cancelled']],
  )
  assert.ok(w.subscriptions[0].requestsBefore <= w.requests.indexOf(req), 'asked before the submit')
})

test('a service that cannot be mailed offers collection only; a hall needing a photo receipt asks for it', async () => {
  const w = formBackend({ mail: false, receiptFor: ['passport'] })
  const page = await openPage('book', SLOT)
  assert.deepEqual(all(page, '.pickup').map(text), ['到大厅领取'])
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '请填写照片回执号')
  await type(page, '#receipt', 'ZP20260712001')
  await tap(page.querySelector('.submit'))
  const [req] = posts(w)
  assert.equal(req.body.photo_receipt_no, 'ZP20260712001')
  assert.deepEqual(req.body.pickup, { method: 'collect' })
  assert.equal(req.body.applicant_id, 'a_self')
})

test('a refusal is shown in Chinese and the user stays on the form; tapping again is a new submit', async () => {
  const w = formBackend({ submit: () => fail(409, 'SLOT_FULL', '该时段已约满，请选择其他时段') })
  const page = await openPage('book', SLOT)
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '该时段已约满，请选择其他时段')
  assert.deepEqual(w.navigations, [])
  await tap(page.querySelector('.submit'))
  const keys = posts(w).map((r) => r.header['Idempotency-Key'])
  assert.equal(keys.length, 2)
  assert.notEqual(keys[0], keys[1])
})

const PAYLOAD = 'YY1.K7Q2M9X4T1AB.sz-futian.20260714.am-2.q3Jd0-x_8PZk1Vn2cH7mYt4RwLs9aEuBgOiKj6NfXbD5CyMzWl0hTe3oUvA1pSrQ2xGdI7kLnFb8Jw4Ye9ZmHg'

function booking(no, status, extra = {}) {
  return {
    booking_no: no,
    booking_no_display: `${no.slice(0, 4)} ${no.slice(4, 8)} ${no.slice(8)}`,
    status,
    applicant: { applicant_id: 'a_kid', name: '韩**', document: '1101**********0023' },
    service: 'passport',
    office_id: 'sz-futian',
    date: '2026-07-14',
    period_id: 'am-2',
    start: '10:00',
    end: '11:00',
    phone: '138****5678',
    pickup: { method: 'collect' },
    qr_payload: status === 'booked' ? PAYLOAD : null,
    ...extra,
  }
}

test('the result shows the booking and a QR code that scans to its qr_payload', async () => {
  const w = install({
    storage: signedIn(),
    routes: {
      'GET /v1/bookings/:no': (req) => booking(req.params.no, 'booked'),
      'GET /v1/offices/:id': () => ({ office_id: 'sz-futian', name: '福田出入境大厅', address: '福中三路1号' }),
    },
  })
  const page = await openPage('result', { no: 'K7Q2M9X4T1AB' })
  assert.deepEqual(w.requests.map((r) => r.path), ['/v1/bookings/K7Q2M9X4T1AB', '/v1/offices/sz-futian'])
  assert.equal(text(page.querySelector('.status')), '已预约')
  assert.match(text(page.querySelector('.booking-no')), /K7Q2 M9X4 T1AB/)
  assert.match(text(page.querySelector('.details')), /韩\*\*.*2026-07-14 10:00 - 11:00.*福田出入境大厅/)
  assert.ok(page.querySelector('.qr'), 'the QR image is rendered')
  assert.equal(decodeDataUri(page.instance.data.qrSrc), PAYLOAD)
})

test('a cancelled booking has no QR code', async () => {
  install({
    storage: signedIn(),
    routes: { 'GET /v1/bookings/:no': (req) => booking(req.params.no, 'cancelled'), 'GET /v1/offices/:id': () => ({ name: '福田' }) },
  })
  const page = await openPage('result', { no: 'K7Q2M9X4T1AB' })
  assert.equal(text(page.querySelector('.status')), '已取消')
  assert.equal(page.querySelector('.qr'), undefined)
})

function listBackend(modal = true) {
  const list = [booking('K7Q2M9X4T1AB', 'booked'), booking('Z9Y8X7W6V5UA', 'checked_in', { service: 'id_card' })]
  const w = install({
    storage: signedIn(),
    modal,
    routes: {
      'GET /v1/bookings': () => ({ bookings: list }),
      'POST /v1/bookings/:no/cancel': (req) => {
        const b = list.find((x) => x.booking_no === req.params.no)
        b.status = 'cancelled'
        return { ...b, qr_payload: null }
      },
    },
  })
  return w
}

test('my bookings: each with its status; only a booked one can be cancelled, after a confirmation', async () => {
  const w = listBackend()
  const page = await openPage('bookings')
  const cards = all(page, '.booking')
  assert.equal(cards.length, 2)
  assert.deepEqual(all(page, '.status').map(text), ['已预约', '已到场'])
  assert.equal(all(page, '.cancel').length, 1)

  await tap(page.querySelector('.cancel'))
  assert.equal(w.modals.length, 1)
  assert.match(w.modals[0].content, /2026-07-14 10:00 - 11:00 的普通护照/)
  const cancel = w.requests.filter((r) => r.method === 'POST')
  assert.deepEqual(cancel.map((r) => r.path), ['/v1/bookings/K7Q2M9X4T1AB/cancel'])
  assert.equal(w.requests.filter((r) => r.path === '/v1/bookings').length, 2, 'the list is read again')
  assert.deepEqual(all(page, '.status').map(text), ['已取消', '已到场'])
  assert.equal(all(page, '.cancel').length, 0)
  assert.equal(text(page.querySelector('.notice')), '预约已取消')
  assert.deepEqual(w.navigations, [], 'the cancel button does not open the booking')
})

test('my bookings: declining the confirmation cancels nothing; a tap on a booking opens it', async () => {
  const w = listBackend(false)
  const page = await openPage('bookings')
  await tap(page.querySelector('.cancel'))
  assert.deepEqual(w.requests.filter((r) => r.method === 'POST'), [])
  await tap(all(page, '.booking')[1])
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/result/result?no=Z9Y8X7W6V5UA']])
})

test('my bookings: the cancellation cutoff and quota are said before a cancel; my waitlist, left after a confirmation', async () => {
  const entries = [
    { waitlist_id: 'wl_1', status: 'waiting', status_label: '候补中', position: 3, service: 'passport', date: '2026-07-15', period_ids: ['am-1'] },
    { waitlist_id: 'wl_2', status: 'booked', status_label: '已约上', booking_no: 'K7Q2M9X4T1AB', service: 'passport', date: '2026-07-14', period_ids: ['am-2'] },
    { waitlist_id: 'wl_3', status: 'cancelled', status_label: '已退出', service: 'id_card', date: '2026-07-16', period_ids: ['am-1'] },
  ]
  const w = install({
    storage: signedIn(),
    routes: {
      'GET /v1/bookings': () => ({ bookings: [booking('K7Q2M9X4T1AB', 'booked')] }),
      'GET /v1/waitlist': () => ({ entries }),
      'GET /v1/terms': () => ({
        rules_version: 3,
        title: '预约须知',
        items: [{ id: 'cancellation', text: '如需取消，请在时段开始前120分钟之前操作；30天内最多取消3次，超过后暂不能预约。' }],
      }),
      'DELETE /v1/waitlist/:id': (req) => {
        const x = entries.find((e) => e.waitlist_id === req.params.id)
        Object.assign(x, { status: 'cancelled', status_label: '已退出', position: null })
        return x
      },
      'POST /v1/bookings/:no/cancel': () => fail(409, 'CANCEL_TOO_LATE', '距开始不足120分钟，已不能取消'),
    },
  })
  const page = await openPage('bookings')
  assert.match(text(page.querySelector('.cancel-rule')), /120分钟.*最多取消3次/)
  const cards = all(page, '.entry')
  assert.equal(cards.length, 2, 'a left entry is not listed')
  assert.match(text(cards[0]), /普通护照.*候补中.*排第 3 位/)
  assert.match(text(cards[1]), /已约上.*K7Q2M9X4T1AB/)
  assert.equal(all(page, '.leave').length, 1, 'only a waiting entry can be left')

  // The cancel dialog says the rule; a cancel too late shows the backend's reason.
  await tap(page.querySelector('.cancel'))
  assert.match(w.modals[0].content, /的普通护照预约吗？\n如需取消，请在时段开始前120分钟/)
  assert.equal(text(page.querySelector('.error')), '距开始不足120分钟，已不能取消')

  await tap(page.querySelector('.leave'))
  assert.match(w.modals[1].content, /退出 2026-07-15 的普通护照候补/)
  assert.deepEqual(w.requests.filter((r) => r.method === 'DELETE').map((r) => r.path), ['/v1/waitlist/wl_1'])
  assert.equal(text(page.querySelector('.notice')), '已退出候补')
  assert.equal(all(page, '.entry').length, 1)
  assert.equal(all(page, '.leave').length, 0)
})

test('elder mode asks one thing per screen: who, phone, pickup, then the terms and the submit', async () => {
  const w = formBackend()
  w.store.set('yuyue.elder', true)
  const page = await openPage('book', SLOT)
  const shown = (sel) => all(page, sel).length
  assert.equal(text(page.querySelector('.step-of')), '第 1 步，共 4 步')
  assert.equal(shown('.applicant'), 2)
  assert.deepEqual([shown('#phone'), shown('.pickup'), shown('.agree'), shown('.submit'), shown('.prev-step')], [0, 0, 0, 0, 0])

  await tap(page.querySelector('.next-step'))
  assert.equal(text(page.querySelector('.step-of')), '第 2 步，共 4 步')
  assert.deepEqual([shown('.applicant'), shown('#phone')], [0, 1])
  // What this screen asks must be given before the next one opens.
  await tap(page.querySelector('.next-step'))
  assert.equal(text(page.querySelector('.error')), '请填写11位手机号码')
  assert.equal(text(page.querySelector('.step-of')), '第 2 步，共 4 步')
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.next-step'))
  assert.equal(shown('.pickup'), 2)
  await tap(page.querySelector('.next-step'))
  assert.equal(text(page.querySelector('.step-of')), '第 4 步，共 4 步')
  assert.deepEqual([shown('.next-step'), shown('.submit'), shown('.agree')], [0, 1, 1])

  // Back works, and what was typed stays.
  await tap(page.querySelector('.prev-step'))
  await tap(page.querySelector('.prev-step'))
  assert.equal(page.instance.data.phone, '13812345678')
  await tap(page.querySelector('.next-step'))
  await tap(page.querySelector('.next-step'))
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.deepEqual(posts(w).map((r) => r.path), ['/v1/bookings'])
  assert.deepEqual(w.navigations, [['redirectTo', '/pages/result/result?no=K7Q2M9X4T1AB']])
})
