const { APPLICATION_STATUS, serviceName, timeLabel } = require('../format')

/**
 * Every step of the path, done ones with their time and note, the rest still to come. The path
 * ends in `mailed` instead of `ready` once the certificate was posted.
 */
function steps(app) {
  const seen = app.timeline.map((e) => e.status)
  const path = app.status === 'rejected'
    ? seen
    : ['accepted', 'reviewing', 'producing', seen.includes('mailed') ? 'mailed' : 'ready', 'collected']
  return path.map((status) => {
    const event = app.timeline.filter((e) => e.status === status).pop()
    return {
      status,
      label: APPLICATION_STATUS[status] || status,
      at: event ? timeLabel(event.at) : '',
      note: event && event.note ? event.note : '',
      state: status === app.status ? 'current' : event ? 'done' : 'todo',
    }
  })
}

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { app: null, serviceName: '', statusText: '', steps: [], loading: false, error: '' },
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
        this.setData({
          app,
          serviceName: serviceName(app.service),
          statusText: APPLICATION_STATUS[app.status] || app.status,
          steps: steps(app),
        })
      })
    },
  },
})
