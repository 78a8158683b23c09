// Home: the services to book, 我的 (mine), and the elder-mode switch.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    hello: '您好，',
    newUser: '新用户',
    bindFirst: '完成实名认证后即可预约',
    signIn: '{app}登录',
    elderSwitch: '长辈模式（大字）',
    chooseService: '选择要办理的业务',
    fee: '费用 {fee} 元 · 约 {days} 个工作日',
    mine: '我的',
    bookings: '我的预约',
    progress: '办理进度',
    documents: '我的证件',
    helpers: '亲友帮办',
    audit: '操作记录',
  },
  en: {
    hello: 'Hello, ',
    newUser: 'new user',
    bindFirst: 'Verify your identity to book',
    signIn: 'Sign in with {app}',
    elderSwitch: 'Large text mode',
    chooseService: 'What do you need?',
    fee: 'Fee ¥{fee} · about {days} working days',
    mine: 'Mine',
    bookings: 'My bookings',
    progress: 'Progress',
    documents: 'My documents',
    helpers: 'Family & helpers',
    audit: 'Activity record',
  },
}

module.exports = ({ api, platform, guard, go, elder }) => ({
  text: TEXT,
  data: { user: null, services: [], loading: false, error: '' },
  methods: {
    onLoad() {
      this.setData({ user: api.currentUser() })
      return guard(this, async () => {
        const services = await api.services()
        // The backend names each service in the request's language.
        const note = (s) => fill(this.data.t.fee, { fee: s.fee_yuan, days: s.processing_working_days })
        this.setData({ services: services.map((s) => Object.assign({}, s, { note: note(s) })) })
      })
    },
    onShow() {
      this.setData({ user: api.currentUser() })
    },
    pickService(e) {
      platform.navigateTo(`/pages/guide/guide?service=${e.currentTarget.dataset.id}`)
    },
    // "我的" entries need a login (and most a bound identity) first.
    open(e) {
      if (!api.isSignedIn()) return platform.navigateTo('/pages/login/login')
      return go(e)
    },
    signIn() {
      platform.navigateTo('/pages/login/login')
    },
    /** 长辈模式 on or off, at once on this page and on every page opened after. */
    toggleElder() {
      const on = !this.data.elder
      elder.set(on)
      this.setData({ elder: on })
    },
  },
})
