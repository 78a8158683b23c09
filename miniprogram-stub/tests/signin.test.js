// Before booking: sign-in, real-name binding, the home page's services, halls by city, a hall.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, tap, type, classes, text, all, fail, signedIn, idNumber, withCheck } = require('./harness')

const SESSION = (bound) => ({
  access_token: 'at-1',
  refresh_token: 'yrt_1',
  expires_in: 900,
  user: { user_id: 'u_1', identity_bound: bound, identity: bound ? { applicant_id: 'a_self', name: '张*' } : null },
})

test('sign-in: the wx.login code goes to the backend; a new user is taken to real-name binding', async () => {
  const w = install({ loginCode: 'c0de', routes: { 'POST /v1/auth/wechat': () => SESSION(false) } })
  const page = await openPage('login')
  await tap(page.querySelector('.sign-in'))
  assert.deepEqual(w.requests.map((r) => [r.method, r.path, r.body]), [['POST', '/v1/auth/wechat', { code: 'dev-devtools~c0de' }]])
  assert.deepEqual(w.navigations, [['redirectTo', '/pages/identity/identity']])
  assert.equal(w.store.get('yuyue.tokens').access_token, 'at-1')
})

test('sign-in: a user already bound goes home; a refusal is shown in Chinese', async () => {
  let answer = SESSION(true)
  const w = install({ routes: { 'POST /v1/auth/wechat': () => answer } })
  const page = await openPage('login')
  await tap(page.querySelector('.sign-in'))
  assert.deepEqual(w.navigations, [['reLaunch', '/pages/home/home']])

  answer = fail(429, 'RATE_LIMITED', '操作过于频繁，请稍后再试')
  await tap(page.querySelector('.sign-in'))
  assert.equal(text(page.querySelector('.error')), '操作过于频繁，请稍后再试')
  assert.equal(w.navigations.length, 1)
})

test('real-name binding: a mistyped ID number is caught before any request', async () => {
  const w = install({ storage: signedIn({ identity_bound: false, identity: null }) })
  const page = await openPage('identity')
  const good = idNumber('19800214', 7)
  await type(page, '#name', '张三')
  await type(page, '#id-number', good.slice(0, 17) + (good[17] === '1' ? '2' : '1'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '身份证号码有误，请核对后重新填写')
  assert.equal(w.requests.length, 0)
})

test('real-name binding: name, ID number and the face check are sent; then home', async () => {
  const id = idNumber('19800214', 7)
  const w = install({
    storage: signedIn({ identity_bound: false, identity: null }),
    routes: { 'POST /v1/me/identity': (req) => ({ user_id: 'u_1', identity_bound: true, identity: { applicant_id: 'a_self', name: req.body.name[0] + '*' } }) },
  })
  const page = await openPage('identity')
  await type(page, '#name', ' 张三 ')
  await type(page, '#id-number', id.toLowerCase())
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, { name: '张三', id_number: id, verify_token: 'dev-ok' })
  assert.deepEqual(w.navigations, [['reLaunch', '/pages/home/home']])
  assert.equal(w.store.get('yuyue.user').identity.name, '张*')
})

test('real-name binding: a failed face check says so', async () => {
  install({
    storage: signedIn({ identity_bound: false, identity: null }),
    routes: { 'POST /v1/me/identity': () => fail(403, 'IDENTITY_VERIFICATION_FAILED', '人脸核验未通过，请本人重新核验') },
  })
  const page = await openPage('identity')
  await type(page, '#name', '张三')
  await type(page, '#id-number', idNumber('19800214', 7))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '人脸核验未通过，请本人重新核验')
})

const SERVICES = [
  { service_id: 'passport', name: '普通护照', fee_fen: 12000, fee_yuan: '120.00', processing_working_days: 7, pickup_methods: ['collect', 'mail'], for_foreigners: false },
  { service_id: 'id_card', name: '居民身份证', fee_fen: 2000, fee_yuan: '20.00', processing_working_days: 20, pickup_methods: ['collect'], for_foreigners: false },
]

test('home: the services come from the API; a tap opens the guide of the service', async () => {
  const w = install({ storage: signedIn(), routes: { 'GET /v1/services': () => ({ services: SERVICES }) } })
  const page = await openPage('home')
  const tiles = all(page, '.service')
  assert.equal(tiles.length, 2)
  assert.match(text(tiles[0]), /普通护照.*120\.00 元.*7 个工作日/)
  assert.match(text(page), /您好，张\*/)
  await tap(tiles[1])
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/guide/guide?service=id_card']])
})

const GUIDE = {
  ...SERVICES[1],
  materials: ['居民户口簿', '近期免冠照片（或照片回执号）'],
  procedure: ['取号', '采集指纹', '缴费', '领取回执'],
  pickup_options: [{ method: 'collect', name: '到大厅领取', description: '凭回执领取' }],
  photo_rules: { spec: '白底、不戴帽子', receipt: '部分大厅需照片回执号' },
  notes: ['未满16周岁需监护人陪同'],
  photo_receipt_required_at: [],
}

test('guide: what to bring, the numbered steps, the fee and the time, then the halls', async () => {
  const w = install({ routes: { 'GET /v1/services/:id/guide': (req) => (req.params.id === 'id_card' ? GUIDE : fail(404, 'NOT_FOUND', '未找到')) } })
  const page = await openPage('guide', { service: 'id_card' })
  assert.match(text(page.querySelector('.summary')), /居民身份证.*20\.00 元.*20 个工作日/)
  assert.deepEqual(all(page, '.material').map(text), ['· 居民户口簿', '· 近期免冠照片（或照片回执号）'])
  assert.deepEqual(all(page, '.step').map(text), ['1. 取号', '2. 采集指纹', '3. 缴费', '4. 领取回执'])
  assert.match(text(page.querySelector('.pickups')), /到大厅领取.*凭回执领取/)
  assert.match(text(page.querySelector('.photo')), /白底/)
  assert.deepEqual(all(page, '.note').map(text), ['未满16周岁需监护人陪同'])
  // Read without signing in: a guide is public.
  assert.deepEqual(w.requests.map((r) => [r.method, r.path, r.header.Authorization]), [['GET', '/v1/services/id_card/guide', undefined]])
  await tap(page.querySelector('.choose'))
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/offices/offices?service=id_card']])
})

test('guide: an unknown service says so, and offers no halls', async () => {
  install({ routes: { 'GET /v1/services/:id/guide': () => fail(404, 'NOT_FOUND', '未找到该业务') } })
  const page = await openPage('guide', { service: 'nope' })
  assert.equal(text(page.querySelector('.error')), '未找到该业务')
  assert.equal(page.querySelector('.choose'), undefined)
})

test('elder mode: the home switch turns it on for every page, larger type, and it stays on', async () => {
  const w = install({ storage: signedIn(), routes: { 'GET /v1/services': () => ({ services: SERVICES }), 'GET /v1/services/:id/guide': () => GUIDE } })
  const home = await openPage('home')
  const root = (page) => classes(page.querySelector('.page'))
  assert.ok(!root(home).includes('elder'))
  await tap(home.querySelector('.elder-switch'))
  assert.ok(root(home).includes('elder'), 'at once on the page that switched it')
  assert.equal(w.store.get('yuyue.elder'), true, 'kept across launches')
  // Another page opened after is in elder mode too; the switch turns it off again.
  assert.ok(root(await openPage('guide', { service: 'id_card' })).includes('elder'))
  await tap(home.querySelector('.elder-switch'))
  assert.equal(w.store.get('yuyue.elder'), false)
  assert.ok(!root(await openPage('guide', { service: 'id_card' })).includes('elder'))
})

test('home: "我的" needs a login first', async () => {
  const w = install({ routes: { 'GET /v1/services': () => ({ services: SERVICES }) } })
  const page = await openPage('home')
  assert.ok(page.querySelector('.sign-in'))
  await tap(all(page, '.menu-item')[0])
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/login/login']])

  const w2 = install({ storage: signedIn(), routes: { 'GET /v1/services': () => ({ services: SERVICES }) } })
  const again = await openPage('home')
  await tap(all(again, '.menu-item')[0])
  assert.deepEqual(w2.navigations, [['navigateTo', '/pages/bookings/bookings']])
})

const hall = (id, city, cityName, extra = {}) => ({
  office_id: id,
  name: `${cityName}${id}出入境大厅`,
  city: { city_id: city, name: cityName },
  district: '某区',
  address: '某路1号',
  opening_hours: '周一至周六 09:00-12:00',
  phone: '010-12345678',
  services: [{ service_id: 'passport', name: '普通护照' }, { service_id: 'id_card', name: '居民身份证' }],
  requires_photo_receipt: false,
  photo_receipt_required_for: [],
  location: null,
  ...extra,
})

test('halls: cities come from the halls offering the service; picking one asks for that city', async () => {
  const w = install({
    routes: {
      'GET /v1/offices': (req) => ({
        offices: [hall('bj-dongcheng', 'bj', '北京'), hall('bj-haidian', 'bj', '北京'), hall('sh-pudong', 'sh', '上海')].filter((o) => !req.query.city || o.city.city_id === req.query.city),
      }),
    },
  })
  const page = await openPage('offices', { service: 'passport' })
  assert.deepEqual(w.requests[0].query, { service: 'passport' })
  assert.deepEqual(all(page, '.city').map(text), ['北京', '上海'])
  assert.ok(classes(all(page, '.city')[0]).includes('on'))
  assert.equal(all(page, '.office').length, 2)

  await tap(all(page, '.city')[1])
  assert.deepEqual(w.requests[1].query, { city: 'sh', service: 'passport' })
  const offices = all(page, '.office')
  assert.equal(offices.length, 1)
  assert.match(text(offices[0]), /^上海sh-pudong出入境大厅/)
  await tap(all(page, '.office')[0])
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/office/office?id=sh-pudong&service=passport']])
})

test('a hall: its details, the photo-receipt notice where needed, and on to the slot picker', async () => {
  const w = install({ routes: { 'GET /v1/offices/:id': (req) => hall(req.params.id, 'sz', '深圳', { requires_photo_receipt: true, photo_receipt_required_for: ['id_card'] }) } })
  const page = await openPage('office', { id: 'sz-futian', service: 'passport' })
  assert.match(text(page), /深圳sz-futian出入境大厅/)
  assert.equal(page.querySelector('.receipt'), undefined)
  await tap(all(page, '.service')[1])
  assert.match(text(page.querySelector('.receipt')), /照片回执号/)
  await tap(page.querySelector('.choose'))
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/slots/slots?office=sz-futian&service=id_card']])
})

test('a hall with its place on the map opens it in the map, from where the route is one tap', async () => {
  const w = install({ routes: { 'GET /v1/offices/:id': (req) => hall(req.params.id, 'sz', '深圳', { location: { lat: 22.5431, lng: 114.0579 } }) } })
  const page = await openPage('office', { id: 'sz-futian', service: 'passport' })
  await tap(page.querySelector('.map'))
  assert.deepEqual(w.navigations, [
    ['openLocation', { latitude: 22.5431, longitude: 114.0579, name: '深圳sz-futian出入境大厅', address: '某路1号', scale: 16 }],
  ])
  install({ routes: { 'GET /v1/offices/:id': (req) => hall(req.params.id, 'sz', '深圳') } })
  assert.equal((await openPage('office', { id: 'sz-futian', service: 'passport' })).querySelector('.map'), undefined, 'no place, no map')
})

test('a hall that does not offer the service cannot go on to book it', async () => {
  const w = install({ routes: { 'GET /v1/offices/:id': (req) => hall(req.params.id, 'sh', '上海') } })
  const page = await openPage('office', { id: 'sh-pudong', service: 'visa_extension' })
  assert.match(text(page.querySelector('.not-offered')), /不办理签证延期/)
  await tap(page.querySelector('.choose'))
  assert.deepEqual(w.navigations, [])
})

test('real-name binding with a passport: the Latin name, the passport and an optional Chinese name are sent', async () => {
  const w = install({
    storage: signedIn({ identity_bound: false, identity: null }),
    routes: { 'POST /v1/me/identity': () => ({ user_id: 'u_1', identity_bound: true, identity: { applicant_id: 'a_self', name: 'S**** J***' } }) },
  })
  const page = await openPage('identity')
  await tap(page.querySelector('#kind-passport'))
  await type(page, '#name', 'SMITH JOHN')
  await type(page, '#passport-no', 'e1')
  await type(page, '#nationality', 'usa')
  await tap(page.querySelector('.submit'))
  assert.match(text(page.querySelector('.error')), /Passport number/)
  assert.equal(w.requests.length, 0)
  await type(page, '#passport-no', 'e12345678')
  await type(page, '#name-zh', '约翰')
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, {
    name: 'SMITH JOHN',
    name_zh: '约翰',
    passport: { number: 'E12345678', nationality: 'USA' },
    verify_token: 'dev-ok',
  })
  assert.deepEqual(w.navigations, [['reLaunch', '/pages/home/home']])
})

test('real-name binding with a permanent residence card checks its check character first', async () => {
  const w = install({
    storage: signedIn({ identity_bound: false, identity: null }),
    routes: { 'POST /v1/me/identity': () => ({ user_id: 'u_1', identity_bound: true, identity: { applicant_id: 'a_self', name: 'M****** A***' } }) },
  })
  const page = await openPage('identity')
  await tap(page.querySelector('#kind-pr'))
  await type(page, '#name', 'MUELLER ANNA')
  const number = withCheck('9' + idNumber('19850412', 1).slice(1, 17))
  const good = number.slice(0, 17)
  const check = number[17]
  await type(page, '#pr-number', good + (check === '0' ? '1' : '0'))
  await tap(page.querySelector('.submit'))
  assert.match(text(page.querySelector('.error')), /Permanent residence/)
  await type(page, '#pr-number', good + check)
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, { name: 'MUELLER ANNA', permanent_residence_id: good + check, verify_token: 'dev-ok' })
})
