require('../../utils/page')(require('../../core/pages/audit'))
