const { APPLICANT_STATUS, relationLabel } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, guard, confirm, go, elder }) => ({
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
        this.loaded = true
        this.setData({
          // People I act for (my own record is not one of them).
          principals: applicants
            .filter((a) => !a.is_self)
            .map((a) => ({
              applicant_id: a.applicant_id,
              title: `${relationLabel(a.relation)} ${a.name}`,
              status: a.status,
              statusText: APPLICANT_STATUS[a.status] || a.status,
            })),
          // People who act for me.
          helpers: helpers.map((h) => ({
            user_id: h.user_id,
            title: h.name || '未实名用户',
            status: h.status,
            statusText: APPLICANT_STATUS[h.status] || h.status,
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
      if (!this.data.code) return this.setData({ error: '请输入邀请码' })
      this.setData({ notice: '' })
      return guard(this, async () => {
        const helper = await api.acceptInvitation(this.data.code)
        // Whoever accepts a helper is often an elderly parent on their own phone: offer them
        // elder mode here, where they are, rather than on a home page they may never look at.
        this.setData({ code: '', notice: `已同意 ${helper.name || '对方'} 为您代办业务`, offerElder: !this.data.elder })
        await this.load()
      })
    },
    async removePrincipal(e) {
      const p = this.data.principals.find((x) => x.applicant_id === e.currentTarget.dataset.id)
      if (!p || !(await confirm('解除帮办', `不再为 ${p.title} 代办业务？`, '解除'))) return
      const done = await guard(this, () => api.removeApplicant(p.applicant_id))
      if (done) await this.load()
    },
    async revokeHelper(e) {
      const h = this.data.helpers.find((x) => x.user_id === e.currentTarget.dataset.id)
      if (!h || !(await confirm('撤销授权', `撤销后 ${h.title} 将不能再为您办理业务`, '撤销'))) return
      const done = await guard(this, () => api.revokeHelper(h.user_id))
      if (done) await this.load()
    },
  },
})
