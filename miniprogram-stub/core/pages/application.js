// One application's timeline: the steps done, with their time and note, and those to come.
const { fill } = require('../i18n')
const { timeLabel } = require('../format')

const TEXT = {
  zh: { applicant: '办理人：', applicationNo: '受理号 {no}', eta: '预计 {date} 办好', rejected: '未通过原因：', current: '（当前）' },
  en: { applicant: 'Applicant: ', applicationNo: 'Application {no}', eta: 'Expected ready on {date}', rejected: 'Reason: ', current: ' (now)' },
}

/**
 * Every step of the path, done ones with their time and note, the rest still to come. The path
 * ends in `mailed` instead of `ready` once the certificate was posted.
 */
function steps(app, f) {
  const seen = app.timeline.map((e) => e.status)
  const path = app.status === 'rejected'
    ? seen
    : ['accepted', 'reviewing', 'producing', seen.includes('mailed') ? 'mailed' : 'ready', 'collected']
  return path.map((status) => {
    const event = app.timeline.filter((e) => e.status === status).pop()
    return {
      status,
      label: f.applicationStatus(status),
      at: event ? timeLabel(event.at) : '',
      note: event && event.note ? event.note : '',
      state: status === app.status ? 'current' : event ? 'done' : 'todo',
    }
  })
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { app: null, serviceName: '', statusText: '', noText: '', etaText: '', steps: [], loading: false, error: '' },
  methods: {
    onLoad(query) {
      this.no = query.no
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => platform.stopPullDownRefresh())
    },
    load() {
      return guard(this, async () => {
        const app = await api.application(this.no)
        const f = fmt()
        const t = this.data.t
        this.setData({
          app,
          serviceName: f.serviceName(app.service),
          statusText: f.applicationStatus(app.status),
          noText: fill(t.applicationNo, { no: app.application_no }),
          etaText: app.estimated_ready ? fill(t.eta, { date: app.estimated_ready }) : '',
          steps: steps(app, f),
        })
      })
    },
  },
})
