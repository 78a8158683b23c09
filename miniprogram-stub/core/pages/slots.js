// The slot picker: seven days, each period with what is left; full and closed ones cannot be chosen.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    date: '日期',
    open: '可约',
    shut: '约满/不开放',
    periods: '时段',
    available: '可预约 · 余 {n} 个',
    full: '已约满',
    closed: '不可预约',
    none: '当天没有可预约的时段',
    next: '下一步：填写预约信息',
  },
  en: {
    date: 'Date',
    open: 'Open',
    shut: 'Full / closed',
    periods: 'Time',
    available: 'Open · {n} left',
    full: 'Full',
    closed: 'Cannot be booked',
    none: 'Nothing to book on this day',
    next: 'Next: your details',
  },
}

function periodNote(p, t, f) {
  if (p.status === 'available') return fill(t.available, { n: p.remaining })
  if (p.status === 'full') return t.full
  return f.closedReason(p.closed_reason) || t.closed
}

/** The page's days, each period marked selectable only when the API says it is available. */
function decorate(days, t, f) {
  return days.slice(0, 7).map((d) => ({
    date: d.date,
    label: f.dayLabel(d.date, d.weekday),
    open: d.periods.some((p) => p.status === 'available'),
    periods: d.periods.map((p) => ({
      period_id: p.period_id,
      start: p.start,
      end: p.end,
      remaining: p.remaining,
      status: p.status,
      selectable: p.status === 'available',
      note: periodNote(p, t, f),
    })),
  }))
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { office: '', service: '', serviceName: '', days: [], dayIndex: 0, periods: [], selected: '', loading: false, error: '' },
  methods: {
    onLoad(query) {
      this.setData({ office: query.office, service: query.service, serviceName: fmt().serviceName(query.service) })
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => platform.stopPullDownRefresh())
    },
    load() {
      return guard(this, async () => {
        const page = await api.slots(this.data.office, { service: this.data.service })
        const days = decorate(page.days, this.data.t, fmt())
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
