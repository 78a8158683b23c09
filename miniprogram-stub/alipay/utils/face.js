// The face check on Alipay: the face vendor's H5 liveness page, opened in a web-view
// (pages/face/face), posts the vendor's `verify_token` back with my.postMessage once the check
// passes; the backend then asks the vendor about that token, as for a WeChat check. One check at
// a time: the page takes the pending one, and settles it when a token arrives or when it closes.

let pending = null

/** Opens the check at `url` through `navigateTo`; resolves to the vendor's token. */
function start(navigateTo, url) {
  if (pending) pending.reject(Object.assign(new Error('superseded'), { code: 'FACE_VERIFY_FAILED' }))
  return new Promise((resolve, reject) => {
    pending = { url, resolve, reject }
    navigateTo('/pages/face/face')
  })
}

/** The page the web-view shows, or '' when no check is pending. */
const url = () => (pending ? pending.url : '')

/** Ends the pending check: with the vendor's token, or, closed without one, as not completed. */
function finish(token) {
  const done = pending
  pending = null
  if (!done) return
  if (token) done.resolve(token)
  else done.reject(Object.assign(new Error('face verification not completed'), { code: 'FACE_VERIFY_FAILED' }))
}

module.exports = { start, url, finish }
