require('../../utils/page')(require('../../core/pages/guide'))
