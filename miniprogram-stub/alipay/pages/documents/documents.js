require('../../utils/page')(require('../../core/pages/documents'))
