const { fill } = require('../i18n')

// A hall: its address, hours, phone and map, the services it offers, and on to its slots.
const TEXT = {
  zh: {
    address: '地址：',
    hours: '时间：',
    call: '拨打电话 {phone}',
    services: '可办理业务',
    receipt: '本大厅办理{service}需提供照片回执号，请先到有资质的照相馆拍摄证件照。',
    notOffered: '本大厅不办理{service}，请选择其他业务或大厅。',
    chooseTime: '选择预约时间',
    map: '查看地图和路线',
  },
  en: {
    address: 'Address: ',
    hours: 'Hours: ',
    call: 'Call {phone}',
    services: 'Services here',
    receipt: 'For {service} this hall needs a photo receipt number: have your photo taken at a certified studio first.',
    notOffered: 'This hall does not offer {service}. Choose another service or hall.',
    chooseTime: 'Choose a time',
    map: 'Map and directions',
  },
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { office: null, service: '', callText: '', receiptText: '', notOfferedText: '', offered: false, needsReceipt: false, loading: false, error: '' },
  methods: {
    onLoad(query) {
      const service = query.service || ''
      this.setData(this.texts(service))
      return guard(this, async () => {
        const office = await api.office(query.id)
        this.setData({
          office,
          callText: fill(this.data.t.call, { phone: office.phone }),
          offered: office.services.some((s) => s.service_id === service),
          needsReceipt: office.photo_receipt_required_for.includes(service),
        })
      })
    },
    pickService(e) {
      const service = e.currentTarget.dataset.id
      this.setData(Object.assign(this.texts(service), {
        offered: true,
        needsReceipt: this.data.office.photo_receipt_required_for.includes(service),
      }))
    },
    /** The sentences that name the chosen service. */
    texts(service) {
      const vars = { service: fmt().serviceName(service) }
      return { service, receiptText: fill(this.data.t.receipt, vars), notOfferedText: fill(this.data.t.notOffered, vars) }
    },
    call() {
      platform.makePhoneCall(this.data.office.phone)
    },
    /** The platform's map at the hall, from where the route is one tap. */
    openMap() {
      const { location, name, address } = this.data.office
      if (location) platform.openLocation({ latitude: location.lat, longitude: location.lng, name, address })
    },
    chooseTime() {
      if (!this.data.offered) return
      platform.navigateTo(`/pages/slots/slots?office=${this.data.office.office_id}&service=${this.data.service}`)
    },
  },
})
