const { validIdNumber } = require('../format')

// Residents bind their ID card; foreigners their passport or permanent residence card. The
// server checks everything again; these checks only catch typing slips before a paid face check.
const KINDS = ['id_card', 'foreign_passport', 'permanent_residence']

// Foreigners often set their phone to Chinese for the apps around them: in Chinese, what they
// fill keeps its English beside it.
const TEXT = {
  zh: {
    title: '实名认证',
    intro: '预约和代家人办理前，需要确认您本人的身份。填写后将进行人脸核验。Verify your identity before booking.',
    idCard: '居民身份证',
    passport: '护照 Passport',
    prCard: '永久居留证 PR card',
    name: '姓名',
    nameForeign: '姓名（按证件英文填写） Name as in the document',
    namePlaceholder: '与身份证一致',
    idNumber: '身份证号码',
    idNumberPlaceholder: '18位身份证号码',
    passportNo: '护照号码 Passport number',
    nationality: '国籍 Nationality (ISO 3166, e.g. USA)',
    prNumber: '永久居留身份证号码 Permanent residence ID number',
    nameZh: '中文姓名（选填） Chinese name (optional)',
    verify: '开始人脸核验 Verify',
    verifying: '正在核验…',
    noName: '请填写姓名',
    noNameForeign: '请填写姓名 Enter your name',
    badId: '身份证号码有误，请核对后重新填写',
    badPassport: '护照号码有误 Passport number is not valid',
    badNationality: '请填写3位字母国籍代码 Enter the 3-letter nationality code, e.g. USA',
    badPr: '永久居留身份证号码有误 Permanent residence ID number is not valid',
  },
  en: {
    title: 'Verify your identity',
    intro: 'Before booking, or booking for your family, we confirm who you are. A face check follows.',
    idCard: 'Resident ID card',
    passport: 'Passport',
    prCard: 'Permanent residence card',
    name: 'Name',
    nameForeign: 'Name as in the document',
    namePlaceholder: 'As on the ID card',
    idNumber: 'ID card number',
    idNumberPlaceholder: '18 characters',
    passportNo: 'Passport number',
    nationality: 'Nationality (ISO 3166, e.g. USA)',
    prNumber: 'Permanent residence ID number',
    nameZh: 'Chinese name (optional)',
    verify: 'Start the face check',
    verifying: 'Checking…',
    noName: 'Enter your name',
    noNameForeign: 'Enter your name',
    badId: 'The ID card number is not valid. Please check it.',
    badPassport: 'Passport number is not valid',
    badNationality: 'Enter the 3-letter nationality code, e.g. USA',
    badPr: 'Permanent residence ID number is not valid',
  },
}

module.exports = ({ api, platform, guard }) => ({
  text: TEXT,
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
        if (!validIdNumber(idNumber)) return { error: this.data.t.badId }
        return { fields: { idNumber }, number: idNumber }
      }
      if (kind === 'foreign_passport') {
        if (!/^[A-Z0-9]{5,17}$/.test(passportNo) || !/\d/.test(passportNo)) return { error: this.data.t.badPassport }
        if (!/^[A-Z]{3}$/.test(nationality)) return { error: this.data.t.badNationality }
        return { fields: { passport: { number: passportNo, nationality } }, number: passportNo }
      }
      if (!prNumber.startsWith('9') || !validIdNumber(prNumber)) return { error: this.data.t.badPr }
      return { fields: { permanentResidenceId: prNumber }, number: prNumber }
    },
    submit() {
      const { name, nameZh, kind } = this.data
      if (!name) return this.setData({ error: kind === 'id_card' ? this.data.t.noName : this.data.t.noNameForeign })
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
