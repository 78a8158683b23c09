const { serviceName } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { service: '', serviceName: '', cities: [], city: '', offices: [], loading: false, error: '' },
  methods: {
    onLoad(query) {
      const service = query.service || ''
      this.setData({ service, serviceName: serviceName(service) })
      // Every hall offering the service, to know the cities; then one city at a time.
      return guard(this, async () => {
        const all = await api.offices({ service })
        const cities = []
        all.forEach((o) => {
          if (!cities.some((c) => c.city_id === o.city.city_id)) cities.push(o.city)
        })
        const city = cities.length ? cities[0].city_id : ''
        this.setData({ cities, city, offices: all.filter((o) => o.city.city_id === city) })
      })
    },
    pickCity(e) {
      const city = e.currentTarget.dataset.city
      this.setData({ city })
      return guard(this, async () => this.setData({ offices: await api.offices({ city, service: this.data.service }) }))
    },
    openOffice(e) {
      const service = this.data.service ? `&service=${this.data.service}` : ''
      platform.navigateTo(`/pages/office/office?id=${e.currentTarget.dataset.id}${service}`)
    },
  },
})
