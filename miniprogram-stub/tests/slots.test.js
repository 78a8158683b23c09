// The slot picker: seven days of periods; only `available` ones can be chosen. A full or closed
// period is greyed out (class `disabled`) and a tap on it selects nothing.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, tap, classes, text, all, fail, signedIn } = require('./harness')

const DATES = ['2026-07-13', '2026-07-14', '2026-07-15', '2026-07-16', '2026-07-17', '2026-07-18', '2026-07-19']

function period(id, start, status, remaining, extra = {}) {
  return { period_id: id, start, end: `${String(Number(start.slice(0, 2)) + 1).padStart(2, '0')}:00`, capacity: 5, remaining, status, ...extra }
}

/** Day 1 (a Monday) has one available, one full and one closed period; day 2 is a holiday. */
function slotPage() {
  return {
    office_id: 'sz-futian',
    from: DATES[0],
    to: DATES[6],
    clamped: false,
    window: { first: DATES[0], last: DATES[6] },
    as_of: '2026-07-12T10:00:00.000+08:00',
    days: DATES.map((date, i) => ({
      date,
      weekday: i + 1,
      holiday: i === 1,
      status: i === 1 ? 'closed' : 'available',
      periods:
        i === 0
          ? [period('am-1', '09:00', 'full', 0), period('am-2', '10:00', 'available', 3), period('pm-1', '14:00', 'closed', 0, { closed_reason: 'not_released' })]
          : i === 1
            ? [period('am-1', '09:00', 'closed', 0, { closed_reason: 'holiday' })]
            : [period('am-1', '09:00', 'available', 5)],
    })),
  }
}

async function openSlots() {
  const w = install({ storage: signedIn(), routes: { 'GET /v1/offices/:id/slots': () => slotPage() } })
  const page = await openPage('slots', { office: 'sz-futian', service: 'passport' })
  return { w, page }
}

const periodEl = (page, id) => all(page, '.period').find((el) => el.dom.getAttribute('data-period') === id)

test('asks for the hall and service, and shows the seven days with their labels', async () => {
  const { w, page } = await openSlots()
  assert.deepEqual(w.requests.map((r) => [r.method, r.path, r.query]), [['GET', '/v1/offices/sz-futian/slots', { service: 'passport' }]])
  const days = all(page, '.day')
  assert.equal(days.length, 7)
  assert.match(text(days[0]), /7月13日 周一/)
  assert.ok(classes(days[0]).includes('on'), 'the first day with a free period is shown')
  assert.ok(classes(days[1]).includes('closed'), 'the holiday is greyed')
  assert.equal(all(page, '.period').length, 3)
})

for (const [id, status, note] of [['am-1', 'full', '已约满'], ['pm-1', 'closed', '尚未开放']]) {
  test(`a ${status} period is greyed out and cannot be selected`, async () => {
    const { w, page } = await openSlots()
    const el = periodEl(page, id)
    assert.ok(el, `${id} is rendered`)
    assert.ok(classes(el).includes('disabled'), `${status} period has the disabled class: ${classes(el)}`)
    assert.match(text(el), new RegExp(note))

    await tap(el)
    assert.equal(page.instance.data.selected, '', 'tapping it selects nothing')
    assert.ok(!classes(periodEl(page, id)).includes('on'))
    await tap(page.querySelector('.next'))
    assert.deepEqual(w.navigations, [], 'nothing to go on with')
  })
}

test('an available period is selected by a tap and carried to the booking form', async () => {
  const { w, page } = await openSlots()
  const el = periodEl(page, 'am-2')
  assert.ok(!classes(el).includes('disabled'))
  assert.match(text(el), /余 3 个/)
  await tap(el)
  assert.ok(classes(periodEl(page, 'am-2')).includes('on'))

  // A full period tapped afterwards does not take the selection away.
  await tap(periodEl(page, 'am-1'))
  assert.equal(page.instance.data.selected, 'am-2')

  await tap(page.querySelector('.next'))
  assert.deepEqual(w.navigations, [
    ['navigateTo', '/pages/book/book?office=sz-futian&service=passport&date=2026-07-13&period=am-2&start=10:00&end=11:00'],
  ])
})

test('another day shows its own periods; a holiday has nothing to choose', async () => {
  const { page } = await openSlots()
  await tap(periodEl(page, 'am-2'))
  await tap(all(page, '.day')[1])
  assert.equal(page.instance.data.selected, '', 'changing the day clears the choice')
  const periods = all(page, '.period')
  assert.equal(periods.length, 1)
  assert.ok(classes(periods[0]).includes('disabled'))
  assert.match(text(periods[0]), /节假日/)
  await tap(periods[0])
  assert.equal(page.instance.data.selected, '')

  await tap(all(page, '.day')[2])
  const open = all(page, '.period')
  assert.ok(!classes(open[0]).includes('disabled'))
  await tap(open[0])
  assert.equal(page.instance.data.selected, 'am-1')
})

test('an API error is shown in Chinese', async () => {
  install({ storage: signedIn(), routes: { 'GET /v1/offices/:id/slots': () => fail(400, 'INVALID_ARGUMENT', '该大厅不办理此业务') } })
  const page = await openPage('slots', { office: 'sz-futian', service: 'visa_extension' })
  assert.equal(text(page.querySelector('.error')), '该大厅不办理此业务')
  assert.equal(all(page, '.period').length, 0)
})
