require('../../utils/page')(require('../../core/pages/progress'))
