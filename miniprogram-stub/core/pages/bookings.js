// My bookings and my waitlist: each with its status; a booked one can be cancelled and a waiting
// entry left, each after a confirmation that says what the rules make of it.
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
    waitlist: '我的候补',
    waitlistPosition: '排第 {n} 位，有号源时自动为您预约',
    waitlistBooked: '已为您预约，预约号 {no}',
    leave: '退出候补',
    leaveTitle: '退出候补',
    leaveText: '退出 {when} 的{service}候补？退出后不再为您自动预约。',
    leaveButton: '退出',
    left: '已退出候补',
  },
  en: {
    applicant: 'Applicant: ',
    cancel: 'Cancel booking',
    none: 'No bookings yet',
    confirmTitle: 'Cancel booking',
    confirmText: 'Cancel the {service} booking on {when}?',
    confirmButton: 'Cancel it',
    cancelled: 'The booking is cancelled',
    waitlist: 'My waitlist',
    waitlistPosition: 'Number {n} in line: booked for you when a place frees',
    waitlistBooked: 'Booked for you: {no}',
    leave: 'Leave the waitlist',
    leaveTitle: 'Leave the waitlist',
    leaveText: 'Leave the {service} waitlist for {when}? You will not be booked automatically any more.',
    leaveButton: 'Leave',
    left: 'You have left the waitlist',
  },
}

module.exports = ({ api, platform, guard, confirmed, fmt }) => ({
  text: TEXT,
  // cancelRule: the terms' cancellation item (cutoff and quota, from the rules in force).
  data: { bookings: [], entries: [], cancelRule: '', notice: '', loading: false, error: '' },
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
        // The waitlist and the terms only add to the page: unreadable, the bookings still show.
        const [list, entries, terms] = await Promise.all([
          api.bookings(),
          api.waitlist().catch(() => []),
          api.terms().catch(() => null),
        ])
        const f = fmt()
        const t = this.data.t
        const rule = terms && terms.items.find((i) => i.id === 'cancellation')
        this.loaded = true
        this.setData({
          cancelRule: rule ? rule.text : '',
          entries: entries
            .filter((x) => x.status !== 'cancelled')
            .map((x) => ({
              waitlist_id: x.waitlist_id,
              serviceName: f.serviceName(x.service),
              when: x.date,
              statusText: x.status_label || x.status,
              detail:
                x.status === 'waiting' && x.position
                  ? fill(t.waitlistPosition, { n: x.position })
                  : x.status === 'booked' && x.booking_no
                    ? fill(t.waitlistBooked, { no: x.booking_no })
                    : '',
              canLeave: x.status === 'waiting',
            })),
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
      const question = fill(t.confirmText, { when: b.when, service: b.serviceName })
      const content = [question, this.data.cancelRule].filter(Boolean).join('\n')
      await confirmed(this, { title: t.confirmTitle, content, confirmText: t.confirmButton }, () => api.cancelBooking(b.booking_no), t.cancelled)
    },
    async leave(e) {
      const x = this.data.entries.find((y) => y.waitlist_id === e.currentTarget.dataset.id)
      if (!x || !x.canLeave) return
      const t = this.data.t
      const content = fill(t.leaveText, { when: x.when, service: x.serviceName })
      await confirmed(this, { title: t.leaveTitle, content, confirmText: t.leaveButton }, () => api.leaveWaitlist(x.waitlist_id), t.left)
    },
  },
})
