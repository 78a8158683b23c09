const { APPLICATION_STATUS, serviceName } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { applications: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => platform.stopPullDownRefresh())
    },
    load() {
      return guard(this, async () => {
        const list = await api.applications()
        this.setData({
          applications: list.map((a) => ({
            application_no: a.application_no,
            serviceName: serviceName(a.service),
            name: a.applicant.name,
            status: a.status,
            statusText: APPLICATION_STATUS[a.status] || a.status,
            estimatedReady: a.estimated_ready,
          })),
        })
      })
    },
    open(e) {
      platform.navigateTo(`/pages/application/application?no=${e.currentTarget.dataset.no}`)
    },
  },
})
