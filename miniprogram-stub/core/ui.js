// What every page does around an API call, on either platform: a loading flag, and a failure's
// message (the envelope's `message`) shown on the page instead of a stack trace.

// The helpers' own words, in the phone's language.
const TEXT = {
  zh: { failed: '出错了，请稍后再试', notNow: '再想想' },
  en: { failed: 'Something went wrong. Please try again later.', notNow: 'Not now' },
}

/** The helpers over a platform (README.md, "The platform layer"); `lang()`: 'zh' or 'en'. */
function makeUi(platform, lang) {
  const text = () => TEXT[lang()] || TEXT.zh

  /** Runs `task` for `page`; resolves to its result, or undefined after showing the error. */
  async function guard(page, task) {
    page.setData({ loading: true, error: '' })
    try {
      return await task()
    } catch (err) {
      page.setData({ error: err.message || text().failed })
      // Booking and helpers need real-name binding first: take the user there.
      if (err.code === 'IDENTITY_REQUIRED') platform.navigateTo('/pages/identity/identity')
      return undefined
    } finally {
      page.setData({ loading: false })
    }
  }

  /**
   * Something that cannot be undone, on `page`: asked first (`ask`: title, content, confirmText),
   * then done under `guard`; once done, `notice` (when given) is shown and the page loads again.
   * Resolves to whether it was done.
   */
  async function confirmed(page, ask, task, notice) {
    if (!(await platform.confirm(Object.assign({ cancelText: text().notNow }, ask)))) return false
    if (notice) page.setData({ notice: '' })
    const done = await guard(page, task)
    if (!done) return false
    if (notice) page.setData({ notice })
    await page.load()
    return true
  }

  /** Navigates on a tap of an element with `data-url`. */
  function go(e) {
    platform.navigateTo(e.currentTarget.dataset.url)
  }

  return { guard, confirmed, go }
}

module.exports = { makeUi }
