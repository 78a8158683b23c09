// A service's guide (办事指南): what to bring, the steps, the fee and the time it takes, as ops
// keep it in the catalog; read before choosing a hall, so nobody queues without their papers.
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    fee: '费用 {fee} 元',
    days: '约 {days} 个工作日办好',
    materials: '需要带的材料',
    procedure: '办理步骤',
    pickup: '领取方式',
    photo: '照片要求',
    notes: '注意事项',
    chooseHall: '选择办理大厅',
  },
  en: {
    fee: 'Fee ¥{fee}',
    days: 'Ready in about {days} working days',
    materials: 'What to bring',
    procedure: 'Steps',
    pickup: 'Collection',
    photo: 'Photo',
    notes: 'Please note',
    chooseHall: 'Choose a hall',
  },
}
module.exports = ({ api, platform, guard }) => ({
  text: TEXT,
  data: { service: '', guide: null, feeText: '', daysText: '', loading: false, error: '' },
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
          feeText: fill(this.data.t.fee, { fee: guide.fee_yuan }),
          daysText: fill(this.data.t.days, { days: guide.processing_working_days }),
        })
      })
    },
    chooseHall() {
      platform.navigateTo(`/pages/offices/offices?service=${this.data.service}`)
    },
  },
})
