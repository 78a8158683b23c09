// Elder mode on WeChat: the behaviour every page takes, so the root view has the class `elder`
// from the first render when the switch (core/elder.js, kept in storage) is on.
const { env } = require('./env')

// eslint-disable-next-line no-undef
const behavior = Behavior({
  data: { elder: false },
  lifetimes: {
    attached() {
      this.setData({ elder: env.elder.isOn() })
    },
  },
})

module.exports = { behavior }
