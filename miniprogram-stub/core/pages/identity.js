const { validIdNumber } = require('../format')

// Residents bind their ID card; foreigners their passport or permanent residence card. The
// server checks everything again; these checks only catch typing slips before a paid face check.
const KINDS = ['id_card', 'foreign_passport', 'permanent_residence']

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { kind: 'id_card', name: '', nameZh: '', idNumber: '', passportNo: '', nationality: '', prNumber: '', loading: false, error: '' },
  methods: {
    onKind(e) {
      const kind = e.currentTarget.dataset.kind
      if (KINDS.includes(kind)) this.setData({ kind, error: '' })
    },
    onName(e) {
      this.setData({ name: e.detail.value.trim() })
    },
    onNameZh(e) {
      this.setData({ nameZh: e.detail.value.trim() })
    },
    onIdNumber(e) {
      this.setData({ idNumber: e.detail.value.trim().toUpperCase() })
    },
    onPassportNo(e) {
      this.setData({ passportNo: e.detail.value.trim().toUpperCase() })
    },
    onNationality(e) {
      this.setData({ nationality: e.detail.value.trim().toUpperCase() })
    },
    onPrNumber(e) {
      this.setData({ prNumber: e.detail.value.trim().toUpperCase() })
    },
    /** The body's document and the face check's number, or the slip to show. */
    document() {
      const { kind, idNumber, passportNo, nationality, prNumber } = this.data
      if (kind === 'id_card') {
        if (!validIdNumber(idNumber)) return { error: '身份证号码有误，请核对后重新填写' }
        return { fields: { idNumber }, number: idNumber }
      }
      if (kind === 'foreign_passport') {
        if (!/^[A-Z0-9]{5,17}$/.test(passportNo) || !/\d/.test(passportNo)) return { error: '护照号码有误 Passport number is not valid' }
        if (!/^[A-Z]{3}$/.test(nationality)) return { error: '请填写3位字母国籍代码 Enter the 3-letter nationality code, e.g. USA' }
        return { fields: { passport: { number: passportNo, nationality } }, number: passportNo }
      }
      if (!prNumber.startsWith('9') || !validIdNumber(prNumber)) return { error: '永久居留身份证号码有误 Permanent residence ID number is not valid' }
      return { fields: { permanentResidenceId: prNumber }, number: prNumber }
    },
    submit() {
      const { name, nameZh, kind } = this.data
      if (!name) return this.setData({ error: kind === 'id_card' ? '请填写姓名' : '请填写姓名 Enter your name' })
      const doc = this.document()
      if (doc.error) return this.setData({ error: doc.error })
      return guard(this, async () => {
        const verifyToken = await api.faceVerify({ name, idNumber: doc.number })
        const foreign = kind !== 'id_card'
        await api.bindIdentity({ name, nameZh: foreign ? nameZh : undefined, verifyToken, ...doc.fields })
        platform.reLaunch('/pages/home/home')
      })
    },
  },
})
