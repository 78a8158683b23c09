// Progress: every application in hand, with its status and when it should be ready.
const { fill } = require('../i18n')

const TEXT = {
  zh: { applicant: '办理人：', eta: '预计 {date} 办好', none: '暂无办理中的业务。到大厅签到受理后，可在这里查看进度。' },
  en: { applicant: 'Applicant: ', eta: 'Expected ready on {date}', none: 'Nothing in progress. Once the hall accepts your application, follow it here.' },
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
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
        const f = fmt()
        this.setData({
          applications: list.map((a) => ({
            application_no: a.application_no,
            serviceName: f.serviceName(a.service),
            name: a.applicant.name,
            status: a.status,
            statusText: f.applicationStatus(a.status),
            estimatedReady: a.estimated_ready ? fill(this.data.t.eta, { date: a.estimated_ready }) : '',
          })),
        })
      })
    },
    open(e) {
      platform.navigateTo(`/pages/application/application?no=${e.currentTarget.dataset.no}`)
    },
  },
})
