require('../../utils/page')(require('../../core/pages/helpers'))
