// The audit list: everything done for the user, by whom and when.
const { timeLabel } = require('../format')

const TEXT = {
  zh: { intro: '这里记录了所有人（包括您授权的家人和窗口工作人员）为您办理的每一项操作。', none: '暂无记录' },
  en: { intro: 'Everything done for you, by anyone (family you authorised and hall staff included), is recorded here.', none: 'Nothing recorded yet' },
}

module.exports = ({ api, guard, fmt }) => ({
  text: TEXT,
  data: { entries: [], loading: false, error: '' },
  methods: {
    onLoad() {
      return guard(this, async () => {
        const entries = await api.audit(50)
        const f = fmt()
        this.setData({
          entries: entries.map((e, i) => ({
            key: `${e.request_id}-${i}`,
            at: timeLabel(e.at),
            action: f.auditAction(e.action),
            actor: f.actorLabel(e.actor),
            byOther: e.actor.kind !== 'self',
          })),
        })
      })
    },
  },
})
