const api = require('../../utils/api')
const { guard } = require('../../utils/ui')
const { validIdNumber } = require('../../utils/format')

Component({
  data: { name: '', idNumber: '', loading: false, error: '' },
  methods: {
    onName(e) {
      this.setData({ name: e.detail.value.trim() })
    },
    onIdNumber(e) {
      this.setData({ idNumber: e.detail.value.trim().toUpperCase() })
    },
    submit() {
      const { name, idNumber } = this.data
      if (!name) return this.setData({ error: '请填写姓名' })
      if (!validIdNumber(idNumber)) return this.setData({ error: '身份证号码有误，请核对后重新填写' })
      return guard(this, async () => {
        const verifyToken = await api.faceVerify({ name, idNumber })
        await api.bindIdentity({ name, idNumber, verifyToken })
        wx.reLaunch({ url: '/pages/home/home' })
      })
    },
  },
})
