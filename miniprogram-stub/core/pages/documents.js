// My documents: each certificate with its validity, warned before it expires, with the way to renew it.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    holder: '持证人：',
    number: '证件号码：',
    longTerm: '长期有效',
    validUntil: '有效期至 {date}',
    expired: '已过期',
    expiring: '即将到期，请及时换发',
    renew: '预约换发',
    none: '暂无已办好的证件',
  },
  en: {
    holder: 'Holder: ',
    number: 'Number: ',
    longTerm: 'No expiry',
    validUntil: 'Valid until {date}',
    expired: 'Expired',
    expiring: 'Expires soon: renew it in time',
    renew: 'Book a renewal',
    none: 'No documents yet',
  },
}

function validity(d, t) {
  if (d.long_term) return t.longTerm
  return d.valid_until ? fill(t.validUntil, { date: d.valid_until }) : ''
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { documents: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return guard(this, async () => {
        const list = await api.documents()
        const f = fmt()
        const t = this.data.t
        this.setData({
          documents: list.map((d) => ({
            document_id: d.document_id,
            type: d.type,
            typeName: f.serviceName(d.type),
            name: d.applicant.name,
            number: d.number || '',
            validity: validity(d, t),
            warning: d.expired ? t.expired : d.expiring_soon ? t.expiring : '',
            // Expired or expiring: the service that renews it is one tap away.
            renew: Boolean(d.expired || d.expiring_soon),
          })),
        })
      })
    },
    renew(e) {
      platform.navigateTo(`/pages/guide/guide?service=${e.currentTarget.dataset.type}`)
    },
  },
})
