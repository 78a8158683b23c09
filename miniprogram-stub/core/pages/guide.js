// A service's guide (办事指南): what to bring, the steps, the fee and the time it takes, as ops
// keep it in the catalog; read before choosing a hall, so nobody queues without their papers.
// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
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
      platform.navigateTo(`/pages/offices/offices?service=${this.data.service}`)
    },
  },
})
