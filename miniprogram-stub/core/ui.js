// What every page does around an API call, on either platform: a loading flag, and a failure's
// message (the envelope's `message`) shown on the page instead of a stack trace.

/** The helpers over a platform (README.md, "The platform layer"). */
function makeUi(platform) {
  /** Runs `task` for `page`; resolves to its result, or undefined after showing the error. */
  async function guard(page, task) {
    page.setData({ loading: true, error: '' })
    try {
      return await task()
    } catch (err) {
      page.setData({ error: err.message || '出错了，请稍后再试' })
      // Booking and helpers need real-name binding first: take the user there.
      if (err.code === 'IDENTITY_REQUIRED') platform.navigateTo('/pages/identity/identity')
      return undefined
    } finally {
      page.setData({ loading: false })
    }
  }

  /** Asks before something that cannot be undone; resolves to true when confirmed. */
  function confirm(title, content, confirmText) {
    return platform.confirm({ title, content, confirmText, cancelText: '再想想' })
  }

  /** Navigates on a tap of an element with `data-url`. */
  function go(e) {
    platform.navigateTo(e.currentTarget.dataset.url)
  }

  return { guard, confirm, go }
}

module.exports = { makeUi }
