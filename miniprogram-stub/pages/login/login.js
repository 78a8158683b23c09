require('../../utils/page')(require('../../core/pages/login'))
