const elder = require('../../utils/elder')
const api = require('../../utils/api')
const { guard } = require('../../utils/ui')

Component({
  behaviors: [elder.behavior],
  data: { loading: false, error: '' },
  methods: {
    signIn() {
      if (this.data.loading) return undefined
      return guard(this, async () => {
        const user = await api.login()
        if (user.identity_bound) wx.reLaunch({ url: '/pages/home/home' })
        else wx.redirectTo({ url: '/pages/identity/identity' })
      })
    },
  },
})
