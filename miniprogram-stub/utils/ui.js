// What every page does around an API call: a loading flag, and a failure's Chinese message
// (the envelope's `message`) shown on the page instead of a stack trace.

/** Runs `task` for `page`; resolves to its result, or undefined after showing the error. */
async function guard(page, task) {
  page.setData({ loading: true, error: '' })
  try {
    return await task()
  } catch (err) {
    page.setData({ error: err.message || '出错了，请稍后再试' })
    // Booking and helpers need real-name binding first: take the user there.
    if (err.code === 'IDENTITY_REQUIRED') wx.navigateTo({ url: '/pages/identity/identity' })
    return undefined
  } finally {
    page.setData({ loading: false })
  }
}

/** Asks before something that cannot be undone; resolves to true when confirmed. */
function confirm(title, content, confirmText) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText,
      confirmColor: '#b3261e',
      cancelText: '再想想',
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

/** Navigates on a tap of an element with `data-url`. */
function go(e) {
  wx.navigateTo({ url: e.currentTarget.dataset.url })
}

module.exports = { guard, confirm, go }
