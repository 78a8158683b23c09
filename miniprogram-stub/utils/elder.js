// 长辈模式 (elder mode): larger type (24px body), taller tap targets, black on white. A switch on
// the home page turns it on; it is kept in storage, so it stays on across launches, and every
// page reads it through `behavior` when it opens (the root view takes the class `elder`).
const KEY = 'yuyue.elder'

function isOn() {
  return wx.getStorageSync(KEY) === true // eslint-disable-line no-undef
}

function set(on) {
  wx.setStorageSync(KEY, Boolean(on)) // eslint-disable-line no-undef
}

// eslint-disable-next-line no-undef
const behavior = Behavior({
  data: { elder: false },
  lifetimes: {
    attached() {
      this.setData({ elder: isOn() })
    },
  },
})

module.exports = { isOn, set, behavior }
