// 亲友帮办: adding a child or inviting an adult, accepting an invitation, unlinking, revoking a
// helper, and the audit list of what anyone did for the user.
const test = require('node:test')
const assert = require('node:assert/strict')
const { install, openPage, tap, type, classes, text, all, fail, signedIn, idNumber, bornAgo } = require('./harness')

const SELF = { applicant_id: 'a_self', name: '韩*', relation: 'self', is_self: true, status: 'active' }

function helpersBackend() {
  const state = {
    applicants: [SELF, { applicant_id: 'a_kid', name: '韩**', relation: 'child', is_self: false, status: 'active' }, { applicant_id: 'a_mum', name: '李**', relation: 'parent', is_self: false, status: 'pending' }],
    helpers: [{ user_id: 'u_son', name: '韩*', relation: 'parent', status: 'active', consent: 'invitation', since: '2026-07-01T10:00:00+08:00' }],
  }
  const w = install({
    storage: signedIn(),
    routes: {
      'GET /v1/applicants': () => ({ applicants: state.applicants }),
      'GET /v1/me/helpers': () => ({ helpers: state.helpers }),
      'DELETE /v1/applicants/:id': (req) => {
        state.applicants = state.applicants.filter((a) => a.applicant_id !== req.params.id)
        return { removed: true }
      },
      'DELETE /v1/me/helpers/:id': (req) => {
        state.helpers = state.helpers.filter((h) => h.user_id !== req.params.id)
        return { revoked: true }
      },
      'POST /v1/applicants/invitations/:code/accept': (req) => {
        if (req.params.code !== 'ABCD-EFGH-12345') return fail(404, 'NOT_FOUND', '邀请码不存在或已失效')
        const helper = { user_id: 'u_daughter', name: '王*', relation: 'parent', status: 'active', consent: 'invitation' }
        state.helpers.push(helper)
        return helper
      },
    },
  })
  return w
}

test('helpers: whom I act for (not myself), who acts for me, with their status', async () => {
  helpersBackend()
  const page = await openPage('helpers')
  const principals = all(page, '.principal').map(text)
  assert.equal(principals.length, 2)
  assert.match(principals[0], /子女 韩\*\*.*可代办/)
  assert.match(principals[1], /父母 李\*\*.*等待对方确认/)
  assert.match(text(page.querySelector('.helper')), /韩\*.*可代办/)
})

test('unlinking a principal and revoking a helper each ask first, then reload', async () => {
  const w = helpersBackend()
  const page = await openPage('helpers')
  await tap(all(page, '.remove')[1])
  await tap(page.querySelector('.revoke'))
  assert.deepEqual(w.modals.map((m) => m.title), ['解除帮办', '撤销授权'])
  assert.deepEqual(
    w.requests.filter((r) => r.method === 'DELETE').map((r) => r.path),
    ['/v1/applicants/a_mum', '/v1/me/helpers/u_son'],
  )
  assert.equal(all(page, '.principal').length, 1)
  assert.equal(all(page, '.helper').length, 0)
})

test('accepting an invitation by its code', async () => {
  const w = helpersBackend()
  const page = await openPage('helpers')
  await tap(page.querySelector('.accept'))
  assert.equal(text(page.querySelector('.error')), '请输入邀请码')
  await type(page, '#code', 'abcd-efgh-00000')
  await tap(page.querySelector('.accept'))
  assert.equal(text(page.querySelector('.error')), '邀请码不存在或已失效')
  await type(page, '#code', ' abcd-efgh-12345 ')
  await tap(page.querySelector('.accept'))
  assert.equal(w.requests.filter((r) => r.method === 'POST').pop().path, '/v1/applicants/invitations/ABCD-EFGH-12345/accept')
  assert.equal(text(page.querySelector('.notice')), '已同意 王* 为您代办业务')
  assert.equal(all(page, '.helper').length, 2)
  // The one who accepted is offered elder mode where they are.
  await tap(page.querySelector('.offer-elder'))
  assert.equal(w.store.get('yuyue.elder'), true)
  assert.ok(classes(page.querySelector('.page')).includes('elder'))
  assert.equal(page.querySelector('.offer-elder'), undefined)
})

test('helpers need real-name binding first: the user is taken there', async () => {
  const w = install({
    storage: signedIn({ identity_bound: false, identity: null }),
    routes: { 'GET /v1/applicants': () => fail(403, 'IDENTITY_REQUIRED', '请先完成实名认证'), 'GET /v1/me/helpers': () => fail(403, 'IDENTITY_REQUIRED', '请先完成实名认证') },
  })
  const page = await openPage('helpers')
  assert.equal(text(page.querySelector('.error')), '请先完成实名认证')
  assert.deepEqual(w.navigations, [['navigateTo', '/pages/identity/identity']])
})

function addBackend(answer) {
  return install({ storage: signedIn(), routes: { 'POST /v1/applicants': (req) => answer(req) } })
}

test('adding a child under 16: no consent step, added at once', async () => {
  const kid = idNumber(bornAgo(8), 21)
  const w = addBackend(() => ({ applicant: { applicant_id: 'a_kid', status: 'active' }, invitation: null }))
  const page = await openPage('helper-add')
  await type(page, '#name', '韩小梅')
  await type(page, '#id-number', kid)
  assert.ok(page.querySelector('.minor'), 'says no consent is needed')
  assert.equal(all(page, '.method').length, 0)
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, { name: '韩小梅', id_number: kid, relation: 'child' })
  assert.match(text(page.querySelector('.added')), /添加成功/)
})

test('inviting an adult: the invitation code is shown to pass on', async () => {
  const mum = idNumber('19500101', 33)
  const w = addBackend(() => ({
    applicant: { applicant_id: 'a_mum', status: 'pending' },
    invitation: { code: 'K3M9-Q2W8-7XZ1A', expires_at: '2026-07-15T10:00:00+08:00' },
  }))
  const page = await openPage('helper-add')
  await type(page, '#name', '李秀英')
  await type(page, '#id-number', mum)
  await tap(all(page, '.relation').find((r) => text(r) === '父母'))
  assert.equal(page.querySelector('.minor'), undefined)
  assert.ok(classes(all(page, '.method')[0]).includes('on'), 'invitation is the default')
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, { name: '李秀英', id_number: mum, relation: 'parent' })
  assert.equal(text(page.querySelector('.code')), 'K3M9-Q2W8-7XZ1A')
  assert.match(text(page.querySelector('.invitation')), /2026-07-15 10:00 前有效/)
})

test('an adult who is present confirms by face check; a bad ID number is caught first', async () => {
  const dad = idNumber('19450101', 44)
  const w = addBackend(() => ({ applicant: { applicant_id: 'a_dad', status: 'active' }, invitation: null }))
  const page = await openPage('helper-add')
  await type(page, '#name', '孙老汉')
  await type(page, '#id-number', dad.slice(0, 17) + (dad[17] === '0' ? '1' : '0'))
  await tap(page.querySelector('.submit'))
  assert.equal(text(page.querySelector('.error')), '身份证号码有误，请核对后重新填写')
  assert.equal(w.requests.length, 0)

  await type(page, '#id-number', dad)
  await tap(all(page, '.relation').find((r) => text(r) === '父母'))
  await tap(all(page, '.method')[1])
  await tap(page.querySelector('.submit'))
  assert.deepEqual(w.requests[0].body, { name: '孙老汉', id_number: dad, relation: 'parent', verify_token: 'dev-ok' })
  assert.ok(page.querySelector('.added'))
})

test('the audit list: what was done, by whom, when', async () => {
  const w = install({
    storage: signedIn(),
    routes: {
      'GET /v1/me/audit': () => ({
        entries: [
          { at: '2026-07-14T15:00:00+08:00', action: 'application.ready', actor: { kind: 'system' }, target: 'A1', request_id: 'r3' },
          { at: '2026-07-14T09:20:00+08:00', action: 'booking.checkin', actor: { kind: 'ops' }, target: 'K7', request_id: 'r2' },
          { at: '2026-07-12T10:00:00+08:00', action: 'booking.create', actor: { kind: 'helper', user_id: 'u_son', name: '韩*' }, target: 'K7', request_id: 'r1' },
        ],
      }),
    },
  })
  const page = await openPage('audit')
  assert.deepEqual(w.requests[0].query, { limit: '50' })
  assert.deepEqual(all(page, '.action').map(text), ['办理进度：可领取', '到场签到', '提交预约'])
  assert.deepEqual(all(page, '.actor').map(text), ['系统', '窗口工作人员', '帮办人 韩*'])
  assert.match(text(all(page, '.entry')[2]), /2026-07-12 10:00/)
})
