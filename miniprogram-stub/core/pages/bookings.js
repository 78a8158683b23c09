const { BOOKING_STATUS, serviceName } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard, confirm }) => ({
  data: { bookings: [], notice: '', loading: false, error: '' },
  methods: {
    onLoad() {
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => platform.stopPullDownRefresh())
    },
    load() {
      return guard(this, async () => {
        const list = await api.bookings()
        this.loaded = true
        this.setData({
          bookings: list.map((b) => ({
            booking_no: b.booking_no,
            serviceName: serviceName(b.service),
            name: b.applicant.name,
            when: `${b.date} ${b.start} - ${b.end}`,
            status: b.status,
            statusText: BOOKING_STATUS[b.status] || b.status,
            canCancel: b.status === 'booked',
          })),
        })
      })
    },
    open(e) {
      platform.navigateTo(`/pages/result/result?no=${e.currentTarget.dataset.no}`)
    },
    async cancel(e) {
      const b = this.data.bookings.find((x) => x.booking_no === e.currentTarget.dataset.no)
      if (!b || !b.canCancel) return
      const sure = await confirm('取消预约', `确定取消 ${b.when} 的${b.serviceName}预约吗？`, '确定取消')
      if (!sure) return
      this.setData({ notice: '' })
      const done = await guard(this, () => api.cancelBooking(b.booking_no))
      if (done) {
        this.setData({ notice: '预约已取消' })
        await this.load()
      }
    },
  },
})
