require('../../utils/page')(require('../../core/pages/bookings'))
