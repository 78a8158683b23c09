const elder = require('../../utils/elder')
const api = require('../../utils/api')
const { guard } = require('../../utils/ui')
const { auditAction, actorLabel, timeLabel } = require('../../utils/format')

Component({
  behaviors: [elder.behavior],
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
