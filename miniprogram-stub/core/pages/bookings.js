// My bookings: each with its status; a booked one can be cancelled, after a confirmation.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    applicant: '办理人：',
    cancel: '取消预约',
    none: '还没有预约',
    confirmTitle: '取消预约',
    confirmText: '确定取消 {when} 的{service}预约吗？',
    confirmButton: '确定取消',
    cancelled: '预约已取消',
  },
  en: {
    applicant: 'Applicant: ',
    cancel: 'Cancel booking',
    none: 'No bookings yet',
    confirmTitle: 'Cancel booking',
    confirmText: 'Cancel the {service} booking on {when}?',
    confirmButton: 'Cancel it',
    cancelled: 'The booking is cancelled',
  },
}

module.exports = ({ api, platform, guard, confirm, fmt }) => ({
  text: TEXT,
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
        const f = fmt()
        this.loaded = true
        this.setData({
          bookings: list.map((b) => ({
            booking_no: b.booking_no,
            serviceName: f.serviceName(b.service),
            name: b.applicant.name,
            when: `${b.date} ${b.start} - ${b.end}`,
            status: b.status,
            statusText: f.bookingStatus(b.status),
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
      const t = this.data.t
      const sure = await confirm(t.confirmTitle, fill(t.confirmText, { when: b.when, service: b.serviceName }), t.confirmButton)
      if (!sure) return
      this.setData({ notice: '' })
      const done = await guard(this, () => api.cancelBooking(b.booking_no))
      if (done) {
        this.setData({ notice: t.cancelled })
        await this.load()
      }
    },
  },
})
