// Which backend both mini-programs talk to. Set ENV to 'production' before uploading either.
const ENV = 'local'

const BACKENDS = {
  // The stack `make dev` runs on this computer (each developer tool must allow its plain-http
  // origin: README.md says where).
  local: {
    baseUrl: 'http://127.0.0.1:8787',
    // The local WeChat and Alipay fakes map the code `dev-<x>~<anything>` to the user `wx-<x>`
    // (`ali-<x>`): the platform's code is sent as the `<anything>`, so every sign-in in a
    // developer tool is this one user.
    devUser: 'devtools',
    // The local face-verification fake passes `dev-ok` for any name and document.
    devVerifyToken: 'dev-ok',
  },
  production: {
    baseUrl: 'https://api.yuyue.example',
    devUser: null,
    devVerifyToken: null,
  },
}

module.exports = Object.assign({ env: ENV }, BACKENDS[ENV])
