// Sign-in with the platform's one-time code; a new user goes on to real-name binding.
const TEXT = {
  zh: {
    title: '出入境业务预约',
    intro: '护照、港澳台通行证、签证、身份证，在线预约窗口办理时间，查看办理进度。',
    signIn: '{app}一键登录',
    signingIn: '正在登录…',
    consent: '登录即表示您同意《用户服务协议》和《隐私政策》。我们仅在办理业务时使用您的身份信息。',
  },
  en: {
    title: 'Exit-entry appointments',
    intro: 'Passports, travel permits, visas and ID cards: book a time at the hall and follow your application.',
    signIn: 'Sign in with {app}',
    signingIn: 'Signing in…',
    consent: 'By signing in you accept the Terms of Service and the Privacy Policy. Your identity is used only for your applications.',
  },
}

module.exports = ({ api, platform, guard }) => ({
  text: TEXT,
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
