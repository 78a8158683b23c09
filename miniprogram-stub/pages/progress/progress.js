const elder = require('../../utils/elder')
const api = require('../../utils/api')
const { guard } = require('../../utils/ui')
const { APPLICATION_STATUS, serviceName } = require('../../utils/format')

Component({
  behaviors: [elder.behavior],
  data: { applications: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
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
      wx.navigateTo({ url: `/pages/application/application?no=${e.currentTarget.dataset.no}` })
    },
  },
})
