const { fill } = require('../i18n')

// The halls offering a service, one city at a time.
const TEXT = {
  zh: { service: '办理业务：{service}', city: '所在城市', halls: '办理大厅', none: '该城市暂无可办理此业务的大厅' },
  en: { service: 'Service: {service}', city: 'City', halls: 'Halls', none: 'No hall in this city offers this service' },
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { service: '', serviceTitle: '', cities: [], city: '', offices: [], loading: false, error: '' },
  methods: {
    onLoad(query) {
      const service = query.service || ''
      this.setData({ service, serviceTitle: service ? fill(this.data.t.service, { service: fmt().serviceName(service) }) : '' })
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
