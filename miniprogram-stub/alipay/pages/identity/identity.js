require('../../utils/page')(require('../../core/pages/identity'))
