// On a phone set to English the pages speak English: their own labels and checks, the labels of
// the API's codes, and every request asks the backend for English (whose messages then show).
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, tap, type, text, all, ok, fail, signedIn } = require('./harness')

const CJK = /[\u4e00-\u9fff]/

const SERVICES = [{ service_id: 'visa_extension', name: 'Visa extension', fee_yuan: '160.00', processing_working_days: 7, pickup_methods: ['collect'] }]

test('home on an English phone: English labels, and English asked of the backend', async () => {
  const w = install({ language: 'en', storage: signedIn({ identity: { applicant_id: 'a_self', name: 'S**** J***' } }), routes: { 'GET /v1/services': () => ({ services: SERVICES }) } })
  const page = await openPage('home')
  assert.equal(text(page.querySelector('.section-title')), 'What do you need?')
  assert.equal(text(page.querySelector('.service .muted')), 'Fee ¥160.00 · about 7 working days')
  assert.equal(text(page.querySelector('.elder-switch')), 'Large text mode')
  assert.deepEqual(all(page, '.menu-item').map(text), ['My bookings', 'Progress', 'My documents', 'Family & helpers', 'Activity record'])
  assert.doesNotMatch(text(page), CJK)
  assert.equal(w.requests[0].header['Accept-Language'], 'en')
})

test('the booking form in English: its checks in English, the backend’s refusal in the language it was asked for', async () => {
  const w = install({
    language: 'en-US',
    storage: signedIn(),
    routes: {
      'GET /v1/applicants': () => ({ applicants: [{ applicant_id: 'a_self', name: 'S**** J***', relation: 'self', is_self: true, status: 'active' }] }),
      'GET /v1/offices/:id': (req) => ({ office_id: req.params.id, name: 'Futian Exit-Entry Hall', photo_receipt_required_for: [], services: [] }),
      'GET /v1/services': () => ({ services: SERVICES }),
      'GET /v1/bookings/admission': () => ({ status: 'off' }),
      'POST /v1/bookings': (req) => fail(409, 'SLOT_FULL', req.header['Accept-Language'] === 'en' ? 'This time is fully booked.' : '该时段已约满'),
    },
  })
  const page = await openPage('book', { office: 'sz-futian', service: 'visa_extension', date: '2026-07-12', period: 'am-1', start: '09:00', end: '10:00' })
  assert.match(text(page.querySelector('.summary')), /Visa extension.*Sun 12 Jul 09:00 - 10:00/)
  assert.equal(text(page.querySelector('.applicant')), 'Myself, S**** J***')
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), 'Enter an 11-digit mobile number')
  await type(page, '#phone', '13812345678')
  await tap(page.querySelector('.agree'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), 'This time is fully booked.')
  assert.match(text(page.querySelector('.waitlist-offer')), /^This time is full\./)
  assert.doesNotMatch(text(page).replace(/S\*+ J\*+/g, ''), CJK)
  assert.equal(w.requests.filter((r) => r.method === 'POST').length, 1)
})

test('my documents in English: validity, the expiry warning and the way to renew', async () => {
  const w = install({
    language: 'en',
    storage: signedIn(),
    routes: {
      'GET /v1/documents': () =>
        ok({
          documents: [
            { document_id: 'd1', type: 'residence_permit', applicant: { name: 'S**** J***' }, number: 'E***5678', valid_until: '2026-08-01', expiring_soon: true, expired: false },
          ],
        }),
    },
  })
  const page = await openPage('documents')
  const doc = page.querySelector('.document')
  assert.equal(text(doc), 'Residence permitHolder: S**** J***Number: E***5678Valid until 2026-08-01Expires soon: renew it in timeBook a renewal')
  await tap(page.querySelector('.renew'))
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/guide/guide?service=residence_permit']])
})

test('a confirmation on an English phone asks in English, its way out included', async () => {
  const w = install({
    language: 'en',
    modal: false,
    storage: signedIn(),
    routes: {
      'GET /v1/bookings': () => ({
        bookings: [{ booking_no: 'K7Q2M9X4T1AB', status: 'booked', service: 'passport', applicant: { name: 'S**** J***' }, date: '2026-07-14', start: '10:00', end: '11:00' }],
      }),
    },
  })
  const page = await openPage('bookings')
  await tap(page.querySelector('.cancel'))
  const [modal] = w.modals
  assert.deepEqual([modal.title, modal.confirmText, modal.cancelText], ['Cancel booking', 'Cancel it', 'Not now'])
  assert.equal(modal.content, 'Cancel the Passport booking on 2026-07-14 10:00 - 11:00?')
  assert.deepEqual(w.requests.filter((r) => r.method === 'POST'), [], 'declined: nothing cancelled')
})
