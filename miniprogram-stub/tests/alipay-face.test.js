// The face check on Alipay: the vendor's H5 liveness page in pages/face/face's web-view, its
// token back through my.postMessage, or the check not completed when the page closes without one.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const ALIPAY = path.join(__dirname, '..', 'alipay')

/** A `my` that records navigation; the Page() options of the face page, loaded fresh. */
function phone() {
  const log = { navigations: [] }
  global.my = {
    getStorageSync: () => ({ data: null }),
    setStorageSync() {},
    removeStorageSync() {},
    getSystemInfoSync: () => ({ language: 'zh-Hans' }),
    navigateTo: ({ url }) => log.navigations.push(['navigateTo', url]),
    navigateBack: () => log.navigations.push(['navigateBack']),
  }
  return log
}

function openFacePage() {
  let options
  global.Page = (o) => {
    options = o
  }
  const file = require.resolve(path.join(ALIPAY, 'pages/face/face.js'))
  delete require.cache[file]
  require(file)
  const page = Object.assign({}, options, { data: Object.assign({}, options.data) })
  page.setData = (patch) => Object.assign(page.data, patch)
  page.onLoad()
  return page
}

const { createClient } = require(path.join(ALIPAY, 'utils/api.js'))
const client = (extra) => createClient(Object.assign({ baseUrl: 'https://api.test', devUser: null, devVerifyToken: null }, extra))

test("the vendor's page opens with the person in the fragment, and its posted token is the check's", async () => {
  const log = phone()
  const api = client({ faceVerifyH5: 'https://face.vendor.example/h5/liveness' })
  const token = api.faceVerify({ name: '梁晓峰', idNumber: '11010519491231002X' })
  assert.deepEqual(log.navigations, [['navigateTo', '/pages/face/face']])
  const page = openFacePage()
  assert.equal(page.data.url, 'https://face.vendor.example/h5/liveness#name=%E6%A2%81%E6%99%93%E5%B3%B0&document=11010519491231002X')
  page.onMessage({ detail: { other: 'noise' } }) // not the vendor's answer: ignored
  page.onMessage({ detail: { verify_token: 'vendor-token-1' } })
  assert.equal(await token, 'vendor-token-1')
  assert.deepEqual(log.navigations.at(-1), ['navigateBack'])
  page.onUnload() // the page closing after the token changes nothing
})

test('closed without a token, the check is not completed; without a vendor page, there is none', async () => {
  phone()
  const api = client({ faceVerifyH5: 'https://face.vendor.example/h5/liveness' })
  const token = api.faceVerify({ name: 'SMITH JOHN', idNumber: 'E12345678' })
  openFacePage().onUnload()
  const err = await token.then(() => assert.fail('expected a refusal'), (e) => e)
  assert.equal(err.code, 'FACE_VERIFY_FAILED')
  assert.equal(err.message, '人脸核验未完成，请重试')

  const unconfigured = await client({ faceVerifyH5: null })
    .faceVerify({ name: 'SMITH JOHN', idNumber: 'E12345678' })
    .then(() => assert.fail('expected a refusal'), (e) => e)
  assert.equal(unconfigured.code, 'FACE_VERIFY_UNAVAILABLE')
})
