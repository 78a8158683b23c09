require('../../utils/page')(require('../../core/pages/result'))
