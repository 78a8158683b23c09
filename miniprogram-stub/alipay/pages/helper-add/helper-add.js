require('../../utils/page')(require('../../core/pages/helper-add'))
