const elder = require('../../utils/elder')
const api = require('../../utils/api')
const qr = require('../../utils/qr')
const { guard } = require('../../utils/ui')
const { BOOKING_STATUS, serviceName } = require('../../utils/format')

Component({
  behaviors: [elder.behavior],
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
      wx.redirectTo({ url: '/pages/bookings/bookings' })
    },
    toHome() {
      wx.reLaunch({ url: '/pages/home/home' })
    },
  },
})
