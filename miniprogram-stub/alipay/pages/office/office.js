require('../../utils/page')(require('../../core/pages/office'))
