const elder = require('../../utils/elder')
const api = require('../../utils/api')
const { guard, go } = require('../../utils/ui')

Component({
  behaviors: [elder.behavior],
  data: { user: null, services: [], loading: false, error: '' },
  methods: {
    onLoad() {
      this.setData({ user: api.currentUser() })
      return guard(this, async () => this.setData({ services: await api.services() }))
    },
    onShow() {
      this.setData({ user: api.currentUser() })
    },
    pickService(e) {
      wx.navigateTo({ url: `/pages/guide/guide?service=${e.currentTarget.dataset.id}` })
    },
    // "我的" entries need a login (and most a bound identity) first.
    open(e) {
      if (!api.isSignedIn()) return wx.navigateTo({ url: '/pages/login/login' })
      return go(e)
    },
    signIn() {
      wx.navigateTo({ url: '/pages/login/login' })
    },
    /** 长辈模式 on or off, at once on this page and on every page opened after. */
    toggleElder() {
      const on = !this.data.elder
      elder.set(on)
      this.setData({ elder: on })
    },
  },
})
