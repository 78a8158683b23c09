const { serviceName } = require('../format')

function validity(d) {
  if (d.long_term) return '长期有效'
  return d.valid_until ? `有效期至 ${d.valid_until}` : ''
}

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, guard }) => ({
  data: { documents: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return guard(this, async () => {
        const list = await api.documents()
        this.setData({
          documents: list.map((d) => ({
            document_id: d.document_id,
            typeName: serviceName(d.type),
            name: d.applicant.name,
            number: d.number || '',
            validity: validity(d),
            warning: d.expired ? '已过期' : d.expiring_soon ? '即将到期，请及时换发' : '',
          })),
        })
      })
    },
  },
})
