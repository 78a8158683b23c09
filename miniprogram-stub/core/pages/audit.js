const { auditAction, actorLabel, timeLabel } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, guard }) => ({
  data: { entries: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return guard(this, async () => {
        const entries = await api.audit(50)
        this.setData({
          entries: entries.map((e, i) => ({
            key: `${e.request_id}-${i}`,
            at: timeLabel(e.at),
            action: auditAction(e.action),
            actor: actorLabel(e.actor),
            byOther: e.actor.kind !== 'self',
          })),
        })
      })
    },
  },
})
