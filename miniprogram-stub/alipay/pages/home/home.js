require('../../utils/page')(require('../../core/pages/home'))
