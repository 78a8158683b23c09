const qr = require('../qr')
const { BOOKING_STATUS, serviceName } = require('../format')

// The page's logic on both platforms: utils/page.js makes it a WeChat Component, alipay/utils/page.js
// an Alipay Page.
module.exports = ({ api, platform, guard }) => ({
  data: { booking: null, office: null, serviceName: '', statusText: '', qrSrc: '', loading: false, error: '' },
  methods: {
    onLoad(query) {
      return guard(this, async () => {
        const booking = await api.booking(query.no)
        const office = await api.office(booking.office_id)
        this.setData({
          booking,
          office,
          serviceName: serviceName(booking.service),
          statusText: BOOKING_STATUS[booking.status] || booking.status,
          // Only a booking that can still be used at the hall has a QR payload.
          qrSrc: booking.qr_payload ? qr.toDataUri(qr.encode(booking.qr_payload)) : '',
        })
      })
    },
    toBookings() {
      platform.redirectTo('/pages/bookings/bookings')
    },
    toHome() {
      platform.reLaunch('/pages/home/home')
    },
  },
})
