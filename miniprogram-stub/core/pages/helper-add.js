// Adding a family member: a child under 16 at once; an adult by invitation or a face check.
const { fill } = require('../i18n')
const { validIdNumber, ageFromIdNumber, timeLabel } = require('../format')

const TEXT = {
  zh: {
    added: '添加成功，现在可以为家人预约了。',
    confirmTitle: '请家人确认',
    confirmHow: '请家人用自己的{app}打开本小程序，完成实名认证后，在“亲友帮办”中输入邀请码：',
    validUntil: '{at} 前有效',
    done: '完成',
    name: '家人姓名',
    namePlaceholder: '与身份证一致',
    idNumber: '家人身份证号码',
    relation: '对方是您的',
    minor: '未满16周岁的孩子可直接添加，无需对方确认。',
    how: '如何确认对方同意',
    invite: '发邀请码，对方在自己手机上确认',
    face: '对方在身边，现在刷脸确认',
    add: '添加',
    noName: '请填写家人姓名',
    badId: '身份证号码有误，请核对后重新填写',
  },
  en: {
    added: 'Added. You can book for them now.',
    confirmTitle: 'Ask them to confirm',
    confirmHow: 'Ask them to open this mini-program in their own {app}, verify their identity, and enter this code under Family & helpers:',
    validUntil: 'Valid until {at}',
    done: 'Done',
    name: 'Their name',
    namePlaceholder: 'As on the ID card',
    idNumber: 'Their ID card number',
    relation: 'They are your',
    minor: 'A child under 16 is added at once; no consent is needed.',
    how: 'How they agree',
    invite: 'Send a code; they confirm on their own phone',
    face: 'They are here: face check now',
    add: 'Add',
    noName: "Enter the family member's name",
    badId: 'The ID card number is not valid. Please check it.',
  },
}

const ADULT_AGE = 16

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: {
    relations: [],
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
    onLoad() {
      this.setData({ relations: fmt().relations })
    },
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
      if (!name) return this.setData({ error: this.data.t.noName })
      if (!validIdNumber(idNumber)) return this.setData({ error: this.data.t.badId })
      const direct = minor && (relation === 'child' || relation === 'guardian')
      return guard(this, async () => {
        const body = { name, id_number: idNumber, relation }
        if (!direct && method === 'face') body.verify_token = await api.faceVerify({ name, idNumber })
        const added = await api.addApplicant(body)
        this.setData({
          result: {
            active: added.applicant.status === 'active',
            code: added.invitation ? added.invitation.code : '',
            expiresAt: added.invitation ? fill(this.data.t.validUntil, { at: timeLabel(added.invitation.expires_at) }) : '',
          },
        })
      })
    },
    done() {
      platform.navigateBack()
    },
  },
})
