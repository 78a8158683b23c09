require('../../utils/page')(require('../../core/pages/book'))
