require('../../utils/page')(require('../../core/pages/offices'))
