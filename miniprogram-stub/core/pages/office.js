const { serviceName } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { office: null, service: '', serviceName: '', offered: false, needsReceipt: false, loading: false, error: '' },
  methods: {
    onLoad(query) {
      const service = query.service || ''
      this.setData({ service, serviceName: serviceName(service) })
      return guard(this, async () => {
        const office = await api.office(query.id)
        this.setData({
          office,
          offered: office.services.some((s) => s.service_id === service),
          needsReceipt: office.photo_receipt_required_for.includes(service),
        })
      })
    },
    pickService(e) {
      const service = e.currentTarget.dataset.id
      this.setData({
        service,
        serviceName: serviceName(service),
        offered: true,
        needsReceipt: this.data.office.photo_receipt_required_for.includes(service),
      })
    },
    call() {
      platform.makePhoneCall(this.data.office.phone)
    },
    chooseTime() {
      if (!this.data.offered) return
      platform.navigateTo(`/pages/slots/slots?office=${this.data.office.office_id}&service=${this.data.service}`)
    },
  },
})
