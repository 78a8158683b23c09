// The app itself keeps no state: tokens and the signed-in user live in storage (core/api.js),
// and each page loads what it shows.
App({}) // eslint-disable-line no-undef
