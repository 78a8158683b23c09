const { CLOSED_REASONS, dayLabel, serviceName } = require('../format')

function periodNote(p) {
  if (p.status === 'available') return `可预约 · 余 ${p.remaining} 个`
  if (p.status === 'full') return '已约满'
  return CLOSED_REASONS[p.closed_reason] || '不可预约'
}

/** The page's days, each period marked selectable only when the API says it is available. */
function decorate(days) {
  return days.slice(0, 7).map((d) => ({
    date: d.date,
    label: dayLabel(d.date, d.weekday),
    open: d.periods.some((p) => p.status === 'available'),
    periods: d.periods.map((p) => ({
      period_id: p.period_id,
      start: p.start,
      end: p.end,
      remaining: p.remaining,
      status: p.status,
      selectable: p.status === 'available',
      note: periodNote(p),
    })),
  }))
}

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard, elder }) => ({
  data: { office: '', service: '', serviceName: '', days: [], dayIndex: 0, periods: [], selected: '', loading: false, error: '' },
  methods: {
    onLoad(query) {
      this.setData({ office: query.office, service: query.service, serviceName: serviceName(query.service) })
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => platform.stopPullDownRefresh())
    },
    load() {
      return guard(this, async () => {
        const page = await api.slots(this.data.office, { service: this.data.service })
        const days = decorate(page.days)
        const first = days.findIndex((d) => d.open)
        this.showDay(days, first < 0 ? 0 : first)
      })
    },
    showDay(days, dayIndex) {
      this.setData({ days, dayIndex, periods: days.length ? days[dayIndex].periods : [], selected: '' })
    },
    pickDay(e) {
      this.showDay(this.data.days, e.currentTarget.dataset.index)
    },
    pickPeriod(e) {
      const p = this.data.periods[e.currentTarget.dataset.index]
      if (!p || !p.selectable) return // full and closed periods cannot be chosen
      this.setData({ selected: p.period_id })
    },
    next() {
      const p = this.data.periods.find((x) => x.period_id === this.data.selected && x.selectable)
      if (!p) return
      const day = this.data.days[this.data.dayIndex]
      const q = `office=${this.data.office}&service=${this.data.service}&date=${day.date}&period=${p.period_id}&start=${p.start}&end=${p.end}`
      platform.navigateTo(`/pages/book/book?${q}`)
    },
  },
})
