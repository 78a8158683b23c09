const { relationLabel, serviceName, dayLabel } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: {
    slot: null, // { office, service, date, period, start, end } from the slot picker
    officeName: '',
    serviceName: '',
    dayText: '',
    applicants: [],
    applicantId: '',
    phone: '',
    pickup: 'collect',
    mailAllowed: false,
    address: '',
    needsReceipt: false,
    receiptNo: '',
    agreed: false,
    terms: null, // the booking terms, once the user opens them
    // The day's waiting room (排队): null or `off` when it has none; else the user's place in it,
    // and the submit waits for their turn.
    admission: null,
    queueText: '',
    canSubmit: true,
    // 候补: offered when the period turns out full; the entry once joined.
    waitlistOffer: false,
    waitlistEntry: null,
    loading: false,
    error: '',
  },
  methods: {
    onLoad(query) {
      const weekday = ((new Date(`${query.date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1
      this.setData({ slot: query, serviceName: serviceName(query.service), dayText: dayLabel(query.date, weekday) })
      return guard(this, async () => {
        const [applicants, office, services, admission] = await Promise.all([
          api.applicants(),
          api.office(query.office),
          api.services(),
          // Unreadable, the day is taken as having none: a submit out of turn is refused with
          // where the user stands, and the queue shows then.
          api.admission(query.office, query.date).catch(() => ({ status: 'off' })),
        ])
        this.showAdmission(admission)
        // Only people the user may book for now: themselves and principals whose link is active.
        const usable = applicants
          .filter((a) => a.status === 'active')
          .map((a) => ({ applicant_id: a.applicant_id, label: a.is_self ? `本人 ${a.name}` : `${relationLabel(a.relation)} ${a.name}` }))
        const service = services.find((s) => s.service_id === query.service)
        this.setData({
          applicants: usable,
          applicantId: usable.length ? usable[0].applicant_id : '',
          officeName: office.name,
          needsReceipt: office.photo_receipt_required_for.includes(query.service),
          mailAllowed: Boolean(service && service.pickup_methods.includes('mail')),
        })
      })
    },
    /** The waiting room as the page shows it: whose turn, and whether the submit may go. */
    showAdmission(admission) {
      const status = admission ? admission.status : 'off'
      const at = (t) => (t ? String(t).slice(11, 16) : '')
      const texts = {
        off: '',
        not_joined: '今天的号源需排队预约，请先加入排队',
        waiting: admission && admission.position
          ? `您排在第 ${admission.position} 位，约 ${at(admission.turn_at)} 轮到您`
          : '已加入排队，放号时抽签确定顺序',
        admitted: `轮到您了，请在 ${at(admission && admission.until)} 前提交`,
        expired: '您的轮次已过，请重新加入排队',
      }
      this.setData({
        admission: status === 'off' ? null : admission,
        queueText: texts[status] || '',
        canSubmit: status === 'off' || status === 'admitted',
      })
    },
    joinQueue() {
      return guard(this, async () => this.showAdmission(await api.joinAdmission(this.data.slot.office, this.data.slot.date)))
    },
    refreshQueue() {
      return guard(this, async () => this.showAdmission(await api.admission(this.data.slot.office, this.data.slot.date)))
    },
    pickApplicant(e) {
      this.setData({ applicantId: e.currentTarget.dataset.id })
    },
    pickPickup(e) {
      this.setData({ pickup: e.currentTarget.dataset.method })
    },
    onPhone(e) {
      this.setData({ phone: e.detail.value.trim() })
    },
    /**
     * The getPhoneNumber button: WeChat hands a code only when the user allows it; the backend
     * exchanges it with WeChat and the confirmed number fills the field. Declined, the field
     * stays for typing.
     */
    onPhoneCode(e) {
      const code = platform.phoneCodeOf(e)
      if (!code) return undefined
      return guard(this, async () => this.setData({ phone: await api.bindPhone(code) }))
    },
    onAddress(e) {
      this.setData({ address: e.detail.value.trim() })
    },
    onReceipt(e) {
      this.setData({ receiptNo: e.detail.value.trim() })
    },
    /** Joins the full period's waitlist with the form as filled: served in order, and told. */
    joinWaitlist() {
      const { body, problem } = this.buildBody()
      if (problem) return this.setData({ error: problem })
      const { period_id: period, agree_terms: _agreed, ...rest } = body
      return guard(this, async () => {
        const entry = await api.joinWaitlist(Object.assign(rest, { period_ids: [period] }))
        this.setData({ waitlistOffer: false, waitlistEntry: entry })
      })
    },
    /** The terms the agreement box agrees to, from the rules in force; a second tap folds them. */
    showTerms() {
      if (this.data.terms) return this.setData({ terms: null })
      return guard(this, async () => this.setData({ terms: await api.terms() }))
    },
    toggleAgree() {
      this.setData({ agreed: !this.data.agreed })
    },
    /** The request body, or a message saying what is missing. */
    buildBody() {
      const d = this.data
      if (!d.applicantId) return { problem: '请选择办理人' }
      if (!/^1\d{10}$/.test(d.phone)) return { problem: '请填写11位手机号码' }
      if (d.pickup === 'mail' && !d.address) return { problem: '请填写邮寄地址' }
      if (d.needsReceipt && !d.receiptNo) return { problem: '请填写照片回执号' }
      if (!d.agreed) return { problem: '请先阅读并同意《预约须知》' }
      const body = {
        applicant_id: d.applicantId,
        service: d.slot.service,
        office_id: d.slot.office,
        date: d.slot.date,
        period_id: d.slot.period,
        phone: d.phone,
        pickup: d.pickup === 'mail' ? { method: 'mail', address: d.address } : { method: 'collect' },
        agree_terms: true,
      }
      if (d.needsReceipt) body.photo_receipt_no = d.receiptNo
      return { body }
    },
    submit() {
      if (this.data.loading || !this.data.canSubmit) return undefined
      const { body, problem } = this.buildBody()
      if (problem) return this.setData({ error: problem })
      return guard(this, async () => {
        let booking
        try {
          booking = await api.createBooking(body)
        } catch (err) {
          // Not the user's turn (any more): show where they stand in the queue.
          if (err.code === 'RATE_LIMITED' && err.details && err.details.reason === 'admission') {
            this.showAdmission(await api.admission(this.data.slot.office, this.data.slot.date))
          }
          // Full: instead of refreshing in case someone cancels, wait in line for it.
          if (err.code === 'SLOT_FULL') this.setData({ waitlistOffer: true })
          throw err
        }
        platform.redirectTo(`/pages/result/result?no=${booking.booking_no}`)
      })
    },
  },
})
