const { RELATIONS, validIdNumber, ageFromIdNumber, timeLabel } = require('../format')

const ADULT_AGE = 16

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: {
    relations: RELATIONS,
    name: '',
    idNumber: '',
    relation: 'child',
    minor: false, // a child under 16 is added at once, no consent needed
    method: 'invite', // for an adult: 'invite' (they accept on their phone) or 'face' (present now)
    result: null,
    loading: false,
    error: '',
  },
  methods: {
    onName(e) {
      this.setData({ name: e.detail.value.trim() })
    },
    onIdNumber(e) {
      const idNumber = e.detail.value.trim().toUpperCase()
      this.setData({ idNumber, minor: validIdNumber(idNumber) && ageFromIdNumber(idNumber) < ADULT_AGE })
    },
    pickRelation(e) {
      this.setData({ relation: e.currentTarget.dataset.id })
    },
    pickMethod(e) {
      this.setData({ method: e.currentTarget.dataset.method })
    },
    submit() {
      const { name, idNumber, relation, minor, method } = this.data
      if (!name) return this.setData({ error: '请填写家人姓名' })
      if (!validIdNumber(idNumber)) return this.setData({ error: '身份证号码有误，请核对后重新填写' })
      const direct = minor && (relation === 'child' || relation === 'guardian')
      return guard(this, async () => {
        const body = { name, id_number: idNumber, relation }
        if (!direct && method === 'face') body.verify_token = await api.faceVerify({ name, idNumber })
        const added = await api.addApplicant(body)
        this.setData({
          result: {
            active: added.applicant.status === 'active',
            code: added.invitation ? added.invitation.code : '',
            expiresAt: added.invitation ? timeLabel(added.invitation.expires_at) : '',
          },
        })
      })
    },
    done() {
      platform.navigateBack()
    },
  },
})
