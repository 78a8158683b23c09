const elder = require('../../utils/elder')
const api = require('../../utils/api')
const { guard } = require('../../utils/ui')

// A service's guide (办事指南): what to bring, the steps, the fee and the time it takes, as ops
// keep it in the catalog; read before choosing a hall, so nobody queues without their papers.
Component({
  behaviors: [elder.behavior],
  data: { service: '', guide: null, loading: false, error: '' },
  methods: {
    onLoad(query) {
      const service = query.service || ''
      this.setData({ service })
      return guard(this, async () => {
        const guide = await api.guide(service)
        this.setData({
          guide: Object.assign({ materials: [], procedure: [], pickup_options: [], notes: [] }, guide, {
            // Numbered here: a screen reader reads the number with each step.
            procedure: (guide.procedure || []).map((step, i) => ({ n: i + 1, step })),
          }),
        })
      })
    },
    chooseHall() {
      wx.navigateTo({ url: `/pages/offices/offices?service=${this.data.service}` })
    },
  },
})
