require('../../utils/page')(require('../../core/pages/application'))
