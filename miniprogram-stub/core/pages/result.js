// A booking: its status, the QR code to show at the hall, and the details.
const qr = require('../qr')
const { fill } = require('../i18n')

const TEXT = {
  zh: {
    qrLabel: '预约二维码，请在大厅出示',
    qrHint: '到达大厅后请出示此二维码签到',
    bookingNo: '预约号 {no}',
    service: '业务：',
    applicant: '办理人：',
    time: '时间：',
    place: '地点：',
    pickup: '领取：',
    mailTo: '邮寄 {address}',
    collect: '到大厅领取',
    phone: '电话：',
    toBookings: '查看我的预约',
    toHome: '返回首页',
  },
  en: {
    qrLabel: 'Booking QR code: show it at the hall',
    qrHint: 'Show this QR code at the hall to check in',
    bookingNo: 'Booking {no}',
    service: 'Service: ',
    applicant: 'Applicant: ',
    time: 'Time: ',
    place: 'Place: ',
    pickup: 'Collection: ',
    mailTo: 'by post to {address}',
    collect: 'at the hall',
    phone: 'Phone: ',
    toBookings: 'My bookings',
    toHome: 'Home',
  },
}

module.exports = ({ api, platform, guard, fmt }) => ({
  text: TEXT,
  data: { booking: null, office: null, serviceName: '', statusText: '', bookingNoText: '', pickupText: '', qrSrc: '', loading: false, error: '' },
  methods: {
    onLoad(query) {
      return guard(this, async () => {
        const booking = await api.booking(query.no)
        const office = await api.office(booking.office_id)
        const f = fmt()
        const t = this.data.t
        this.setData({
          booking,
          office,
          serviceName: f.serviceName(booking.service),
          statusText: f.bookingStatus(booking.status),
          bookingNoText: fill(t.bookingNo, { no: booking.booking_no_display || booking.booking_no }),
          pickupText: booking.pickup.method === 'mail' ? fill(t.mailTo, { address: booking.pickup.address }) : t.collect,
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
