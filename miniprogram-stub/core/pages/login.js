// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { loading: false, error: '' },
  methods: {
    signIn() {
      if (this.data.loading) return undefined
      return guard(this, async () => {
        const user = await api.login()
        if (user.identity_bound) platform.reLaunch('/pages/home/home')
        else platform.redirectTo('/pages/identity/identity')
      })
    },
  },
})
