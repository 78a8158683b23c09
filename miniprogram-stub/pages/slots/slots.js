require('../../utils/page')(require('../../core/pages/slots'))
