// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard, go, elder }) => ({
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
