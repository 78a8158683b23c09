// 长辈模式 (elder mode): larger type (24px body), taller tap targets, black on white. A switch on
// the home page turns it on; it is kept in storage, so it stays on across launches, and every
// page reads it when it opens (the root view takes the class `elder`).
const KEY = 'yuyue.elder'

function makeElder(platform) {
  return {
    isOn: () => platform.storage.get(KEY) === true,
    set: (on) => platform.storage.set(KEY, Boolean(on)),
  }
}

module.exports = { makeElder }
