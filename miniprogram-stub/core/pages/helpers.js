// 亲友帮办: whom I act for, who acts for me, accepting an invitation, unlinking and revoking.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    offerElder: '开启长辈模式（大字）',
    principals: '我为谁代办',
    remove: '解除',
    noPrincipals: '还没有添加家人',
    add: '添加家人（孩子、父母等）',
    helpers: '谁在为我代办',
    revoke: '撤销授权',
    noHelpers: '没有人为您代办',
    haveCode: '收到家人的邀请码？',
    codePlaceholder: '例如 ABCD-EFGH-12345',
    accept: '同意对方为我代办',
    audit: '查看操作记录',
    unnamed: '未实名用户',
    noCode: '请输入邀请码',
    accepted: '已同意 {name} 为您代办业务',
    them: '对方',
    removeTitle: '解除帮办',
    removeText: '不再为 {who} 代办业务？',
    removeButton: '解除',
    revokeTitle: '撤销授权',
    revokeText: '撤销后 {who} 将不能再为您办理业务',
    revokeButton: '撤销',
  },
  en: {
    offerElder: 'Turn on large text',
    principals: 'I act for',
    remove: 'Unlink',
    noPrincipals: 'No family members added yet',
    add: 'Add a family member (child, parent…)',
    helpers: 'Acting for me',
    revoke: 'Revoke',
    noHelpers: 'Nobody acts for you',
    haveCode: 'Got an invitation code from family?',
    codePlaceholder: 'e.g. ABCD-EFGH-12345',
    accept: 'Let them act for me',
    audit: 'Activity record',
    unnamed: 'Unverified user',
    noCode: 'Enter the invitation code',
    accepted: '{name} can now act for you',
    them: 'They',
    removeTitle: 'Unlink',
    removeText: 'Stop acting for {who}?',
    removeButton: 'Unlink',
    revokeTitle: 'Revoke',
    revokeText: '{who} will no longer be able to act for you',
    revokeButton: 'Revoke',
  },
}

module.exports = ({ api, guard, confirmed, go, elder, fmt }) => ({
  text: TEXT,
  data: { principals: [], helpers: [], code: '', notice: '', offerElder: false, loading: false, error: '' },
  methods: {
    onLoad() {
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    load() {
      return guard(this, async () => {
        const [applicants, helpers] = await Promise.all([api.applicants(), api.helpers()])
        const f = fmt()
        this.loaded = true
        this.setData({
          // People I act for (my own record is not one of them).
          principals: applicants
            .filter((a) => !a.is_self)
            .map((a) => ({
              applicant_id: a.applicant_id,
              title: `${f.relationLabel(a.relation)} ${a.name}`,
              status: a.status,
              statusText: f.applicantStatus(a.status),
            })),
          // People who act for me.
          helpers: helpers.map((h) => ({
            user_id: h.user_id,
            title: h.name || this.data.t.unnamed,
            status: h.status,
            statusText: f.applicantStatus(h.status),
          })),
        })
      })
    },
    go,
    onCode(e) {
      this.setData({ code: e.detail.value.trim().toUpperCase() })
    },
    turnOnElder() {
      elder.set(true)
      this.setData({ elder: true, offerElder: false })
    },
    accept() {
      const t = this.data.t
      if (!this.data.code) return this.setData({ error: t.noCode })
      this.setData({ notice: '' })
      return guard(this, async () => {
        const helper = await api.acceptInvitation(this.data.code)
        // Whoever accepts a helper is often an elderly parent on their own phone: offer them
        // elder mode here, where they are, rather than on a home page they may never look at.
        this.setData({ code: '', notice: fill(t.accepted, { name: helper.name || t.them }), offerElder: !this.data.elder })
        await this.load()
      })
    },
    async removePrincipal(e) {
      const p = this.data.principals.find((x) => x.applicant_id === e.currentTarget.dataset.id)
      if (!p) return
      const t = this.data.t
      const ask = { title: t.removeTitle, content: fill(t.removeText, { who: p.title }), confirmText: t.removeButton }
      await confirmed(this, ask, () => api.removeApplicant(p.applicant_id))
    },
    async revokeHelper(e) {
      const h = this.data.helpers.find((x) => x.user_id === e.currentTarget.dataset.id)
      if (!h) return
      const t = this.data.t
      const ask = { title: t.revokeTitle, content: fill(t.revokeText, { who: h.title }), confirmText: t.revokeButton }
      await confirmed(this, ask, () => api.revokeHelper(h.user_id))
    },
  },
})
