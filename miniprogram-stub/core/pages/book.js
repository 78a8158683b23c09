// The booking form: who, phone, pickup, the photo receipt where the hall needs one, the terms;
// the waiting room on days that have one, and the waitlist when the period is full.
const { fill } = require('../i18n')

// Elder mode's screens of the form.
const STEPS = 4

const TEXT = {
  zh: {
    self: '本人 {name}',
    queueNotJoined: '今天的号源需排队预约，请先加入排队',
    queueWaitingAt: '您排在第 {position} 位，约 {at} 轮到您',
    queueWaiting: '已加入排队，放号时抽签确定顺序',
    queueAdmitted: '轮到您了，请在 {until} 前提交',
    queueExpired: '您的轮次已过，请重新加入排队',
    joinQueue: '加入排队',
    refreshQueue: '刷新我的排队',
    applicant: '办理人',
    phone: '联系电话',
    phoneButton: '使用{app}绑定的手机号',
    phonePlaceholder: '或手动填写11位手机号码',
    phoneUse: '大厅有事联系您时使用',
    receipt: '照片回执号',
    receiptPlaceholder: '照相馆提供的回执号',
    pickup: '领取方式',
    collect: '到大厅领取',
    mail: '邮寄到家',
    address: '邮寄地址',
    addressPlaceholder: '省、市、区、街道、门牌号',
    readTerms: '阅读《预约须知》',
    foldTerms: '收起《预约须知》',
    agree: '我已阅读并同意《预约须知》',
    waitlistOffer: '这个时段已约满。加入候补后，有人取消或增加号源时，将按候补顺序自动为您预约并通知您。',
    joinWaitlist: '加入候补',
    waitlistJoined: '已加入候补，当前排第 {position} 位。轮到您时会自动预约并通知您。',
    submit: '确认预约',
    submitting: '正在提交…',
    notYourTurn: '排到后可提交',
    noApplicant: '请选择办理人',
    badPhone: '请填写11位手机号码',
    noAddress: '请填写邮寄地址',
    noReceipt: '请填写照片回执号',
    notAgreed: '请先阅读并同意《预约须知》',
    stepOf: '第 {n} 步，共 {total} 步',
    next: '下一步',
    back: '上一步',
  },
  en: {
    self: 'Myself, {name}',
    queueNotJoined: 'Places for this day are given out in turn: join the queue first',
    queueWaitingAt: 'You are number {position}; your turn comes at about {at}',
    queueWaiting: 'You are in the queue; a draw decides the order at release time',
    queueAdmitted: 'It is your turn: submit before {until}',
    queueExpired: 'Your turn has passed: join the queue again',
    joinQueue: 'Join the queue',
    refreshQueue: 'Refresh my place',
    applicant: 'Who is applying',
    phone: 'Phone',
    phoneButton: 'Use my {app} phone number',
    phonePlaceholder: 'or type an 11-digit mobile number',
    phoneUse: 'The hall calls this number if it needs you',
    receipt: 'Photo receipt number',
    receiptPlaceholder: 'From the photo studio',
    pickup: 'Collection',
    collect: 'Collect at the hall',
    mail: 'Post to me',
    address: 'Postal address',
    addressPlaceholder: 'Province, city, district, street, number',
    readTerms: 'Read the booking terms',
    foldTerms: 'Hide the booking terms',
    agree: 'I have read and accept the booking terms',
    waitlistOffer: 'This time is full. On the waitlist, when someone cancels or places are added, you are booked in turn and told.',
    joinWaitlist: 'Join the waitlist',
    waitlistJoined: 'You are on the waitlist, number {position}. When your turn comes you are booked and told.',
    submit: 'Book',
    submitting: 'Booking…',
    notYourTurn: 'Wait for your turn',
    noApplicant: 'Choose who is applying',
    badPhone: 'Enter an 11-digit mobile number',
    noAddress: 'Enter the postal address',
    noReceipt: 'Enter the photo receipt number',
    notAgreed: 'Read and accept the booking terms first',
    stepOf: 'Step {n} of {total}',
    next: 'Next',
    back: 'Back',
  },
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
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
    step: 0, // in elder mode, the screen of the form shown (0 who, 1 phone, 2 pickup, 3 terms)
    stepText: '',
    // 候补: offered when the period turns out full; the entry once joined.
    waitlistOffer: false,
    waitlistEntry: null,
    waitlistText: '',
    phoneButton: platform.phoneButton,
    loading: false,
    error: '',
  },
  methods: {
    onLoad(query) {
      const weekday = ((new Date(`${query.date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1
      const f = fmt()
      this.setData({ slot: query, serviceName: f.serviceName(query.service), dayText: f.dayLabel(query.date, weekday) })
      this.showStep(0)
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
          .map((a) => ({
            applicant_id: a.applicant_id,
            label: a.is_self ? fill(this.data.t.self, { name: a.name }) : `${f.relationLabel(a.relation)} ${a.name}`,
          }))
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
      const t = this.data.t
      const texts = {
        off: '',
        not_joined: t.queueNotJoined,
        waiting: admission && admission.position
          ? fill(t.queueWaitingAt, { position: admission.position, at: at(admission.turn_at) })
          : t.queueWaiting,
        admitted: fill(t.queueAdmitted, { until: at(admission && admission.until) }),
        expired: t.queueExpired,
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
     * The phone button: the platform hands its proof of the number only when the user allows it
     * (WeChat's code, Alipay's sealed response); the backend checks it with the platform and the
     * confirmed number fills the field. Declined, the field stays for typing.
     */
    onPhoneCode(e) {
      return platform.phoneProof(e).then((proof) => {
        if (!proof) return undefined
        return guard(this, async () => this.setData({ phone: await api.bindPhone(proof) }))
      })
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
        this.setData({ waitlistOffer: false, waitlistEntry: entry, waitlistText: fill(this.data.t.waitlistJoined, { position: entry.position }) })
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
    /** What is missing from the form, in the order it is asked, each with the elder step that asks it. */
    problems() {
      const d = this.data
      return [
        [0, !d.applicantId, d.t.noApplicant],
        [1, !/^1\d{10}$/.test(d.phone), d.t.badPhone],
        [2, d.pickup === 'mail' && !d.address, d.t.noAddress],
        [1, d.needsReceipt && !d.receiptNo, d.t.noReceipt],
        [3, !d.agreed, d.t.notAgreed],
      ]
        .filter(([, missing]) => missing)
        .map(([step, , message]) => ({ step, message }))
    },
    /**
     * 长辈模式 asks one thing per screen (who, phone, pickup, terms): the next one opens once this
     * one is complete.
     */
    nextStep() {
      const problem = this.problems().find((p) => p.step === this.data.step)
      if (problem) return this.setData({ error: problem.message })
      return this.showStep(Math.min(this.data.step + 1, STEPS - 1))
    },
    prevStep() {
      this.showStep(Math.max(this.data.step - 1, 0))
    },
    showStep(step) {
      this.setData({ step, stepText: fill(this.data.t.stepOf, { n: step + 1, total: STEPS }), error: '' })
    },
    /** The request body, or a message saying what is missing and the elder step that asks it. */
    buildBody() {
      const d = this.data
      const [missing] = this.problems()
      if (missing) return { problem: missing.message, step: missing.step }
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
      const { body, problem, step } = this.buildBody()
      if (problem) {
        // In elder mode, back to the screen that asks for what is missing.
        if (this.data.elder) this.showStep(step)
        return this.setData({ error: problem })
      }
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
